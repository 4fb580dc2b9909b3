package attack

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/model/modeltest"
)

func TestIntersections(t *testing.T) {
	a := []float64{0, 1, 2, 1, 0, 0, 3}
	b := []float64{1, 1, 1, 1, 1, 0, 0}
	// a−b = −1 0 1 0 −1 0 3: zero after non-zero at 1, 3, 5; the sign
	// change across a zero is not counted twice.
	got := intersections(nil, a, b, 0, len(a))
	want := []int{1, 3, 5}
	if len(got) != len(want) {
		t.Fatalf("intersections = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("intersections = %v, want %v", got, want)
		}
	}
	if got := intersections(nil, []float64{0, 2, -1}, []float64{0, 0, 0}, 0, 3); len(got) != 1 || got[0] != 2 {
		t.Errorf("sign change: %v, want [2]", got)
	}
}

func collateItems(t *testing.T) ([]Item, [][]float64) {
	ctx := context.Background()
	recs := modeltest.Records(8, 3000, 11)
	var it []Item
	for i, r := range recs {
		s, _ := modeltest.Analytic{}.Predict(ctx, [][]float64{r.Signal.Samples})
		it = append(it, Item{Record: r, Label: model.Argmax(s[0]), Target: -1, Rand: rand.New(rand.NewPCG(7, uint64(i)))})
	}
	out, err := SAP{}.Attack(ctx, NewOracle(modeltest.Analytic{}, nil, it, 0))
	if err != nil {
		t.Fatal(err)
	}
	adv := make([][]float64, len(it))
	n := 0
	for i, o := range out {
		if o.Success {
			adv[i] = o.Adversarial
			n++
		}
	}
	if n == 0 {
		t.Fatal("no adversarial examples to collate")
	}
	return it, adv
}

func TestCollate(t *testing.T) {
	it, adv := collateItems(t)
	c := Collate{Trials: 40, ConcatPairs: 10, UniformSamples: 20, BatchSignals: 16}
	out, err := c.Run(context.Background(), NewOracle(modeltest.Analytic{}, nil, it, 0), adv)
	if err != nil {
		t.Fatal(err)
	}
	anyNoise := 0
	for i, o := range out {
		if adv[i] == nil {
			if o != (CollateOutcome{}) {
				t.Errorf("item %d without an adversarial example was probed: %+v", i, o)
			}
			continue
		}
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		if o.NoiseTrials != 40 || o.ConcatTrials%2 != 0 || o.ConcatTrials > 20 {
			t.Errorf("item %d: trials %+v", i, o)
		}
		// The band needs two adversarial examples; with the SAP example
		// alone it would be that example 20 times over.
		if want := 20 * min(o.NoiseAdversarial, 1); o.BandTrials != want {
			t.Errorf("item %d: %d band probes with %d adversarial resamples, want %d", i, o.BandTrials, o.NoiseAdversarial, want)
		}
		if o.NoiseAdversarial > 0 {
			anyNoise++
			if o.ConcatTrials == 0 {
				t.Errorf("item %d: adversarial resamples but no concatenation", i)
			}
		}
		if o.Queries != int64(o.NoiseTrials+o.ConcatTrials+o.BandTrials) {
			t.Errorf("item %d: %d queries for %+v", i, o.Queries, o)
		}
	}
	if anyNoise == 0 {
		t.Error("no resample stayed adversarial")
	}
	// Same seeds, same counts.
	it2, adv2 := collateItems(t)
	again, _ := c.Run(context.Background(), NewOracle(modeltest.Analytic{}, nil, it2, 0), adv2)
	for i := range out {
		if out[i] != again[i] {
			t.Errorf("item %d: %+v then %+v", i, out[i], again[i])
		}
	}
}

// wrongGradient negates (or zeroes) the analytic model's gradient.
type wrongGradient struct {
	modeltest.Analytic
	scale float64
}

func (w wrongGradient) InputGradient(ctx context.Context, s [][]float64, l []int, loss model.Loss) ([][]float64, [][]float64, error) {
	g, sc, err := w.Analytic.InputGradient(ctx, s, l, loss)
	for _, row := range g {
		for k := range row {
			row[k] *= w.scale
		}
	}
	return g, sc, err
}

func TestFidelity(t *testing.T) {
	ctx := context.Background()
	it, _ := collateItems(t)
	it = it[:3]
	tests := []struct {
		name     string
		clf      model.Classifier
		min, max float64
	}{
		{"exact gradient", modeltest.Analytic{}, 0.99, 1},
		{"negated gradient", wrongGradient{scale: -1}, -1, -0.99},
		{"masked gradient", wrongGradient{scale: 0}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := NewOracle(tt.clf, nil, it, 0)
			cs, err := Fidelity{Directions: 16}.Check(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range cs {
				if c < tt.min || c > tt.max {
					t.Errorf("item %d: cosine %.4f outside [%v, %v]", i, c, tt.min, tt.max)
				}
				if o.Queries(i) != 33 {
					t.Errorf("item %d: %d queries, want 33", i, o.Queries(i))
				}
			}
		})
	}
}

func TestFiniteDifferenceMomentum(t *testing.T) {
	ctx := context.Background()
	mk := func(m float64) (*Oracle, []Item) {
		it, _ := collateItems(t)
		it = it[:1]
		return NewOracle(modeltest.Analytic{}, FiniteDifference{Directions: 4, Downsample: 8, Momentum: m}, it, 0), it
	}
	raw, it := mk(0)
	x := [][]float64{it[0].Record.Signal.Samples}
	g1, _, _ := raw.Gradient(ctx, []int{0}, x, []int{it[0].Label}, model.CrossEntropy)
	g2, _, _ := raw.Gradient(ctx, []int{0}, x, []int{it[0].Label}, model.CrossEntropy)
	mom, _ := mk(0.5)
	mom.Gradient(ctx, []int{0}, x, []int{it[0].Label}, model.CrossEntropy)
	got, _, _ := mom.Gradient(ctx, []int{0}, x, []int{it[0].Label}, model.CrossEntropy)
	unit := func(v []float64) []float64 {
		var n float64
		for _, x := range v {
			n += x * x
		}
		out := make([]float64, len(v))
		for i := range v {
			out[i] = v[i] / math.Sqrt(n)
		}
		return out
	}
	u1, u2 := unit(g1[0]), unit(g2[0])
	for i := range u1 {
		if want := 0.5*u1[i] + 0.5*u2[i]; math.Abs(got[0][i]-want) > 1e-12 {
			t.Fatalf("sample %d: %v, want %v", i, got[0][i], want)
		}
	}
	if mom.Queries(0) != raw.Queries(0) {
		t.Errorf("momentum changed the query count: %d vs %d", mom.Queries(0), raw.Queries(0))
	}
}

// recorder keeps every signal sent to the analytic model, in order.
type recorder struct {
	modeltest.Analytic
	sent [][]float64
}

func (r *recorder) Predict(ctx context.Context, s [][]float64) ([][]float64, error) {
	for _, x := range s {
		r.sent = append(r.sent, append([]float64(nil), x...))
	}
	return r.Analytic.Predict(ctx, s)
}

// TestCollateBandBetweenAdversarialExamples checks the paper's uniform
// band: every probe lies, sample by sample, between the least and the
// greatest of the adversarial set (the SAP example and the resamples that
// stayed adversarial), and equals x outside the recorded span.
func TestCollateBandBetweenAdversarialExamples(t *testing.T) {
	ctx := context.Background()
	it, adv := collateItems(t)
	rec := &recorder{}
	c := Collate{Trials: 40, ConcatPairs: 5, UniformSamples: 20, BatchSignals: 16}
	out, err := c.Run(ctx, NewOracle(rec, nil, it, 0), adv)
	if err != nil {
		t.Fatal(err)
	}
	sent := rec.sent
	checked, inside := 0, 0
	for i, o := range out {
		if adv[i] == nil {
			continue
		}
		noise := sent[:o.NoiseTrials]
		band := sent[o.NoiseTrials+o.ConcatTrials : o.NoiseTrials+o.ConcatTrials+o.BandTrials]
		sent = sent[o.Queries:]
		lo := append([]float64(nil), adv[i]...)
		hi := append([]float64(nil), adv[i]...)
		sc, _ := modeltest.Analytic{}.Predict(ctx, noise)
		for k, s := range noise {
			if model.Argmax(sc[k]) == it[i].Label {
				continue
			}
			for j := range s {
				lo[j], hi[j] = math.Min(lo[j], s[j]), math.Max(hi[j], s[j])
			}
		}
		x := it[i].Record.Signal.Samples
		vs := it[i].Record.ValidSpan()
		for k, b := range band {
			for j := range b {
				if j < vs.Start || j >= vs.End {
					if b[j] != x[j] {
						t.Fatalf("item %d probe %d: sample %d outside the recorded span changed", i, k, j)
					}
					continue
				}
				if b[j] < lo[j] || b[j] > hi[j] {
					t.Fatalf("item %d probe %d: sample %d = %g outside the band [%g, %g]", i, k, j, b[j], lo[j], hi[j])
				}
				if b[j] > lo[j] && b[j] < hi[j] {
					inside++
				}
				checked++
			}
		}
	}
	if len(sent) != 0 {
		t.Fatalf("%d signals sent beyond the counted probes", len(sent))
	}
	if checked == 0 || inside == 0 {
		t.Fatalf("band not exercised: %d samples checked, %d strictly inside", checked, inside)
	}
}
