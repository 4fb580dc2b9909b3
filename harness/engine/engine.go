package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/metric"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/spec"
)

// Options tune a run. The zero value runs every record of the Source on
// the given classifiers with the default batch size.
type Options struct {
	// BatchSize is the number of records attacked together, their
	// gradient and predict calls sharing batches (default 4). Batches are
	// cut from the records in ID order, so they are the same for any
	// worker count.
	BatchSize int
	// Filter keeps only the records for which it returns true (e.g. one
	// shard of k/n); nil keeps all. Aggregates cover the kept records.
	Filter func(recordID string) bool
	// Done are rows finished by an earlier, interrupted run (resume).
	// Their (record, attack) pairs are not recomputed; they enter the
	// Result as given. Leave out errored rows that should be retried.
	// Rows of records outside Filter or of attacks not in the spec are
	// ignored.
	Done []RecordResult
	// Sink receives every newly computed row as soon as its record's batch
	// finishes (for a crash journal). Calls are serialised; an error from
	// Sink stops the run.
	Sink func(RecordResult) error
	// Flush, when set, is called after each batch's rows went to Sink
	// (e.g. to fsync a journal once per batch); an error stops the run.
	Flush func() error
	// Progress is called after every batch with the records done so far.
	// Calls are serialised.
	Progress func(Progress)
	// Run identity copied into Result.Run.
	Model          ModelRef
	Dataset        DatasetRef
	HarnessVersion string
	Shard          *Shard
	// Noise adds recorded noise of a kind ("em", "bw", "ma") to a
	// record's recorded span at snrDB, drawing from seed; required by
	// noise-stress attacks (the CLI wires harness/ecg/noise to it).
	Noise func(rec ecg.Record, kind string, snrDB float64, seed uint64) (ecg.Record, error)
	// Logger receives per-record errors at warn level (default: discard).
	Logger *slog.Logger
}

// Progress reports how far a run is.
type Progress struct {
	// Done and Total count records (of this run, after Filter and Done).
	Done, Total int
	// Errored counts records with at least one errored row so far.
	Errored int
}

// ErrNoClassifier is returned by Run when the pool is empty.
var ErrNoClassifier = errors.New("engine: no classifier to run on")

// Run runs the attacks of s on the records of data against the classifiers
// of pool, one worker per classifier (each classifier is used by one
// goroutine at a time, so plugin instances and gorgonia VMs need not be
// goroutine-safe), and returns the Result with its metrics, criteria and
// verdict. Every classifier must describe the same model.
//
// Records whose loading or model calls fail are kept as errored rows with
// the reason. A bad spec/model combination (an unknown target class, a
// plugin gradient the model lacks) is an error before any work starts.
// When ctx is done Run stops between model calls and returns the Result
// of the rows finished so far (already passed to Sink) with ctx's error.
func Run(ctx context.Context, s *spec.Spec, data Source, pool []model.Classifier, opts Options) (*Result, error) {
	if len(pool) == 0 {
		return nil, ErrNoClassifier
	}
	r, err := newRunner(ctx, s, data, pool, opts)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	runErr := r.run(ctx)
	res, err := r.result(ctx)
	if err != nil && runErr == nil {
		runErr = err
	}
	if res != nil {
		res.Timings = &Timings{TotalSeconds: time.Since(start).Seconds(), PerRecord: r.timings}
	}
	return res, runErr
}

type runner struct {
	s       *spec.Spec
	data    Source
	pool    []model.Classifier
	opts    Options
	info    model.Info
	plans   []*plan
	log     *slog.Logger
	classIx map[string]int

	fidelity []float64 // cosines, nil when not checked
	fidPass  bool

	work    [][]int // batches of record indices
	done    map[[2]string]RecordResult
	mu      sync.Mutex
	rows    []RecordResult
	timings map[string]float64
}

func newRunner(ctx context.Context, s *spec.Spec, data Source, pool []model.Classifier, opts Options) (*runner, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 4
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	info := pool[0].Info()
	if len(info.Classes) == 0 {
		return nil, fmt.Errorf("engine: model %q declares no classes", info.Name)
	}
	r := &runner{s: s, data: data, pool: pool, opts: opts, info: info, log: log,
		classIx: map[string]int{}, done: map[[2]string]RecordResult{}, timings: map[string]float64{}}
	for i, c := range info.Classes {
		r.classIx[c] = i
	}
	_, isG := pool[0].(model.Gradienter)
	hasGrad := isG && info.InputGradient

	fallback := false
	if s.GradientFidelity.Records > 0 && hasGrad {
		cs, err := r.checkFidelity(ctx)
		if err != nil {
			return nil, err
		}
		r.fidelity = cs
		r.fidPass = len(cs) > 0
		for _, c := range cs {
			if c < s.GradientFidelity.MinCosine {
				r.fidPass = false
			}
		}
		fallback = !r.fidPass && s.GradientFidelity.OnFailure == spec.OnFailureFallback
	}
	plans, err := makePlans(s, info, hasGrad, fallback, opts.Noise != nil)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	r.plans = plans
	for _, d := range opts.Done {
		r.done[[2]string{d.Record, d.Attack}] = d
	}

	// Work: records in ID order, kept by Filter, with at least one
	// (applicable) attack not yet done, cut into batches.
	idx := make([]int, data.Len())
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ia, _ := data.Meta(idx[a])
		ib, _ := data.Meta(idx[b])
		return ia < ib
	})
	seen := map[string]bool{}
	var todo []int
	for _, i := range idx {
		id, label := data.Meta(i)
		if seen[id] {
			return nil, fmt.Errorf("engine: record %q appears twice in the data", id)
		}
		seen[id] = true
		if opts.Filter != nil && !opts.Filter(id) {
			continue
		}
		pending := false
		for _, p := range plans {
			if !p.applies(label) {
				continue
			}
			if d, ok := r.done[[2]string{id, p.a.ID}]; ok {
				r.rows = append(r.rows, d)
			} else {
				pending = true
			}
		}
		if pending {
			todo = append(todo, i)
		}
	}
	for lo := 0; lo < len(todo); lo += opts.BatchSize {
		r.work = append(r.work, todo[lo:min(lo+opts.BatchSize, len(todo))])
	}
	return r, nil
}

// run processes the batches on the worker pool.
func (r *runner) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan []int)
	var (
		wg         sync.WaitGroup
		firstErr   error
		errOnce    sync.Once
		finished   int
		errored    int
		sinkFailed bool
	)
	total := 0
	for _, b := range r.work {
		total += len(b)
	}
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	for _, clf := range r.pool {
		wg.Add(1)
		go func(clf model.Classifier) {
			defer wg.Done()
			for batch := range jobs {
				rows, secs, err := r.batch(ctx, clf, batch)
				if err != nil {
					fail(err)
					continue
				}
				r.mu.Lock()
				var sinkErr error
				for _, row := range rows {
					if r.opts.Sink != nil && sinkErr == nil && !sinkFailed {
						if err := r.opts.Sink(row); err != nil {
							sinkErr = fmt.Errorf("engine: write result of record %q: %w", row.Record, err)
							sinkFailed = true
						}
					}
					r.rows = append(r.rows, row)
				}
				if r.opts.Flush != nil && sinkErr == nil && !sinkFailed {
					if err := r.opts.Flush(); err != nil {
						sinkErr = fmt.Errorf("engine: flush results: %w", err)
						sinkFailed = true
					}
				}
				for id, s := range secs {
					r.timings[id] = s
				}
				finished += len(batch)
				errored += countErroredRecords(rows)
				if r.opts.Progress != nil {
					r.opts.Progress(Progress{Done: finished, Total: total, Errored: errored})
				}
				r.mu.Unlock()
				if sinkErr != nil {
					fail(sinkErr)
				}
			}
		}(clf)
	}
loop:
	for _, b := range r.work {
		select {
		case jobs <- b:
		case <-ctx.Done():
			break loop
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return context.Cause(ctx)
}

func countErroredRecords(rows []RecordResult) int {
	bad := map[string]bool{}
	for _, r := range rows {
		if r.Error != "" {
			bad[r.Record] = true
		}
	}
	return len(bad)
}

// loaded is one record of a batch.
type loaded struct {
	i      int
	id     string
	rec    ecg.Record
	label  int // true class index, -1 unknown
	clean  []float64
	cleanY int
	err    error
	adv    map[int][]float64 // plan index → successful adversarial example
}

// batch runs every pending attack on the records of one batch with clf.
// Only a context or programming error is returned; model failures become
// errored rows.
func (r *runner) batch(ctx context.Context, clf model.Classifier, batch []int) ([]RecordResult, map[string]float64, error) {
	secs := map[string]float64{} // "record/attack" → seconds, the batch's share
	recs := make([]*loaded, len(batch))
	for k, i := range batch {
		id, label := r.data.Meta(i)
		l := &loaded{i: i, id: id, label: -1, cleanY: -1, adv: map[int][]float64{}}
		recs[k] = l
		rec, err := r.data.Load(ctx, i)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			l.err = fmt.Errorf("load: %w", err)
			continue
		}
		if rec.ID != id || rec.Label != label {
			l.err = fmt.Errorf("load: got record %q (%q), want %q (%q)", rec.ID, rec.Label, id, label)
			continue
		}
		l.rec = rec
		l.err = r.checkRecord(rec)
		if y, ok := r.classIx[label]; ok {
			l.label = y
		} else if l.err == nil {
			l.err = fmt.Errorf("label %q is not one of the model's classes %v", label, r.info.Classes)
		}
	}
	// Clean predictions.
	var idx []int
	var items []attack.Item
	for k, l := range recs {
		if l.err == nil {
			idx = append(idx, k)
			items = append(items, attack.Item{Record: l.rec, Label: l.label, Target: -1})
		}
	}
	if len(items) > 0 {
		o := attack.NewOracle(clf, nil, items, 0)
		all := make([]int, len(items))
		xs := make([][]float64, len(items))
		for j := range items {
			all[j], xs[j] = j, items[j].Record.Signal.Samples
		}
		sc, err := o.Predict(ctx, all, xs)
		if err != nil {
			return nil, nil, err
		}
		for j, k := range idx {
			if e := o.Err(j); e != nil {
				recs[k].err = fmt.Errorf("clean %w", e)
				continue
			}
			recs[k].clean = sc[j]
			recs[k].cleanY = model.Argmax(sc[j])
		}
	}

	var rows []RecordResult
	for pi, p := range r.plans {
		var pending []*loaded
		for _, l := range recs {
			_, label := r.data.Meta(l.i)
			if !p.applies(label) {
				continue
			}
			_, isDone := r.done[[2]string{l.id, p.a.ID}]
			if isDone && !(p.used && r.laterCollatePending(pi, l.id)) {
				continue
			}
			pending = append(pending, l)
		}
		if len(pending) == 0 {
			continue
		}
		var out []RecordResult
		var err error
		ta := time.Now()
		switch {
		case p.collate != nil:
			out, err = r.runCollate(ctx, clf, pi, p, pending)
		case p.noise:
			out, err = r.runNoise(ctx, clf, p, pending)
		default:
			out, err = r.runGradient(ctx, clf, pi, p, pending)
		}
		if err != nil {
			return nil, nil, err
		}
		per := time.Since(ta).Seconds() / float64(len(pending))
		for _, row := range out {
			if _, isDone := r.done[[2]string{row.Record, row.Attack}]; !isDone {
				rows = append(rows, row)
				secs[row.Record+"/"+row.Attack] = per
			}
		}
	}
	for _, l := range recs {
		if l.err != nil {
			r.log.Warn("record errored", "record", l.id, "err", l.err)
		}
	}
	return rows, secs, nil
}

// laterCollatePending reports whether a collate attack of base plan pi has
// not yet produced its row for record id.
func (r *runner) laterCollatePending(pi int, id string) bool {
	for _, q := range r.plans {
		if q.collate != nil && q.of == pi {
			if _, ok := r.done[[2]string{id, q.a.ID}]; !ok {
				return true
			}
		}
	}
	return false
}

// checkRecord rejects records the model cannot take.
func (r *runner) checkRecord(rec ecg.Record) error {
	sig := rec.Signal
	if err := sig.Validate(); err != nil {
		return err
	}
	if r.info.SampleRate > 0 && math.Abs(sig.Rate-r.info.SampleRate) > 1e-9*r.info.SampleRate {
		return fmt.Errorf("record is at %v Hz, the model expects %v Hz", sig.Rate, r.info.SampleRate)
	}
	if r.info.Gain > 0 && math.Abs(sig.Gain-r.info.Gain) > 1e-9*r.info.Gain {
		return fmt.Errorf("record is at %v adu/mV, the model expects %v adu/mV", sig.Gain, r.info.Gain)
	}
	n := len(sig.Samples)
	if (r.info.MinLength > 0 && n < r.info.MinLength) || (r.info.MaxLength > 0 && n > r.info.MaxLength) {
		return fmt.Errorf("record has %d samples, the model takes %d to %d", n, r.info.MinLength, r.info.MaxLength)
	}
	vs := rec.ValidSpan()
	if vs.Start < 0 || vs.End > n || vs.Start > vs.End {
		return fmt.Errorf("record's valid span [%d, %d) is outside its %d samples", vs.Start, vs.End, n)
	}
	return nil
}

// baseRow is the part of a row known before an attack runs.
func (r *runner) baseRow(p *plan, l *loaded) RecordResult {
	_, label := r.data.Meta(l.i)
	row := RecordResult{Record: l.id, Attack: p.a.ID, TrueLabel: label}
	if l.err != nil {
		row.Error = l.err.Error()
		return row
	}
	row.CleanLabel = r.info.Classes[l.cleanY]
	row.CleanScores = l.clean
	row.AdvLabel = row.CleanLabel
	return row
}

// attacked reports whether a record enters plan p's denominator: correctly
// classified before, and not already of the target class.
func attacked(p *plan, l *loaded) bool {
	if l.err != nil || l.cleanY != l.label {
		return false
	}
	return p.target < 0 || l.label != p.target
}

func (r *runner) gradientSource(p *plan, clf model.Classifier) attack.Gradient {
	switch p.gradient {
	case attack.SourcePlugin:
		return attack.WhiteBox{}
	case attack.SourceSearch:
		return nil // the search asks for no gradient
	}
	return p.fd
}

func (r *runner) runGradient(ctx context.Context, clf model.Classifier, pi int, p *plan, recs []*loaded) ([]RecordResult, error) {
	rows := make([]RecordResult, len(recs))
	var items []attack.Item
	var which []int
	for k, l := range recs {
		rows[k] = r.baseRow(p, l)
		if attacked(p, l) {
			rows[k].Attacked = true
			items = append(items, attack.Item{Record: l.rec, Label: l.label, Target: p.target,
				Rand: RecordRand(r.s.Seed, l.id, p.a.ID)})
			which = append(which, k)
		}
	}
	if len(items) == 0 {
		return rows, nil
	}
	o := attack.NewOracle(clf, r.gradientSource(p, clf), items, p.budget)
	out, err := p.method.Attack(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("attack %q: %w", p.a.ID, err)
	}
	for j, oc := range out {
		k := which[j]
		l := recs[k]
		row := &rows[k]
		row.Queries = oc.Queries
		if oc.Err != nil {
			row.Error = oc.Err.Error()
			row.AdvLabel = ""
			continue
		}
		if oc.Adversarial == nil {
			row.Error = "attack produced no adversarial example"
			row.AdvLabel = ""
			continue
		}
		row.AdvScores = oc.Scores
		row.AdvLabel = r.info.Classes[oc.Label]
		row.Success = oc.Success
		fillPerturbation(row, l.rec, oc.Adversarial)
		if oc.Exhausted {
			row.Extra = map[string]float64{"budget_exhausted": 1}
		}
		if oc.Success && p.used {
			l.adv[pi] = oc.Adversarial
		}
	}
	return rows, nil
}

// fillPerturbation sets the size and shape figures of a row from the
// perturbation over the record's recorded span.
func fillPerturbation(row *RecordResult, rec ecg.Record, adv []float64) {
	vs := rec.ValidSpan()
	x := rec.Signal.Samples[vs.Start:vs.End]
	a := adv[vs.Start:vs.End]
	row.LinfUV = metric.LinfUV(x, a, rec.Signal.Gain)
	row.L2UV = metric.L2UV(x, a, rec.Signal.Gain)
	if snr, ok := metric.SNRdB(x, a); ok {
		row.SNRdB = &snr
	}
	d := make([]float64, len(x))
	for i := range d {
		d[i] = a[i] - x[i]
	}
	row.HighFreqFraction = metric.HighFrequencyFraction(d, rec.Signal.Rate, 40)
}

func (r *runner) runCollate(ctx context.Context, clf model.Classifier, pi int, p *plan, recs []*loaded) ([]RecordResult, error) {
	rows := make([]RecordResult, len(recs))
	var items []attack.Item
	var advs [][]float64
	var which []int
	for k, l := range recs {
		rows[k] = r.baseRow(p, l)
		if l.err != nil {
			continue
		}
		adv := l.adv[p.of]
		if adv == nil {
			continue
		}
		rows[k].Attacked = true
		items = append(items, attack.Item{Record: l.rec, Label: l.label, Target: p.target,
			Rand: RecordRand(r.s.Seed, l.id, p.a.ID)})
		advs = append(advs, adv)
		which = append(which, k)
	}
	if len(items) == 0 {
		return rows, nil
	}
	o := attack.NewOracle(clf, nil, items, 0)
	out, err := p.collate.Run(ctx, o, advs)
	if err != nil {
		return nil, fmt.Errorf("attack %q: %w", p.a.ID, err)
	}
	for j, oc := range out {
		row := &rows[which[j]]
		row.Queries = oc.Queries
		if oc.Err != nil {
			row.Error = oc.Err.Error()
			continue
		}
		row.AdvLabel = ""
		row.Success = oc.NoiseAdversarial > 0
		row.Extra = map[string]float64{
			"gaussian_trials":      float64(oc.NoiseTrials),
			"gaussian_adversarial": float64(oc.NoiseAdversarial),
			"concat_trials":        float64(oc.ConcatTrials),
			"concat_adversarial":   float64(oc.ConcatAdversarial),
			"uniform_trials":       float64(oc.BandTrials),
			"uniform_adversarial":  float64(oc.BandAdversarial),
		}
	}
	return rows, nil
}

// checkFidelity runs the gradient-fidelity check on the first records (in
// ID order) of the whole data set, whatever the filter, so every shard
// computes the same figures.
func (r *runner) checkFidelity(ctx context.Context) ([]float64, error) {
	n := r.data.Len()
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool {
		ia, _ := r.data.Meta(idx[a])
		ib, _ := r.data.Meta(idx[b])
		return ia < ib
	})
	var items []attack.Item
	for _, i := range idx {
		if len(items) == r.s.GradientFidelity.Records {
			break
		}
		rec, err := r.data.Load(ctx, i)
		if err != nil || r.checkRecord(rec) != nil {
			continue
		}
		y, ok := r.classIx[rec.Label]
		if !ok {
			continue
		}
		items = append(items, attack.Item{Record: rec, Label: y, Target: -1, Rand: RecordRand(r.s.Seed, rec.ID, "gradient_fidelity")})
	}
	if len(items) == 0 {
		return nil, nil
	}
	o := attack.NewOracle(r.pool[0], nil, items, 0)
	cs, err := attack.Fidelity{Downsample: DefaultFDDownsample}.Check(ctx, o)
	if err != nil {
		return nil, fmt.Errorf("engine: gradient fidelity: %w", err)
	}
	var out []float64
	for i, c := range cs {
		if o.Err(i) == nil {
			out = append(out, c)
		}
	}
	return out, nil
}
