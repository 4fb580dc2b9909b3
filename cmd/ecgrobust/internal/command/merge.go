package command

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ecgrobust/ecgrobust/harness/ecg/dataset"
	"github.com/ecgrobust/ecgrobust/harness/ecg/noise"
	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/shard"
	"github.com/ecgrobust/ecgrobust/harness/spec"
)

// MergeOptions are the inputs of `ecgrobust merge`.
type MergeOptions struct {
	Factory *Factory
	// Parts are shard output directories (or part.json files).
	Parts  []string
	Global GlobalOptions
	// DataSet is true when --data was given; else the parts' data root
	// is used.
	DataSet bool
}

const mergeLong = `Merge the parts of a sharded run ('ecgrobust run SPEC --shard k/n') into
one result: results.json, the reports and the manifest in --out, and the
verdict as the exit code, exactly as a single run of the whole spec would
have written them (results.json is byte-identical).

merge checks that the parts come from the same spec, model, data and
seed, that every part k/n is there once, and that every (record, attack)
pair of the data set is covered exactly once; it names what is missing or
doubled. It then loads the spec, data and model again (the parts record
how) to recompute the aggregates, the gradient-fidelity check and the
example traces; no record is attacked again.

Exit codes: 0 PASS, 1 FAIL, 2 INCONCLUSIVE, 3 the parts do not fit
together or usage, 4 runtime error.`

func newCmdMerge(f *Factory, runF func(context.Context, *MergeOptions) error) *cobra.Command {
	opts := &MergeOptions{Factory: f}
	return &cobra.Command{
		Use:     "merge PART_DIR...",
		Short:   "Merge the parts of a sharded run into one result and verdict",
		Long:    mergeLong,
		Example: "  ecgrobust merge out/part-*/ --out out/merged",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Parts, opts.Global = args, f.Global
			opts.DataSet = cmd.Flags().Changed("data")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runMerge(cmd.Context(), opts)
		},
	}
}

// loadedPart is a part.json and where it was read from.
type loadedPart struct {
	path string
	partFile
}

func readParts(args []string) ([]loadedPart, error) {
	var parts []loadedPart
	for _, a := range args {
		path := a
		if st, err := os.Stat(a); err == nil && st.IsDir() {
			path = filepath.Join(a, PartFile)
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usageErrorf("part %s: no %s (did the shard finish? a stopped shard resumes with 'ecgrobust run SPEC --shard k/n --resume DIR')", a, PartFile)
		}
		if err != nil {
			return nil, withCode(ExitRuntime, fmt.Errorf("read part: %w", err))
		}
		var p partFile
		if err := decodeStrict(b, &p); err != nil {
			return nil, usageErrorf("part %s: %w", path, err)
		}
		if p.Format != PartFormat {
			return nil, usageErrorf("part %s: format %q, want %q", path, p.Format, PartFormat)
		}
		if p.Result == nil || p.Result.Run.Shard == nil {
			return nil, usageErrorf("part %s: not the result of a sharded run (no run.shard)", path)
		}
		parts = append(parts, loadedPart{path: path, partFile: p})
	}
	return parts, nil
}

// checkParts checks that the parts belong to one run and that each part
// k/n is there exactly once.
func checkParts(parts []loadedPart) error {
	first := parts[0]
	r0 := first.Result.Run
	n := r0.Shard.Count
	seen := make(map[int]string, n)
	var problems []string
	for _, p := range parts {
		r := p.Result.Run
		differ := func(what, a, b string) {
			problems = append(problems, fmt.Sprintf("%s: %s is %s, but %s in %s", p.path, what, b, a, first.path))
		}
		switch {
		case r.Spec.SHA256 != r0.Spec.SHA256:
			differ("spec sha256", r0.Spec.SHA256, r.Spec.SHA256)
		case r.Model.SHA256 != r0.Model.SHA256:
			differ("model sha256", r0.Model.SHA256, r.Model.SHA256)
		case r.Dataset.SHA256 != r0.Dataset.SHA256:
			differ("dataset sha256", r0.Dataset.SHA256, r.Dataset.SHA256)
		case r.Seed != r0.Seed:
			differ("seed", fmt.Sprint(r0.Seed), fmt.Sprint(r.Seed))
		case r.HarnessVersion != r0.HarnessVersion:
			differ("harness version", r0.HarnessVersion, r.HarnessVersion)
		case r.Shard.Count != n:
			differ("shard count", fmt.Sprint(n), fmt.Sprint(r.Shard.Count))
		}
		if prev, ok := seen[r.Shard.Index]; ok {
			problems = append(problems, fmt.Sprintf("part %d/%d is given twice: %s and %s", r.Shard.Index, n, prev, p.path))
		}
		seen[r.Shard.Index] = p.path
	}
	var missing []string
	for k := range n {
		if _, ok := seen[k]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", k, n))
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "missing parts: "+strings.Join(missing, ", "))
	}
	if len(problems) > 0 {
		return usageErrorf("the parts do not make one run:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// checkCoverage checks that every (record, attack) pair the spec asks
// for on recs is in exactly one part, the part its record belongs to.
func checkCoverage(s *spec.Spec, data engine.Source, parts []loadedPart) error {
	classes := map[string][]string{}
	for _, a := range s.Attacks {
		classes[a.ID] = a.Classes
		if a.Type == spec.TypeCollate {
			classes[a.ID] = classes[a.Of]
		}
	}
	applies := func(id, label string) bool {
		c := classes[id]
		if len(c) == 0 {
			return true
		}
		for _, x := range c {
			if x == label {
				return true
			}
		}
		return false
	}
	labels := make(map[string]string, data.Len())
	for i := range data.Len() {
		id, label := data.Meta(i)
		labels[id] = label
	}
	where := map[[2]string]string{}
	var doubled, stray []string
	for _, p := range parts {
		sh := p.Result.Run.Shard
		for _, row := range p.Result.Records {
			key := [2]string{row.Record, row.Attack}
			label, known := labels[row.Record]
			_, knownAttack := classes[row.Attack]
			switch {
			case !known || !knownAttack || !applies(row.Attack, label):
				stray = append(stray, fmt.Sprintf("%s/%s in %s is not part of the run", row.Record, row.Attack, p.path))
			case shard.Of(row.Record, sh.Count) != sh.Index:
				stray = append(stray, fmt.Sprintf("%s/%s in %s belongs to part %d/%d", row.Record, row.Attack, p.path, shard.Of(row.Record, sh.Count), sh.Count))
			}
			if prev, ok := where[key]; ok {
				doubled = append(doubled, fmt.Sprintf("%s/%s (in %s and %s)", row.Record, row.Attack, prev, p.path))
				continue
			}
			where[key] = p.path
		}
	}
	var missing []string
	for i := range data.Len() {
		id, label := data.Meta(i)
		for _, a := range s.Attacks {
			if applies(a.ID, label) {
				if _, ok := where[[2]string{id, a.ID}]; !ok {
					missing = append(missing, fmt.Sprintf("%s/%s (part %d)", id, a.ID, shard.Of(id, parts[0].Result.Run.Shard.Count)))
				}
			}
		}
	}
	var problems []string
	list := func(what string, l []string) {
		if len(l) == 0 {
			return
		}
		sort.Strings(l)
		more := ""
		if len(l) > 10 {
			more, l = fmt.Sprintf(" and %d more", len(l)-10), l[:10]
		}
		problems = append(problems, fmt.Sprintf("%s (record/attack): %s%s", what, strings.Join(l, ", "), more))
	}
	list("missing", missing)
	list("doubled", doubled)
	list("unexpected", stray)
	if len(problems) > 0 {
		return usageErrorf("the parts do not cover the run exactly once:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// partSpec loads the spec of a part as its run did: the spec argument
// with the --model and --seed overrides, and checks it is the spec the
// part ran.
func partSpec(p loadedPart, g GlobalOptions) (*spec.Spec, error) {
	s, err := loadSpec(p.Spec)
	if err != nil {
		return nil, err
	}
	ro := &RunOptions{Model: p.Model, ModelSHA256: p.ModelSHA256, Global: g}
	ro.Global.SeedSet = p.Seed != nil
	if p.Seed != nil {
		ro.Global.Seed = *p.Seed
	}
	if err := applyOverrides(s, ro); err != nil {
		return nil, err
	}
	if want := p.Result.Run.Spec.SHA256; s.SHA256 != want {
		return nil, usageErrorf("spec %s has changed since the parts ran: its sha256 is %s, the parts' %s", p.Spec, s.SHA256, want)
	}
	return s, nil
}

func runMerge(ctx context.Context, opts *MergeOptions) error {
	f := opts.Factory
	log := f.logger(opts.Global.Quiet)
	parts, err := readParts(opts.Parts)
	if err != nil {
		return err
	}
	if err := checkParts(parts); err != nil {
		return err
	}
	p0, run0 := parts[0], parts[0].Result.Run
	if run0.HarnessVersion != Version {
		log.Warn("the parts were run by another ecgrobust version", "parts", run0.HarnessVersion, "this", Version)
	}
	s, err := partSpec(p0, opts.Global)
	if err != nil {
		return err
	}
	if err := checkOutDir(opts.Global.Out); err != nil {
		return withCode(ExitRuntime, err)
	}
	dataRoot := opts.Global.Data
	if p0.Data != "" && !opts.DataSet {
		dataRoot = p0.Data
	}
	set, err := dataset.Open(ctx, datasetConfig(s, dataRoot))
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("load data: %w", err))
	}
	defer set.Close()
	if set.SHA256 != run0.Dataset.SHA256 {
		return usageErrorf("the data (%s) has sha256 %s, the parts ran on %s", set.Origin, set.SHA256, run0.Dataset.SHA256)
	}
	if err := checkCoverage(s, set, parts); err != nil {
		return err
	}
	var ns *noise.Source
	if needsNoise(s) {
		if ns, err = noise.Load(dataRoot); err != nil {
			return withCode(ExitRuntime, fmt.Errorf("load NSTDB noise: %w", err))
		}
	}
	m, err := f.OpenClassifier(ctx, ClassifierRequest{Model: s.Model, SpecDir: specDir(s), Instances: 1, Logger: log})
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("open model: %w", err))
	}
	defer func() {
		if err := m.Close(); err != nil {
			log.Warn("close model", "err", err)
		}
	}()
	if m.SHA256 != run0.Model.SHA256 {
		return usageErrorf("the model has sha256 %s, the parts ran %s", m.SHA256, run0.Model.SHA256)
	}
	var rows int
	sc := &scaleRun{strict: true, log: log}
	for _, p := range parts {
		sc.done = append(sc.done, p.Result.Records...)
		rows += len(p.Result.Records)
	}
	log.Info("merging", "parts", len(parts), "rows", rows)
	res, err := runEngine(ctx, runInput{Spec: s, Data: set, Model: m, Version: run0.HarnessVersion, Log: log, Noise: ns,
		Progress: func(int, int) {}, Scale: sc})
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("merge: %w", err))
	}
	paths, err := writeReports(opts.Global.Out, s, res, []string{set.Origin})
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("write reports: %w", err))
	}
	printVerdict(f, opts.Global, res, paths)
	return verdictExit(res.Verdict)
}
