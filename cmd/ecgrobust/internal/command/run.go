package command

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/dataset"
	"github.com/ecgrobust/ecgrobust/harness/ecg/noise"
	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
)

// RunOptions are the inputs of `ecgrobust run`.
type RunOptions struct {
	Factory *Factory
	// Spec is a spec file or a bundled spec name.
	Spec   string
	Global GlobalOptions
	// Model overrides the spec's model.plugin (a plugin path or
	// "reference"); ModelSHA256 its pin.
	Model, ModelSHA256 string
	// Scale holds --shard, --shard-count and --resume (shard.go).
	Scale ScaleOptions
}

const runLong = `Run a spec: load the data, start the model (a plugin binary, or the
reference CNN in process), run every attack, apply the criteria and write
results.json and the reports into --out. SPEC is a file or the name of a
bundled spec ('ecgrobust specs list').

Progress shows as a bar with an ETA on a terminal and as log lines
otherwise. Ctrl-C stops cleanly: finished records are kept and plugin
processes are killed.

Every finished record is also appended to OUT/journal.jsonl as it
completes; after a crash or a kill, --resume OUT completes the run without
computing those records again. --shard k/n (or --shard auto under a
Kubernetes Indexed Job or a Slurm job array) runs one part of the records
and writes part.json; 'ecgrobust merge' joins the parts.

Exit codes: 0 PASS, 1 FAIL, 2 INCONCLUSIVE, 3 invalid spec or usage,
4 runtime error (plugin, data or I/O).

Docs: docs/vendor-guide.md (testing your model), docs/ci-guide.md (release
gates), docs/spec-reference.md (spec fields and metric names).`

func newCmdRun(f *Factory, runF func(context.Context, *RunOptions) error) *cobra.Command {
	opts := &RunOptions{Factory: f}
	cmd := &cobra.Command{
		Use:               "run SPEC",
		Short:             "Run a spec and exit with its verdict",
		Long:              runLong,
		Example:           "  ecgrobust run ci-gate-quick --out out/demo\n  ecgrobust run audit-full --model ./my-plugin --workers 2",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeSpecArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Spec, opts.Global = args[0], f.Global
			if opts.ModelSHA256 != "" && opts.Model == "" {
				return usageErrorf("--model-sha256 needs --model")
			}
			if err := opts.Scale.resolve(cmd, &opts.Global); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Model, "model", "", "plugin binary to test, or \"reference\" (overrides the spec's model.plugin)")
	cmd.Flags().StringVar(&opts.ModelSHA256, "model-sha256", "", "SHA-256 pin of the --model binary")
	addScaleFlags(cmd, &opts.Scale)
	return cmd
}

// runInput is what the engine runs on.
type runInput struct {
	Spec    *spec.Spec
	Data    *dataset.Stream
	Model   *OpenedModel
	Version string
	Log     *slog.Logger
	// Noise is the NSTDB noise source for noise-stress attacks (nil when
	// the spec has none).
	Noise *noise.Source
	// Progress is called after every batch with records done and total.
	Progress func(done, total int)
	// Scale is the journal, shard and resume state (shard.go); nil runs
	// everything without a journal.
	Scale *scaleRun
}

// runEngine runs the spec's attacks over the records. A test replaces it.
var runEngine = func(ctx context.Context, in runInput) (*engine.Result, error) {
	d := in.Data
	src, err := inputSource(d, in.Spec, in.Model.Pool[0].Info())
	if err != nil {
		return nil, err
	}
	return engine.Run(ctx, in.Spec, src, in.Model.Pool, in.Scale.options(engine.Options{
		Progress:       func(p engine.Progress) { in.Progress(p.Done, p.Total) },
		Model:          engine.ModelRef{Kind: in.Model.Kind, SHA256: in.Model.SHA256},
		Dataset:        engine.DatasetRef{Source: d.Config.Source, Split: in.Spec.Dataset.Split, SHA256: d.SHA256, Records: d.Len()},
		HarnessVersion: in.Version,
		Logger:         in.Log,
		Noise:          noiseFunc(in.Noise),
	}))
}

func runRun(ctx context.Context, opts *RunOptions) error {
	f := opts.Factory
	log := f.logger(opts.Global.Quiet)
	s, err := loadSpec(opts.Spec)
	if err != nil {
		return err
	}
	if err := applyOverrides(s, opts); err != nil {
		return err
	}
	log.Info("spec", "name", s.Metadata.Name, "version", s.Metadata.Version, "sha256", s.SHA256)
	if err := checkOutDir(opts.Global.Out); err != nil {
		return withCode(ExitRuntime, err)
	}
	set, err := dataset.Open(ctx, datasetConfig(s, opts.Global.Data)) // records decoded per batch
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("load data: %w", err))
	}
	defer set.Close()
	log.Info("data", "origin", set.Origin, "records", set.Len(), "sha256", set.SHA256)
	m, err := f.OpenClassifier(ctx, ClassifierRequest{Model: s.Model, SpecDir: specDir(s), Instances: s.Model.Instances, Logger: log})
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("open model: %w (troubleshooting: docs/vendor-guide.md#when-something-goes-wrong)", err))
	}
	defer func() {
		if err := m.Close(); err != nil {
			log.Warn("close model", "err", err)
		}
	}()
	if _, err := resolveInput(s.Preprocessing, m.Pool[0].Info()); err != nil {
		return &exitError{code: ExitUsage, err: fmt.Errorf("spec and model disagree: %w", err)}
	}
	var ns *noise.Source
	if needsNoise(s) {
		if ns, err = noise.Load(opts.Global.Data); err != nil {
			return withCode(ExitRuntime, fmt.Errorf("load NSTDB noise for the noise-stress attack (set --data to the directory holding nstdb/ and mitdb/): %w", err))
		}
	}
	sc, err := startScale(opts, s, set, m, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := sc.close(); err != nil {
			log.Warn("close journal", "err", err)
		}
	}()
	prog := newProgress(f.Stderr, f.IsTerminal, opts.Global.Quiet, log, s.Metadata.Name)
	res, runErr := runEngine(ctx, runInput{Spec: s, Data: set, Model: m, Version: Version, Log: log, Noise: ns, Progress: prog.Update, Scale: sc})
	prog.Finish()
	if sc.partial() {
		return sc.finishPart(f, opts, res, runErr)
	}
	if res == nil {
		return withCode(ExitRuntime, fmt.Errorf("run %s: %w", s.Metadata.Name, runErr))
	}
	if runErr != nil {
		// A partial run proves nothing either way.
		res.Verdict = verdict.Inconclusive
		res.Reason = fmt.Sprintf("the run stopped early (%v); the results cover only the records finished", runErr)
	} else if res.Verdict == "" {
		if err := applyVerdict(s, res); err != nil {
			return withCode(ExitRuntime, err)
		}
	}
	paths, err := writeReports(opts.Global.Out, s, res, []string{set.Origin})
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("write reports: %w", err))
	}
	if runErr != nil { // interrupted or failed midway: what finished is on disk
		return withCode(ExitRuntime, fmt.Errorf("run %s stopped early (finished results kept in %s; complete it with --resume %s): %w", s.Metadata.Name, opts.Global.Out, opts.Global.Out, runErr))
	}
	printVerdict(f, opts.Global, res, paths)
	return verdictExit(res.Verdict)
}

// applyOverrides applies --seed, --workers and --model to s and renews its
// identity.
func applyOverrides(s *spec.Spec, opts *RunOptions) error {
	changed := false
	if opts.Global.SeedSet {
		s.Seed, changed = opts.Global.Seed, true
	}
	if opts.Global.Workers > 0 {
		s.Model.Instances = opts.Global.Workers // not part of what is tested
	}
	if opts.Model != "" {
		s.Model.Plugin, s.Model.SHA256, changed = opts.Model, opts.ModelSHA256, true
		if s.Model.IsReference() {
			s.Model.Args = nil
		} else if p, err := filepath.Abs(opts.Model); err == nil {
			s.Model.Plugin = p
		}
	}
	if err := s.Validate(); err != nil {
		return &exitError{code: ExitUsage, err: fmt.Errorf("spec after command-line overrides:\n%w", err)}
	}
	if changed {
		id, err := s.Identity()
		if err != nil {
			return err
		}
		s.SHA256 = id
	}
	return nil
}

// specDir is the directory relative plugin paths start from.
func specDir(s *spec.Spec) string {
	if s.File == "" || strings.HasPrefix(s.File, bundledPrefix) {
		return ""
	}
	return filepath.Dir(s.File)
}

// datasetConfig maps the spec's dataset section to the data layer's.
func datasetConfig(s *spec.Spec, dataRoot string) dataset.Config {
	d := s.Dataset
	c := dataset.Config{Source: d.Source, Path: d.Path, Split: d.Split, Classes: d.Classes, PerClass: d.PerClass}
	if c.Path == "" && d.Source != spec.SourceDemo {
		c.Path = dataRoot
	}
	if c.Split == "all" {
		c.Split = ""
	}
	if d.Seed != nil {
		c.Seed = *d.Seed
	}
	if !defaultPreprocessing(s.Preprocessing) {
		c.Preprocess = dataset.None // fitted by inputSource
	}
	return c
}

// checkOutDir makes dir and checks it is writable before the long work.
func checkOutDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	probe, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", dir, err)
	}
	name := probe.Name()
	probe.Close()
	return os.Remove(name)
}

// applyVerdict evaluates the spec's criteria on res.Metrics when the engine
// left the verdict to the caller.
func applyVerdict(s *spec.Spec, res *engine.Result) error {
	crit := make([]verdict.Criterion, len(s.Criteria))
	for i, c := range s.Criteria {
		crit[i] = verdict.Criterion{ID: c.ID, Description: c.Description, Expr: c.Expr, Severity: c.Severity}
	}
	set, err := verdict.Compile(crit, s.Variables())
	if err != nil {
		return fmt.Errorf("compile criteria: %w", err)
	}
	rep := set.Evaluate(res.Metrics, s.Unreliable(res.Metrics))
	res.Criteria, res.Verdict, res.Reason = rep.Criteria, rep.Outcome, rep.Reason
	return nil
}

// verdictExit maps a verdict to the command's error: nil for PASS.
func verdictExit(o verdict.Outcome) error {
	switch o {
	case verdict.Pass:
		return nil
	case verdict.Fail:
		return &exitError{code: ExitFail}
	}
	return &exitError{code: ExitInconclusive}
}

func (f *Factory) logger(quiet bool) *slog.Logger {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(f.Stderr, &slog.HandlerOptions{Level: level}))
}

// needsNoise reports whether s has a noise-stress attack.
func needsNoise(s *spec.Spec) bool {
	for _, a := range s.Attacks {
		if a.Type == spec.TypeNoiseStress {
			return true
		}
	}
	return false
}

// noiseFunc adapts a noise source to engine.Options.Noise.
func noiseFunc(src *noise.Source) func(ecg.Record, string, float64, uint64) (ecg.Record, error) {
	if src == nil {
		return nil
	}
	return func(rec ecg.Record, kind string, snrDB float64, seed uint64) (ecg.Record, error) {
		out, _, err := src.AddRecord(rec, noise.Options{Kind: noise.Kind(kind), SNR: snrDB, Seed: seed})
		return out, err
	}
}
