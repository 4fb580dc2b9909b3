// Command train regenerates the reference model's weights from the Han et
// al. 2020 train split of CinC 2017 (development only; see
// reference-model/README.md).
//
// It resumes from -ckpt when that file exists, checkpoints after every
// epoch, and after the last epoch writes the selected weights, the training
// configuration and the test-split metrics to -out:
//
//	go run ./reference-model/cmd/train -data ../shared/data/cinc2017/training2017.zip
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/cinc"
	"github.com/ecgrobust/ecgrobust/reference-model/cnn"
)

func main() {
	if err := run(); err != nil {
		slog.Error("train", "err", err)
		os.Exit(1)
	}
}

type options struct {
	data, ckpt, out string
	epochs, workers int
	seed            uint64
	holdout         int
	finish          bool
}

func run() error {
	var o options
	flag.StringVar(&o.data, "data", "../shared/data/cinc2017/training2017.zip", "CinC 2017 training2017.zip or its unpacked directory")
	flag.StringVar(&o.ckpt, "ckpt", "reference-model/weights/checkpoints/train.ckpt", "checkpoint to resume from and write after every epoch")
	flag.StringVar(&o.out, "out", "reference-model/weights", "directory for reference.ecgw, training.json and metrics.json")
	flag.IntVar(&o.epochs, "epochs", 0, "total epochs (0: the configuration's)")
	flag.Uint64Var(&o.seed, "seed", 0, "seed of a new run (0: the configuration's, 2017); a resumed run keeps its checkpoint's")
	flag.IntVar(&o.workers, "workers", 0, "goroutines per batch (0: GOMAXPROCS); does not change the result")
	flag.IntVar(&o.holdout, "holdout", 700, "train records held out for model selection")
	flag.BoolVar(&o.finish, "finish", false, "skip training: write the selected weights and test metrics from the checkpoint")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	tr, err := loadOrInit(o)
	if err != nil {
		return err
	}
	if o.epochs > 0 {
		tr.Config.Epochs = o.epochs
	}
	ds, err := cinc.Open(o.data)
	if err != nil {
		return fmt.Errorf("open data: %w", err)
	}
	defer ds.Close()
	split := cinc.Han2020Split()
	all, err := examples(ctx, ds, split.Part(cinc.Train))
	if err != nil {
		return err
	}
	train, holdout := cnn.SplitHoldout(all, o.holdout, tr.Config.Seed)
	slog.Info("data", "train", len(train), "holdout", len(holdout), "epochs_done", tr.Epoch, "epochs", tr.Config.Epochs,
		"gflop_per_crop", float64(tr.Config.Arch.FLOPs(tr.Config.Crop))/1e9)

	for !o.finish && tr.Epoch < tr.Config.Epochs {
		last := time.Now()
		log, err := tr.TrainEpoch(ctx, train, holdout, func(step, steps int, loss float64) {
			if step%20 == 0 || step == steps {
				slog.Info("step", "epoch", tr.Epoch+1, "step", step, "of", steps, "loss", fmt.Sprintf("%.4f", loss),
					"s_per_step", fmt.Sprintf("%.2f", time.Since(last).Seconds()/20))
				last = time.Now()
			}
		})
		if err != nil {
			return err
		}
		slog.Info("epoch", "epoch", log.Epoch, "loss", fmt.Sprintf("%.4f", log.Loss), "seconds", int(log.Seconds),
			"holdout_f1_nao", fmt.Sprintf("%.4f", log.Holdout.MacroF1NAO), "holdout_acc", fmt.Sprintf("%.4f", log.Holdout.Accuracy),
			"f1", log.Holdout.F1, "selected", log.Selected)
		if err := saveCheckpoint(tr, o.ckpt); err != nil {
			return err
		}
	}
	if tr.Best == nil {
		return errors.New("no epoch finished: nothing to write")
	}
	return finish(ctx, tr, ds, split, o)
}

func loadOrInit(o options) (*cnn.Trainer, error) {
	f, err := os.Open(o.ckpt)
	if errors.Is(err, fs.ErrNotExist) {
		slog.Info("no checkpoint: starting from the seed", "ckpt", o.ckpt)
		cfg := cnn.DefaultTrainConfig()
		if o.seed != 0 {
			cfg.Seed = o.seed
		}
		return cnn.NewTrainer(cfg, o.workers)
	}
	if err != nil {
		return nil, fmt.Errorf("open checkpoint: %w", err)
	}
	defer f.Close()
	tr, err := cnn.LoadTrainer(f, o.workers)
	if err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", o.ckpt, err)
	}
	slog.Info("resuming", "ckpt", o.ckpt, "epochs_done", tr.Epoch)
	return tr, nil
}

func saveCheckpoint(tr *cnn.Trainer, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	if err := tr.Save(f); err != nil {
		f.Close()
		return fmt.Errorf("save checkpoint: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return os.Rename(tmp, path)
}

// examples loads the records of part, Han 2020 preprocessed, in mV, with
// the split file's labels.
func examples(ctx context.Context, ds *cinc.Dataset, part cinc.Split) ([]cnn.Example, error) {
	recs, err := ds.Load(ctx, part.IDs(), cinc.Options{Length: ecg.Han2020Length})
	if err != nil {
		return nil, fmt.Errorf("load records: %w", err)
	}
	ex := make([]cnn.Example, len(recs))
	for i, r := range recs {
		y := slices.Index(ecg.CinCClasses, part[i].Label)
		if y < 0 {
			return nil, fmt.Errorf("record %s: unknown label %q", r.ID, part[i].Label)
		}
		x := make([]float32, len(r.Signal.Samples))
		for j, v := range r.Signal.Samples {
			x[j] = float32(v / r.Signal.Gain)
		}
		ex[i] = cnn.Example{ID: r.ID, X: x, Valid: r.Valid, Label: y}
	}
	return ex, nil
}

// finish writes the selected weights with their provenance and the
// test-split metrics.
func finish(ctx context.Context, tr *cnn.Trainer, ds *cinc.Dataset, split cinc.Split, o options) error {
	test, err := examples(ctx, ds, split.Part(cinc.Test))
	if err != nil {
		return err
	}
	m, pred, err := cnn.Evaluate(ctx, tr.Best, test, o.workers)
	if err != nil {
		return err
	}
	slog.Info("test", "records", m.Records, "macro_f1_nao", fmt.Sprintf("%.4f", m.MacroF1NAO), "accuracy", fmt.Sprintf("%.4f", m.Accuracy), "f1", m.F1)
	sel := 0
	for _, h := range tr.History {
		if h.Selected {
			sel = h.Epoch
		}
	}
	prov := map[string]any{
		"config":          tr.Config,
		"epochs_done":     tr.Epoch,
		"selected_epoch":  sel,
		"selection":       "best hold-out macro-F1 (N, A, O)",
		"data":            "PhysioNet/CinC 2017 training2017.zip, Han et al. 2020 train split",
		"holdout_records": o.holdout,
	}
	meta, err := json.Marshal(prov)
	if err != nil {
		return fmt.Errorf("encode provenance: %w", err)
	}
	tr.Best.Meta = meta
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fmt.Errorf("write weights: %w", err)
	}
	wf, err := os.Create(filepath.Join(o.out, "reference.ecgw"))
	if err != nil {
		return fmt.Errorf("write weights: %w", err)
	}
	if err := tr.Best.Write(wf); err != nil {
		wf.Close()
		return fmt.Errorf("write weights: %w", err)
	}
	if err := wf.Close(); err != nil {
		return fmt.Errorf("write weights: %w", err)
	}
	preds := make(map[string]string, len(test))
	for i, ex := range test {
		preds[ex.ID] = ecg.CinCClasses[pred[i]]
	}
	if err := writeJSON(filepath.Join(o.out, "training.json"), map[string]any{"provenance": prov, "history": tr.History}); err != nil {
		return err
	}
	return writeJSON(filepath.Join(o.out, "metrics.json"), map[string]any{
		"split": "Han et al. 2020 test (853 records)", "classes": ecg.CinCClasses, "test": m, "predictions": preds,
	})
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
