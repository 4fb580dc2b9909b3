package engine

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/metric"
	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
)

// Metric names the engine adds to those of package spec (AttackSummary
// metrics, unprefixed; in Result.Metrics they carry the attack prefix).
const (
	// MetricSucceeded counts successful attacked records (pgd, sap).
	MetricSucceeded = "succeeded"
	// MetricHighFreqMedian is the median fraction of perturbation energy
	// above 40 Hz over attacked records (the paper's smoothness figure).
	MetricHighFreqMedian = "high_freq_fraction_median"
	// MetricLinfMaxUV is the largest L∞ perturbation, µV.
	MetricLinfMaxUV = "linf_uv_max"
	// MetricBudgetExhausted is the fraction of attacked records whose
	// query budget ran out.
	MetricBudgetExhausted = "budget_exhausted_fraction"
	// MetricGaussianAnyFraction is, for a collate attack, the fraction of
	// collated records for which at least one Gaussian resample stayed
	// adversarial.
	MetricGaussianAnyFraction = "gaussian_any_fraction"
	// CurveSuccessVsQueries is the name of the success-rate-vs-queries
	// curve of a gradient attack.
	CurveSuccessVsQueries = "success_vs_queries"
)

// result assembles the Result from the rows gathered so far.
func (r *runner) result(ctx context.Context) (*Result, error) {
	pos := map[string]int{}
	for i, p := range r.plans {
		pos[p.a.ID] = i
	}
	rows := r.rows
	sort.SliceStable(rows, func(a, b int) bool {
		if rows[a].Record != rows[b].Record {
			return rows[a].Record < rows[b].Record
		}
		return pos[rows[a].Attack] < pos[rows[b].Attack]
	})
	res := &Result{
		SchemaVersion: SchemaVersion,
		Run: RunInfo{
			Spec:           SpecRef{Name: r.s.Metadata.Name, Version: r.s.Metadata.Version, SHA256: r.s.SHA256},
			Model:          r.modelRef(),
			Dataset:        r.opts.Dataset,
			Seed:           r.s.Seed,
			HarnessVersion: r.opts.HarnessVersion,
			Shard:          r.opts.Shard,
		},
		Records: rows,
		Metrics: map[string]float64{},
	}
	if res.Records == nil {
		res.Records = []RecordResult{}
	}
	r.runMetrics(res)
	for _, p := range r.plans {
		sum := r.summarise(p, rows)
		res.Attacks = append(res.Attacks, sum)
		for k, v := range sum.Metrics {
			res.Metrics[spec.MetricName(p.a.ID, k)] = v
		}
	}
	for k, v := range res.Metrics {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(res.Metrics, k)
		}
	}
	crit := make([]verdict.Criterion, len(r.s.Criteria))
	for i, c := range r.s.Criteria {
		crit[i] = verdict.Criterion{ID: c.ID, Description: c.Description, Expr: c.Expr, Severity: c.Severity}
	}
	set, err := verdict.Compile(crit, r.s.Variables())
	if err != nil {
		return res, fmt.Errorf("engine: compile criteria: %w", err)
	}
	rep := set.Evaluate(res.Metrics, r.s.Unreliable(res.Metrics))
	res.Criteria, res.Verdict, res.Reason = rep.Criteria, rep.Outcome, rep.Reason
	if res.Criteria == nil {
		res.Criteria = []verdict.CriterionResult{}
	}
	if ctx.Err() == nil {
		ex, err := r.examples(ctx, rows)
		if err != nil {
			return res, err
		}
		res.Examples = ex
	}
	return res, nil
}

func (r *runner) modelRef() ModelRef {
	m := r.opts.Model
	if m.Name == "" {
		m.Name, m.Version = r.info.Name, r.info.Version
	}
	if m.Classes == nil {
		m.Classes = r.info.Classes
	}
	if m.SampleRate == 0 {
		m.SampleRate = r.info.SampleRate
	}
	if m.Gain == 0 {
		m.Gain = r.info.Gain
	}
	m.InputGradient = r.info.InputGradient
	return m
}

// runMetrics sets the run-wide metrics: records, errored fraction, clean
// accuracy (over records with a clean prediction, from their first row)
// and the gradient-fidelity figures.
func (r *runner) runMetrics(res *Result) {
	var records, correct, predicted, errored int
	last := ""
	for _, row := range res.Records {
		if row.Error != "" {
			errored++
		}
		if row.Record == last {
			continue
		}
		last = row.Record
		records++
		if row.CleanLabel != "" {
			predicted++
			if row.CleanLabel == row.TrueLabel {
				correct++
			}
		}
	}
	m := res.Metrics
	m[spec.MetricRecords] = float64(records)
	if ef, ok := metric.Rate(errored, len(res.Records)); ok {
		m[spec.MetricErroredFraction] = ef
	} else {
		m[spec.MetricErroredFraction] = 0
	}
	if acc, ok := metric.Rate(correct, predicted); ok {
		lo, hi := metric.Wilson(correct, predicted, metric.Z95)
		m[spec.MetricCleanAccuracy], m[spec.MetricCleanAccuracyCILow], m[spec.MetricCleanAccuracyCIHigh] = acc, lo, hi
	}
	if r.s.GradientFidelity.Records > 0 && len(r.fidelity) > 0 {
		lo, _ := minOf(r.fidelity)
		mean, _ := metric.Mean(r.fidelity)
		m[spec.MetricGradientCosineMin], m[spec.MetricGradientCosineMean] = lo, mean
		m[spec.MetricGradientFidelityPass] = 0
		if r.fidPass {
			m[spec.MetricGradientFidelityPass] = 1
		}
	}
}

func minOf(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	m := v[0]
	for _, x := range v[1:] {
		m = math.Min(m, x)
	}
	return m, true
}

// summarise aggregates the rows of plan p.
func (r *runner) summarise(p *plan, rows []RecordResult) AttackSummary {
	sum := AttackSummary{ID: p.a.ID, Type: p.a.Type, Metrics: map[string]float64{}, Target: p.a.Target}
	if p.gradientAttack() {
		sum.EpsilonUV = p.a.EpsilonUV
		sum.Gradient = p.gradient
	}
	var mine []RecordResult
	for _, row := range rows {
		if row.Attack == p.a.ID {
			mine = append(mine, row)
		}
	}
	sum.Records = len(mine)
	for _, row := range mine {
		if row.Error != "" {
			sum.Errored++
		}
	}
	m := sum.Metrics
	if ef, ok := metric.Rate(sum.Errored, sum.Records); ok {
		m[spec.MetricAttackErrored] = ef
	} else {
		m[spec.MetricAttackErrored] = 0
	}
	if p.collate != nil {
		summariseCollate(m, mine)
		return sum
	}
	if p.noise {
		summariseNoise(&sum, p.a, mine)
		return sum
	}
	var c metric.Counts
	var linf, l2, snr, hf, queries []float64
	exhausted := 0
	for _, row := range mine {
		if row.Error != "" {
			continue
		}
		c.Add(metric.Outcome{True: row.TrueLabel, Clean: row.CleanLabel, Adv: row.AdvLabel, Attacked: row.Attacked, Success: row.Success})
		if !row.Attacked {
			continue
		}
		linf = append(linf, row.LinfUV)
		l2 = append(l2, row.L2UV)
		hf = append(hf, row.HighFreqFraction)
		queries = append(queries, float64(row.Queries))
		if row.SNRdB != nil {
			snr = append(snr, *row.SNRdB)
		}
		if row.Extra["budget_exhausted"] == 1 {
			exhausted++
		}
	}
	m[spec.MetricAttacked] = float64(c.Attacked)
	m[MetricSucceeded] = float64(c.Succeeded)
	if sr, ok := c.SuccessRate(); ok {
		lo, hi := metric.Wilson(c.Succeeded, c.Attacked, metric.Z95)
		m[spec.MetricSuccessRate], m[spec.MetricSuccessRateCILow], m[spec.MetricSuccessRateCIHigh] = sr, lo, hi
		m[MetricBudgetExhausted] = float64(exhausted) / float64(c.Attacked)
	}
	if ra, ok := c.RobustAccuracy(); ok {
		m[spec.MetricRobustAccuracy] = ra
	}
	put := func(name string, v float64, ok bool) {
		if ok {
			m[name] = v
		}
	}
	put2 := func(name string, f func([]float64) (float64, bool), v []float64) {
		x, ok := f(v)
		put(name, x, ok)
	}
	put2(spec.MetricLinfMeanUV, metric.Mean, linf)
	put2(spec.MetricL2MeanUV, metric.Mean, l2)
	put2(spec.MetricSNRMeanDB, metric.Mean, snr)
	put2(spec.MetricHighFreqMean, metric.Mean, hf)
	put2(MetricHighFreqMedian, metric.Median, hf)
	put2(spec.MetricQueriesMean, metric.Mean, queries)
	put2(MetricLinfMaxUV, maxOf, linf)

	sum.PerClass = map[string]map[string]float64{}
	for _, label := range c.Classes() {
		pc := c.PerClass[label]
		e := map[string]float64{"records": float64(pc.Records), spec.MetricAttacked: float64(pc.Attacked)}
		if v, ok := pc.Accuracy(); ok {
			e["clean_accuracy"] = v
		}
		if v, ok := pc.SuccessRate(); ok {
			e[spec.MetricSuccessRate] = v
		}
		if v, ok := pc.RobustAccuracy(); ok {
			e[spec.MetricRobustAccuracy] = v
		}
		sum.PerClass[label] = e
	}
	if len(c.Flips) > 0 {
		sum.FlipMatrix = c.Flips
	}
	if curve, ok := successCurve(mine); ok {
		sum.Curves = append(sum.Curves, curve)
	}
	return sum
}

func maxOf(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	m := v[0]
	for _, x := range v[1:] {
		m = math.Max(m, x)
	}
	return m, true
}

func summariseCollate(m map[string]float64, rows []RecordResult) {
	var collated, anyNoise int
	var gt, ga, ct, ca, ut, ua float64
	for _, row := range rows {
		if row.Error != "" || !row.Attacked {
			continue
		}
		collated++
		e := row.Extra
		gt, ga = gt+e["gaussian_trials"], ga+e["gaussian_adversarial"]
		ct, ca = ct+e["concat_trials"], ca+e["concat_adversarial"]
		ut, ua = ut+e["uniform_trials"], ua+e["uniform_adversarial"]
		if e["gaussian_adversarial"] > 0 {
			anyNoise++
		}
	}
	m[spec.MetricCollated] = float64(collated)
	frac := func(name string, a, t float64) {
		if t > 0 {
			m[name] = a / t
		}
	}
	frac(spec.MetricGaussianFraction, ga, gt)
	frac(spec.MetricConcatFraction, ca, ct)
	frac(spec.MetricUniformFraction, ua, ut)
	frac(MetricGaussianAnyFraction, float64(anyNoise), float64(collated))
}

// successCurve is the success rate as a function of the query count: at
// x queries, the fraction of attacked records that succeeded using at most
// x queries. It starts at (0, 0) and has at most 51 points.
func successCurve(rows []RecordResult) (Curve, bool) {
	var qs []int64
	var attacked int
	for _, row := range rows {
		if row.Error != "" || !row.Attacked {
			continue
		}
		attacked++
		if row.Success {
			qs = append(qs, row.Queries)
		}
	}
	if attacked == 0 {
		return Curve{}, false
	}
	sort.Slice(qs, func(a, b int) bool { return qs[a] < qs[b] })
	c := Curve{Name: CurveSuccessVsQueries, XLabel: "queries per record", YLabel: "success rate",
		X: []float64{0}, Y: []float64{0}}
	step := max(1, len(qs)/50)
	for i := step - 1; i < len(qs); i += step {
		j := i
		for j+1 < len(qs) && qs[j+1] == qs[i] {
			j++
		}
		i = j
		c.X = append(c.X, float64(qs[j]))
		c.Y = append(c.Y, float64(j+1)/float64(attacked))
	}
	if n := len(qs); n > 0 && c.X[len(c.X)-1] != float64(qs[n-1]) {
		c.X = append(c.X, float64(qs[n-1]))
		c.Y = append(c.Y, float64(n)/float64(attacked))
	}
	return c, true
}

// ExampleSeconds is the length of the trace kept per example.
const ExampleSeconds = 10

// examples picks up to Outputs.Examples successful (record, attack) pairs
// of gradient attacks, round-robin over the attacks in spec order and by
// record ID within each, and re-runs those attacks (deterministically, from
// the same per-record seeds) to recover the traces. Picking from rows only
// makes the choice identical for resumed and sharded runs.
func (r *runner) examples(ctx context.Context, rows []RecordResult) ([]Example, error) {
	want := r.s.Outputs.Examples
	if want <= 0 {
		return nil, nil
	}
	var lists [][]RecordResult
	for _, p := range r.plans {
		if !p.gradientAttack() {
			continue
		}
		var l []RecordResult
		for _, row := range rows {
			if row.Attack == p.a.ID && row.Success && row.Error == "" {
				l = append(l, row)
			}
		}
		lists = append(lists, l)
	}
	var picks []RecordResult
	for k := 0; len(picks) < want; k++ {
		added := false
		for _, l := range lists {
			if k < len(l) && len(picks) < want {
				picks = append(picks, l[k])
				added = true
			}
		}
		if !added {
			break
		}
	}
	index := map[string]int{}
	for i := range r.data.Len() {
		id, _ := r.data.Meta(i)
		index[id] = i
	}
	var out []Example
	for _, row := range picks {
		var p *plan
		for _, q := range r.plans {
			if q.a.ID == row.Attack {
				p = q
			}
		}
		i, ok := index[row.Record]
		if !ok || p == nil {
			continue
		}
		rec, err := r.data.Load(ctx, i)
		if err != nil {
			continue
		}
		y := r.classIx[rec.Label]
		clf := r.pool[0]
		items := []attack.Item{{Record: rec, Label: y, Target: p.target, Rand: RecordRand(r.s.Seed, rec.ID, p.a.ID)}}
		oc, err := p.method.Attack(ctx, attack.NewOracle(clf, r.gradientSource(p, clf), items, p.budget))
		if err != nil {
			return nil, fmt.Errorf("engine: example trace of %q: %w", rec.ID, err)
		}
		if oc[0].Adversarial == nil {
			continue
		}
		vs := rec.ValidSpan()
		n := min(vs.Len(), int(ExampleSeconds*rec.Signal.Rate))
		ex := Example{Record: rec.ID, Attack: p.a.ID, TrueLabel: rec.Label, AdvLabel: row.AdvLabel,
			Rate: rec.Signal.Rate, Gain: rec.Signal.Gain, Start: vs.Start, ValidStart: vs.Start,
			Clean:       append([]float64(nil), rec.Signal.Samples[vs.Start:vs.Start+n]...),
			Adversarial: append([]float64(nil), oc[0].Adversarial[vs.Start:vs.Start+n]...)}
		if oc[0].Label >= 0 {
			ex.AdvLabel = r.info.Classes[oc[0].Label]
		}
		out = append(out, ex)
	}
	return out, nil
}
