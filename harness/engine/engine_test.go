package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/model/modeltest"
	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
)

const baseSpec = `apiVersion: ecgrobust/v1
kind: RobustnessSpec
metadata:
  name: engine-test
  version: 1.0.0
  description: Engine tests on the analytic model.
model:
  plugin: reference
dataset:
  source: demo
seed: 7
attacks:
  - id: pgd
    type: pgd
  - id: sap
    type: sap
    steps: 10
    pgd_steps: 5
  - id: sap_to_n
    type: sap
    steps: 10
    pgd_steps: 5
    target: N
    early_stop: true
  - id: collate
    type: collate
    of: sap
    trials: 20
    uniform_samples: 10
criteria:
  - id: sap-success
    expr: sap_success_rate <= 0.05
  - id: accuracy
    expr: clean_accuracy >= 0.5
outputs:
  examples: 2
`

func parseSpec(t testing.TB, extra string) *spec.Spec {
	t.Helper()
	s, err := spec.Parse("test.yaml", []byte(baseSpec+extra))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// records returns 12 short synthetic records labelled with the analytic
// model's prediction, except every fourth, which is mislabelled.
func records(t testing.TB) []ecg.Record {
	t.Helper()
	recs := modeltest.Records(12, 3000, 11)
	for i := range recs {
		s, err := modeltest.Analytic{}.Predict(context.Background(), [][]float64{recs[i].Signal.Samples})
		if err != nil {
			t.Fatal(err)
		}
		y := model.Argmax(s[0])
		if i%4 == 3 {
			y = (y + 1) % 4
		}
		recs[i].Label = ecg.CinCClasses[y]
	}
	return recs
}

func pool(n int) []model.Classifier {
	out := make([]model.Classifier, n)
	for i := range out {
		out[i] = modeltest.Analytic{}
	}
	return out
}

func encode(t testing.TB, r *engine.Result) []byte {
	t.Helper()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatalf("encode results: %v", err)
	}
	return b
}

func TestRunIdenticalForAnyWorkerCount(t *testing.T) {
	s := parseSpec(t, "")
	recs := records(t)
	ctx := context.Background()
	one, err := engine.Run(ctx, s, engine.Records(recs), pool(1), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	three, err := engine.Run(ctx, s, engine.Records(recs), pool(3), engine.Options{BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	// Records given in another order change nothing either.
	rev := append([]ecg.Record(nil), recs...)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	again, err := engine.Run(ctx, s, engine.Records(rev), pool(2), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := encode(t, one), encode(t, three), encode(t, again)
	if !bytes.Equal(a, b) || !bytes.Equal(a, c) {
		t.Fatal("results.json differs between 1, 3 and 2 workers")
	}
	if len(one.Records) != 12*4 {
		t.Errorf("%d rows, want 48", len(one.Records))
	}
}

func TestRunMetricsAndVerdict(t *testing.T) {
	s := parseSpec(t, "")
	res, err := engine.Run(context.Background(), s, engine.Records(records(t)), pool(2), engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Metrics
	for _, name := range []string{"records", "errored_fraction", "clean_accuracy", "clean_accuracy_ci_low",
		"pgd_success_rate", "pgd_success_rate_ci_low", "pgd_success_rate_ci_high", "pgd_robust_accuracy",
		"pgd_attacked", "pgd_high_freq_fraction_mean", "sap_snr_db_mean", "sap_queries_mean",
		"collate_gaussian_fraction", "collate_uniform_fraction", "collate_collated", "sap_to_n_success_rate"} {
		if _, ok := m[name]; !ok {
			t.Errorf("metric %s missing", name)
		}
	}
	if m["records"] != 12 || m["clean_accuracy"] != 0.75 || m["pgd_attacked"] != 9 {
		t.Errorf("records %v, clean accuracy %v, attacked %v; want 12, 0.75, 9", m["records"], m["clean_accuracy"], m["pgd_attacked"])
	}
	if sr := m["sap_success_rate"]; sr <= 0 || sr > 1 || m["sap_success_rate_ci_low"] > sr || m["sap_success_rate_ci_high"] < sr {
		t.Errorf("sap success %v in [%v, %v]", sr, m["sap_success_rate_ci_low"], m["sap_success_rate_ci_high"])
	}
	if m["pgd_high_freq_fraction_median"] <= m["sap_high_freq_fraction_median"] {
		t.Errorf("PGD high-frequency %v not above SAP's %v", m["pgd_high_freq_fraction_median"], m["sap_high_freq_fraction_median"])
	}
	if res.Verdict != verdict.Fail || res.Criteria[0].Outcome != verdict.Fail || res.Criteria[1].Outcome != verdict.Pass {
		t.Errorf("verdict %s (%s)", res.Verdict, res.Reason)
	}
	if len(res.Examples) != 2 || res.Examples[0].Attack != "pgd" || res.Examples[1].Attack != "sap" {
		t.Errorf("examples %d", len(res.Examples))
	}
	for _, ex := range res.Examples {
		if ex.Start != ex.ValidStart {
			t.Errorf("example %s starts at %d, its recording at %d", ex.Record, ex.Start, ex.ValidStart)
		}
		if len(ex.Clean) != len(ex.Adversarial) || len(ex.Clean) == 0 || ex.AdvLabel == ex.TrueLabel {
			t.Errorf("example %s/%s: %d clean, %d adversarial samples, %s → %s", ex.Record, ex.Attack, len(ex.Clean), len(ex.Adversarial), ex.TrueLabel, ex.AdvLabel)
		}
	}
	for _, row := range res.Records {
		if row.Attack == "sap_to_n" && row.Success && row.AdvLabel != "N" {
			t.Errorf("targeted success to %s", row.AdvLabel)
		}
		if row.Attack == "sap_to_n" && row.TrueLabel == "N" && row.Attacked {
			t.Errorf("record %s of the target class attacked", row.Record)
		}
		if row.Attacked && row.Attack != "collate" && row.LinfUV > 10+1e-9 {
			t.Errorf("%s/%s: L∞ %v µV", row.Record, row.Attack, row.LinfUV)
		}
	}
	if len(res.Attacks) != 4 || res.Attacks[0].Gradient != "plugin" || len(res.Attacks[0].FlipMatrix) == 0 {
		t.Fatalf("summaries %+v", res.Attacks)
	}
	c := res.Attacks[2].Curves[0] // targeted SAP with early stop
	if c.Name != engine.CurveSuccessVsQueries || c.X[0] != 0 || c.Y[len(c.Y)-1] != m["sap_to_n_success_rate"] {
		t.Errorf("success-vs-queries curve %+v, success rate %v", c, m["sap_to_n_success_rate"])
	}
	for i := 1; i < len(c.X); i++ {
		if c.X[i] <= c.X[i-1] || c.Y[i] < c.Y[i-1] {
			t.Errorf("curve not increasing: %+v", c)
		}
	}
}

func TestResumeAfterInterruption(t *testing.T) {
	s := parseSpec(t, "")
	recs := records(t)
	full, err := engine.Run(context.Background(), s, engine.Records(recs), pool(1), engine.Options{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Interrupt after the second batch; the journal holds what finished.
	ctx, cancel := context.WithCancel(context.Background())
	var journal []engine.RecordResult
	flushed := 0
	_, err = engine.Run(ctx, s, engine.Records(recs), pool(1), engine.Options{
		BatchSize: 2,
		Sink:      func(r engine.RecordResult) error { journal = append(journal, r); return nil },
		Flush:     func() error { flushed++; return nil },
		Progress: func(p engine.Progress) {
			if p.Done >= 4 {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	if len(journal) == 0 || len(journal) >= len(full.Records) {
		t.Fatalf("journal has %d of %d rows", len(journal), len(full.Records))
	}
	if flushed != len(journal)/(2*4) {
		t.Errorf("%d flushes for %d rows in batches of 2 records × 4 attacks", flushed, len(journal))
	}
	var second []engine.RecordResult
	resumed, err := engine.Run(context.Background(), s, engine.Records(recs), pool(2), engine.Options{
		BatchSize: 2, Done: journal,
		Sink: func(r engine.RecordResult) error { second = append(second, r); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(journal)+len(second) != len(full.Records) {
		t.Errorf("%d rows before and %d after the crash, want %d in all", len(journal), len(second), len(full.Records))
	}
	seen := map[string]bool{}
	for _, r := range append(journal, second...) {
		k := r.Record + "/" + r.Attack
		if seen[k] {
			t.Errorf("%s computed twice", k)
		}
		seen[k] = true
	}
	if !bytes.Equal(encode(t, full), encode(t, resumed)) {
		t.Error("resumed results.json differs from the uninterrupted run")
	}
}

func TestShardFilter(t *testing.T) {
	s := parseSpec(t, "")
	recs := records(t)
	even := func(id string) bool { return id[len(id)-1]%2 == 0 }
	part, err := engine.Run(context.Background(), s, engine.Records(recs), pool(1), engine.Options{
		Filter: even, Shard: &engine.Shard{Index: 0, Count: 2}})
	if err != nil {
		t.Fatal(err)
	}
	full, _ := engine.Run(context.Background(), s, engine.Records(recs), pool(1), engine.Options{})
	want := map[string]engine.RecordResult{}
	for _, r := range full.Records {
		want[r.Record+"/"+r.Attack] = r
	}
	if len(part.Records) != len(full.Records)/2 || part.Run.Shard == nil {
		t.Fatalf("shard has %d rows of %d", len(part.Records), len(full.Records))
	}
	for _, r := range part.Records {
		if !even(r.Record) {
			t.Fatalf("record %s outside the shard", r.Record)
		}
		a, _ := json.Marshal(r)
		b, _ := json.Marshal(want[r.Record+"/"+r.Attack])
		if !bytes.Equal(a, b) {
			t.Errorf("%s/%s differs in the shard", r.Record, r.Attack)
		}
	}
}

// flaky fails on one record.
type flaky struct {
	modeltest.Analytic
	bad float64
}

func (f flaky) hit(s [][]float64) bool {
	for _, x := range s {
		if x[0] == f.bad {
			return true
		}
	}
	return false
}

func (f flaky) Predict(ctx context.Context, s [][]float64) ([][]float64, error) {
	if f.hit(s) {
		return nil, errors.New("plugin crashed")
	}
	return f.Analytic.Predict(ctx, s)
}

func (f flaky) InputGradient(ctx context.Context, s [][]float64, l []int, loss model.Loss) ([][]float64, [][]float64, error) {
	if f.hit(s) {
		return nil, nil, errors.New("plugin crashed")
	}
	return f.Analytic.InputGradient(ctx, s, l, loss)
}

func TestSinkErrorStopsTheRun(t *testing.T) {
	full := errors.New("disk full")
	_, err := engine.Run(context.Background(), parseSpec(t, ""), engine.Records(records(t)), pool(1), engine.Options{
		Sink: func(engine.RecordResult) error { return full },
	})
	if !errors.Is(err, full) {
		t.Errorf("err = %v, want the sink's error", err)
	}
}

func TestErroredRecordsAreKept(t *testing.T) {
	s := parseSpec(t, "")
	recs := records(t)
	recs[5].Signal.Samples = append([]float64(nil), recs[5].Signal.Samples...)
	recs[5].Signal.Samples[0] = 98765.5
	recs[7].Signal.Rate = 360
	res, err := engine.Run(context.Background(), s, engine.Records(recs), []model.Classifier{flaky{bad: 98765.5}}, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{}
	for _, r := range res.Records {
		if r.Error != "" {
			bad[r.Record] = r.Error
		}
	}
	if len(bad) != 2 || !strings.Contains(bad["syn0005"], "plugin crashed") || !strings.Contains(bad["syn0007"], "360 Hz") {
		t.Errorf("errored records: %v", bad)
	}
	if res.Metrics["records"] != 12 || res.Metrics["errored_fraction"] != 2.0/12 {
		t.Errorf("records %v, errored fraction %v", res.Metrics["records"], res.Metrics["errored_fraction"])
	}
	// With 2 of 12 errored (> 5 %), criteria become INCONCLUSIVE.
	if res.Verdict == verdict.Pass {
		t.Errorf("verdict %s with errored records", res.Verdict)
	}
}

// wrong negates the analytic gradient: a model whose gradients lie.
type wrong struct{ modeltest.Analytic }

func (w wrong) InputGradient(ctx context.Context, s [][]float64, l []int, loss model.Loss) ([][]float64, [][]float64, error) {
	g, sc, err := w.Analytic.InputGradient(ctx, s, l, loss)
	for _, row := range g {
		for i := range row {
			row[i] = -row[i]
		}
	}
	return g, sc, err
}

func TestGradientFidelity(t *testing.T) {
	recs := records(t)
	tests := []struct {
		name, policy string
		clf          model.Classifier
		pass         float64
		gradient     string
		verdict      verdict.Outcome
	}{
		{"honest", "inconclusive", modeltest.Analytic{}, 1, "plugin", verdict.Fail},
		{"lying, inconclusive", "inconclusive", wrong{}, 0, "plugin", verdict.Inconclusive},
		{"lying, fallback", "fallback", wrong{}, 0, "finite-difference", verdict.Fail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := parseSpec(t, "gradient_fidelity:\n  records: 2\n  on_failure: "+tt.policy+"\n")
			s.Criteria = s.Criteria[:1]
			res, err := engine.Run(context.Background(), s, engine.Records(recs), []model.Classifier{tt.clf}, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Metrics["gradient_fidelity_pass"] != tt.pass || res.Attacks[1].Gradient != tt.gradient || res.Verdict != tt.verdict {
				t.Errorf("pass %v (cosine %v), gradient %s, verdict %s (%s)", res.Metrics["gradient_fidelity_pass"],
					res.Metrics["gradient_cosine_min"], res.Attacks[1].Gradient, res.Verdict, res.Reason)
			}
		})
	}
}

func TestRunRejectsBadCombinations(t *testing.T) {
	recs := records(t)
	s := parseSpec(t, "")
	s.Attacks[2].Target = "X"
	if _, err := engine.Run(context.Background(), s, engine.Records(recs), pool(1), engine.Options{}); err == nil || !strings.Contains(err.Error(), `target "X"`) {
		t.Errorf("unknown target: err = %v", err)
	}
	if _, err := engine.Run(context.Background(), parseSpec(t, ""), engine.Records(recs), nil, engine.Options{}); !errors.Is(err, engine.ErrNoClassifier) {
		t.Errorf("empty pool: err = %v", err)
	}
}

func TestRecordRand(t *testing.T) {
	a := engine.RecordRand(1, "A00001", "sap").Uint64()
	if a != engine.RecordRand(1, "A00001", "sap").Uint64() {
		t.Fatal("same inputs, different streams")
	}
	for _, b := range []uint64{engine.RecordRand(2, "A00001", "sap").Uint64(), engine.RecordRand(1, "A00002", "sap").Uint64(),
		engine.RecordRand(1, "A00001", "pgd").Uint64(), engine.RecordRand(1, "A0000", "1sap").Uint64()} {
		if a == b {
			t.Error("different inputs share a stream")
		}
	}
}

func TestNoiseStress(t *testing.T) {
	s := parseSpec(t, "")
	s.Attacks = append(s.Attacks[:0], spec.Attack{ID: "noise", Type: spec.TypeNoiseStress, Noise: []string{"em", "bw"}, SNRdB: []float64{24, -6}})
	s.Criteria = nil
	recs := records(t)
	if _, err := engine.Run(context.Background(), s, engine.Records(recs), pool(1), engine.Options{}); err == nil {
		t.Fatal("noise-stress ran without a noise source")
	}
	var calls atomic.Int64
	noise := func(r ecg.Record, kind string, snr float64, seed uint64) (ecg.Record, error) {
		calls.Add(1)
		out := r
		out.Signal.Samples = append([]float64(nil), r.Signal.Samples...)
		amp := 1000 * math.Pow(10, -snr/20) // larger at low SNR
		f := 0.2
		if kind == "em" {
			f = 1.1
		}
		for i := range out.Signal.Samples {
			out.Signal.Samples[i] += amp * math.Sin(2*math.Pi*f*float64(i)/300+float64(seed%7))
		}
		return out, nil
	}
	res, err := engine.Run(context.Background(), s, engine.Records(recs), pool(2), engine.Options{Noise: noise})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 12*4 {
		t.Errorf("%d noise calls, want 48", calls.Load())
	}
	m := res.Metrics
	for _, name := range []string{"noise_accuracy_em_24", "noise_accuracy_em_m6", "noise_accuracy_bw_24", "noise_accuracy_min", "noise_accuracy_drop_max"} {
		if _, ok := m[name]; !ok {
			t.Errorf("metric %s missing", name)
		}
	}
	if m["noise_accuracy_em_24"] < m["noise_accuracy_em_m6"] || m["noise_accuracy_em_24"] != m["clean_accuracy"] {
		t.Errorf("accuracy 24 dB %v, −6 dB %v, clean %v", m["noise_accuracy_em_24"], m["noise_accuracy_em_m6"], m["clean_accuracy"])
	}
	if d := m["noise_accuracy_drop_max"]; d != m["clean_accuracy"]-m["noise_accuracy_min"] || d <= 0 {
		t.Errorf("drop %v", d)
	}
	if cs := res.Attacks[0].Curves; len(cs) != 2 || cs[0].Name != "accuracy_em" || cs[0].X[0] != 24 {
		t.Errorf("curves %+v", cs)
	}
}

// TestSearchAttack runs gradient: search attacks (SAP's set and PGD's box)
// with a collate of the SAP one: no gradient is asked for although the
// model offers one, every record stays within its budget and ε, results do
// not depend on the worker count, and a failed fidelity check does not
// taint the search.
func TestSearchAttack(t *testing.T) {
	const budget = 300
	src := strings.Replace(baseSpec, baseSpec[strings.Index(baseSpec, "attacks:"):strings.Index(baseSpec, "criteria:")], `attacks:
  - id: sap_search
    type: sap
    gradient: search
    query_budget: 300
  - id: pgd_search
    type: pgd
    gradient: search
    query_budget: 300
  - id: collate
    type: collate
    of: sap_search
    trials: 10
    uniform_samples: 5
`, 1)
	src = strings.Replace(src, "sap_success_rate <= 0.05", "sap_search_success_rate <= 0.05", 1)
	s, err := spec.Parse("search.yaml", []byte(src+"gradient_fidelity:\n  records: 2\n  on_failure: inconclusive\n"))
	if err != nil {
		t.Fatal(err)
	}
	recs := records(t)
	ctx := context.Background()
	clf := model.NewCounting(modeltest.Analytic{})
	one, err := engine.Run(ctx, s, engine.Records(recs), []model.Classifier{clf}, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Only the fidelity check (2 records) may ask for gradients.
	if g := clf.Gradients(); g > 2 {
		t.Errorf("%d gradient signals; a search asks for none", g)
	}
	for _, a := range one.Attacks[:2] {
		if a.Gradient != "search" {
			t.Errorf("%s: gradient %q, want search", a.ID, a.Gradient)
		}
		if a.Metrics["success_rate"] == 0 {
			t.Errorf("%s: no record flipped within %d queries", a.ID, budget)
		}
		t.Logf("%s: success %v, mean queries %v", a.ID, a.Metrics["success_rate"], a.Metrics["queries_mean"])
	}
	if one.Attacks[2].Metrics["collated"] == 0 {
		t.Error("collate of the search attack collated nothing")
	}
	for _, row := range one.Records {
		if row.Attack == "collate" || !row.Attacked {
			continue
		}
		if row.Queries > budget || row.Queries < 1 || row.Error != "" {
			t.Errorf("%s/%s: %d queries, error %q; want 1…%d, none", row.Attack, row.Record, row.Queries, row.Error, budget)
		}
		if row.LinfUV > 10+1e-6 {
			t.Errorf("%s/%s: L∞ %v µV over ε", row.Attack, row.Record, row.LinfUV)
		}
	}
	two, err := engine.Run(ctx, s, engine.Records(recs), pool(2), engine.Options{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(encode(t, one), encode(t, two)) {
		t.Error("results.json differs between 1 and 2 workers")
	}
	// A model whose gradients fail the check cannot taint a search.
	lied, err := engine.Run(ctx, s, engine.Records(recs), []model.Classifier{wrong{}}, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pass, ok := lied.Metrics["gradient_fidelity_pass"]; !ok || pass != 0 || lied.Verdict == verdict.Inconclusive {
		t.Errorf("lying model: fidelity pass %v, verdict %s (%s); want 0 and a verdict the search decides", lied.Metrics["gradient_fidelity_pass"], lied.Verdict, lied.Reason)
	}
}
