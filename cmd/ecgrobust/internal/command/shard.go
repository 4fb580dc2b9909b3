package command

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ecgrobust/ecgrobust/harness/ecg/dataset"
	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/journal"
	"github.com/ecgrobust/ecgrobust/harness/shard"
	"github.com/ecgrobust/ecgrobust/harness/spec"
)

// ScaleOptions are run's flags for sharded and resumable runs.
type ScaleOptions struct {
	// Shard is "k/n" or "auto" (from the scheduler's environment).
	Shard string
	// ShardCount is the number of parts with --shard auto under a
	// Kubernetes Indexed Job (its completions).
	ShardCount int
	// Resume is the output directory of an interrupted run to complete.
	Resume string

	// Part is the resolved shard, nil for a whole run; PartSource says
	// where it came from (the flag, or a scheduler's environment).
	Part       *shard.Part
	PartSource string
}

// getenv reads the environment; tests replace it.
var getenv = os.Getenv

func addScaleFlags(cmd *cobra.Command, o *ScaleOptions) {
	fl := cmd.Flags()
	fl.StringVar(&o.Shard, "shard", "", "run only part k of n (0-based \"k/n\"), or \"auto\" to take it from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (Slurm); writes part.json for 'ecgrobust merge'")
	fl.IntVar(&o.ShardCount, "shard-count", 0, "number of parts for --shard auto under a Kubernetes Indexed Job (its completions)")
	fl.StringVar(&o.Resume, "resume", "", "complete the interrupted run whose --out was DIR: finished records are read from DIR/journal.jsonl and not run again, errored ones are tried again (results go to DIR)")
}

// resolve checks the scale flags and sets the output directory of a
// resumed run. It runs before any work.
func (o *ScaleOptions) resolve(cmd *cobra.Command, g *GlobalOptions) error {
	if o.ShardCount != 0 && o.Shard != "auto" {
		return usageErrorf("--shard-count needs --shard auto")
	}
	switch o.Shard {
	case "":
	case "auto":
		p, src, err := shard.FromEnv(getenv, o.ShardCount)
		if err != nil {
			return usageErrorf("--shard auto: %w", err)
		}
		o.Part, o.PartSource = &p, src
	default:
		p, err := shard.Parse(o.Shard)
		if err != nil {
			return usageErrorf("--shard: %w", err)
		}
		o.Part, o.PartSource = &p, "--shard"
	}
	if o.Resume != "" {
		if cmd.Flags().Changed("out") && filepath.Clean(g.Out) != filepath.Clean(o.Resume) {
			return usageErrorf("--resume %s writes into %s; drop --out %s", o.Resume, o.Resume, g.Out)
		}
		g.Out = o.Resume
	}
	return nil
}

// scaleRun is the journal, shard and resume state of one run. A nil
// *scaleRun leaves the engine options as they are.
type scaleRun struct {
	part    *shard.Part
	journal *journal.Writer
	// done are rows finished before (resume, or the parts of a merge).
	done []engine.RecordResult
	// strict makes a newly computed row an error (merge: every row must
	// come from the parts).
	strict bool
	log    *slog.Logger
}

// startScale opens the run's journal in dir: resumed when resume is set
// and a journal is there, else new (an older journal is kept as
// journal.jsonl.prev). It also checks dir has room for the results.
func startScale(opts *RunOptions, s *spec.Spec, set *dataset.Stream, m *OpenedModel, log *slog.Logger) (*scaleRun, error) {
	dir := opts.Global.Out
	sc := &scaleRun{part: opts.Scale.Part, log: log}
	if err := checkFreeSpace(dir, estimateBytes(s, set.Len())); err != nil {
		return nil, withCode(ExitRuntime, err)
	}
	h := journal.Header{Spec: s.SHA256, Model: m.SHA256, Dataset: set.SHA256, Seed: s.Seed, HarnessVersion: Version}
	if p := sc.part; p != nil {
		h.Shard = &engine.Shard{Index: p.Index, Count: p.Count}
		s.Outputs.Examples = 0 // traces are picked and re-run by merge
		log.Info("shard", "part", p.String(), "from", opts.Scale.PartSource)
	}
	path := filepath.Join(dir, journal.File)
	_, statErr := os.Stat(path)
	var err error
	switch {
	case opts.Scale.Resume != "" && statErr == nil:
		var rows []engine.RecordResult
		sc.journal, rows, err = journal.Resume(path, h)
		if err != nil {
			return nil, usageErrorf("--resume %s: %w", dir, err)
		}
		retry := 0
		for _, r := range rows {
			if r.Error == "" {
				sc.done = append(sc.done, r)
			} else {
				retry++ // errored rows are tried again (the plugin may be back)
			}
		}
		log.Info("resuming", "journal", path, "rows_done", len(sc.done), "errored_rows_to_retry", retry)
		return sc, nil
	case opts.Scale.Resume != "":
		log.Warn("no journal to resume; starting from the beginning", "journal", path)
	case statErr == nil:
		prev := path + ".prev"
		log.Warn("output directory holds the journal of an earlier run; keeping it as "+filepath.Base(prev)+" (use --resume to continue a run)", "dir", dir)
		if err := os.Rename(path, prev); err != nil {
			return nil, withCode(ExitRuntime, fmt.Errorf("keep earlier journal: %w", err))
		}
	}
	if sc.journal, err = journal.Create(path, h); err != nil {
		return nil, withCode(ExitRuntime, err)
	}
	return sc, nil
}

// options adds the journal, shard and resume hooks to o.
func (sc *scaleRun) options(o engine.Options) engine.Options {
	if sc == nil {
		return o
	}
	o.Done = sc.done
	if p := sc.part; p != nil {
		o.Filter = p.Has
		o.Shard = &engine.Shard{Index: p.Index, Count: p.Count}
	}
	if sc.strict {
		o.Sink = func(r engine.RecordResult) error {
			return fmt.Errorf("record %q attack %q is in none of the parts", r.Record, r.Attack)
		}
	} else if sc.journal != nil {
		o.Sink = sc.journal.Add   // buffered
		o.Flush = sc.journal.Sync // fsync once per batch; an error stops the run
	}
	return o
}

// close syncs and closes the journal.
func (sc *scaleRun) close() error {
	if sc == nil || sc.journal == nil {
		return nil
	}
	return sc.journal.Close()
}

// partial reports whether the run is one shard of several.
func (sc *scaleRun) partial() bool { return sc != nil && sc.part != nil }

// PartFormat identifies part.json.
const PartFormat = "ecgrobust.part/v1"

// PartFile is the name of a shard's partial results.
const PartFile = "part.json"

// partFile is a shard's partial results with what merge needs to load
// the same spec, model and data again.
type partFile struct {
	Format string `json:"format"`
	// Spec is the spec as given to run (a file made absolute, or a
	// bundled name); Model, ModelSHA256 and Seed are the overrides.
	Spec        string  `json:"spec"`
	Model       string  `json:"model,omitempty"`
	ModelSHA256 string  `json:"model_sha256,omitempty"`
	Seed        *uint64 `json:"seed,omitempty"`
	// Data is the --data root, absolute.
	Data string `json:"data,omitempty"`
	// Result is this shard's result: its rows, and aggregates over them
	// alone (the merged result recomputes them over all rows).
	Result *engine.Result `json:"result"`
}

// finishPart writes part.json for a shard run and reports it. The exit
// code is 0 when the shard finished (its verdict is partial: 'ecgrobust
// merge' decides), so schedulers do not retry a finished shard.
func (sc *scaleRun) finishPart(f *Factory, opts *RunOptions, res *engine.Result, runErr error) error {
	if err := sc.close(); err != nil && runErr == nil {
		runErr = err
	}
	if res == nil || runErr != nil {
		return withCode(ExitRuntime, fmt.Errorf("shard %s stopped early (finished records are in %s; rerun with --resume %s): %w",
			sc.part, filepath.Join(opts.Global.Out, journal.File), opts.Global.Out, runErr))
	}
	p := partFile{Format: PartFormat, Spec: opts.Spec, Model: opts.Model, ModelSHA256: opts.ModelSHA256, Result: res}
	if p.Model != "" && p.Model != spec.ReferenceModel {
		p.Model, _ = filepath.Abs(p.Model) // as run resolved it, whatever merge's working directory
	}
	if st, err := os.Stat(opts.Spec); err == nil && !st.IsDir() {
		if abs, err := filepath.Abs(opts.Spec); err == nil {
			p.Spec = abs
		}
	}
	if opts.Global.SeedSet {
		seed := opts.Global.Seed
		p.Seed = &seed
	}
	if opts.Global.Data != "" {
		p.Data, _ = filepath.Abs(opts.Global.Data)
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("encode part: %w", err))
	}
	path := filepath.Join(opts.Global.Out, PartFile)
	if err := writeFileSync(path, append(b, '\n')); err != nil {
		return withCode(ExitRuntime, fmt.Errorf("write part: %w", err))
	}
	records := map[string]bool{}
	for _, r := range res.Records {
		records[r.Record] = true
	}
	if !opts.Global.Quiet {
		fmt.Fprintf(f.Stdout, "shard %s: %d records, %d rows\nwrote %s\nmerge the parts with: ecgrobust merge DIR... --out DIR\n",
			sc.part, len(records), len(res.Records), path)
	}
	return nil
}

// writeFileSync writes b to path through a temporary file and a rename,
// fsynced, so a reader sees the old file or the whole new one.
func writeFileSync(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// estimateBytes is a generous estimate of what a run writes: about 1 KiB
// per (record, attack) row twice (journal and results.json) plus 8 MiB of
// reports and traces.
func estimateBytes(s *spec.Spec, records int) uint64 {
	return uint64(records)*uint64(max(len(s.Attacks), 1))*2048 + 8<<20
}

// errNoSpace marks an output directory without room for the results.
var errNoSpace = errors.New("not enough free space")

// checkFreeSpace fails when dir's file system has less than need bytes
// available to this user. File systems that cannot tell pass.
func checkFreeSpace(dir string, need uint64) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("output directory %s: %w", dir, err)
		}
		return nil
	}
	free := st.Bavail * uint64(st.Bsize)
	if free < need {
		return fmt.Errorf("output directory %s: %w: %d KiB available, the run needs about %d KiB", dir, errNoSpace, free>>10, need>>10)
	}
	return nil
}
