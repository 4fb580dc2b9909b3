package attack_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/attack"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/model/modeltest"
)

// items returns n short synthetic records labelled with the analytic
// model's clean prediction, each with its own seeded source.
func items(t testing.TB, n int, seed uint64) []attack.Item {
	t.Helper()
	ctx := context.Background()
	recs := modeltest.Records(n, 3000, 11)
	out := make([]attack.Item, n)
	for i, r := range recs {
		s, err := modeltest.Analytic{}.Predict(ctx, [][]float64{r.Signal.Samples})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = attack.Item{Record: r, Label: model.Argmax(s[0]), Target: -1, Rand: rand.New(rand.NewPCG(seed, uint64(i)))}
	}
	return out
}

func run(t testing.TB, m attack.Method, clf model.Classifier, g attack.Gradient, it []attack.Item, budget int64) []attack.Outcome {
	t.Helper()
	out, err := m.Attack(context.Background(), attack.NewOracle(clf, g, it, budget))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func successes(out []attack.Outcome) int {
	n := 0
	for _, o := range out {
		if o.Success {
			n++
		}
	}
	return n
}

// checkBounds checks |adv − x| ≤ ε on the recorded span and adv == x on
// the padding.
func checkBounds(t *testing.T, it []attack.Item, out []attack.Outcome, epsUV float64) {
	t.Helper()
	for i, o := range out {
		if o.Err != nil {
			t.Fatalf("item %d: %v", i, o.Err)
		}
		r := it[i].Record
		x, vs := r.Signal.Samples, r.ValidSpan()
		eps := r.Signal.ADU(epsUV)
		for k := range x {
			d := o.Adversarial[k] - x[k]
			if k < vs.Start || k >= vs.End {
				if d != 0 {
					t.Fatalf("item %d: padding sample %d changed by %v", i, k, d)
				}
			} else if math.Abs(d) > eps+1e-9 {
				t.Fatalf("item %d: sample %d moved %v adu > ε %v", i, k, d, eps)
			}
		}
		if (o.Label != it[i].Label) != o.Success {
			t.Fatalf("item %d: label %d, true %d, success %v", i, o.Label, it[i].Label, o.Success)
		}
	}
}

func TestPGD(t *testing.T) {
	it := items(t, 12, 1)
	out := run(t, attack.PGD{}, modeltest.Analytic{}, nil, it, 0)
	checkBounds(t, it, out, 10)
	n := successes(out)
	if n == 0 || n == len(out) {
		t.Errorf("PGD flipped %d of %d records; the analytic model should give some of each", n, len(out))
	}
	for i, o := range out {
		if o.Queries != 21 || o.Steps != 20 {
			t.Errorf("item %d: %d queries, %d steps; want 21, 20", i, o.Queries, o.Steps)
		}
	}
	// A smaller budget flips fewer.
	small := run(t, attack.PGD{EpsilonUV: 1, StepUV: 0.1}, modeltest.Analytic{}, nil, it, 0)
	checkBounds(t, it, small, 1)
	if successes(small) >= n {
		t.Errorf("ε = 1 µV flipped %d, ε = 10 µV %d", successes(small), n)
	}
}

func TestPGDGainConversion(t *testing.T) {
	// Halving the gain halves the adu budget of the same µV budget.
	it := items(t, 2, 1)
	for i := range it {
		it[i].Record.Signal.Gain = 500
	}
	out := run(t, attack.PGD{}, modeltest.Analytic{}, nil, it, 0)
	checkBounds(t, it, out, 10)
	var peak float64
	for i, o := range out {
		for k, v := range o.Adversarial {
			peak = math.Max(peak, math.Abs(v-it[i].Record.Signal.Samples[k]))
		}
	}
	if math.Abs(peak-5) > 1e-9 {
		t.Errorf("largest change %v adu at 500 adu/mV, want 5 (10 µV)", peak)
	}
}

func TestPGDDeterministicRandomStart(t *testing.T) {
	p := attack.PGD{RandomStart: true}
	a := run(t, p, modeltest.Analytic{}, nil, items(t, 3, 5), 0)
	b := run(t, p, modeltest.Analytic{}, nil, items(t, 3, 5), 0)
	c := run(t, p, modeltest.Analytic{}, nil, items(t, 3, 6), 0)
	same, differ := true, false
	for i := range a {
		for k := range a[i].Adversarial {
			same = same && a[i].Adversarial[k] == b[i].Adversarial[k]
			differ = differ || a[i].Adversarial[k] != c[i].Adversarial[k]
		}
	}
	if !same {
		t.Error("same seeds gave different adversarial examples")
	}
	if !differ {
		t.Error("different seeds gave identical random starts")
	}
}

func TestPGDBatchInvariant(t *testing.T) {
	// An item's outcome does not depend on the batch it is run in.
	it := items(t, 4, 3)
	all := run(t, attack.SAP{RandomStart: true}, modeltest.Analytic{}, nil, it, 0)
	for i := range it {
		one := run(t, attack.SAP{RandomStart: true}, modeltest.Analytic{}, nil, items(t, 4, 3)[i:i+1], 0)
		for k := range one[0].Adversarial {
			if one[0].Adversarial[k] != all[i].Adversarial[k] {
				t.Fatalf("item %d differs alone and in a batch at sample %d", i, k)
			}
		}
	}
}

// roughness is the mean squared second difference of adv − x.
func roughness(x, adv []float64) float64 {
	var s float64
	for k := 1; k+1 < len(x); k++ {
		d := (adv[k+1] - x[k+1]) - 2*(adv[k]-x[k]) + (adv[k-1] - x[k-1])
		s += d * d
	}
	return s / float64(len(x))
}

func TestSAP(t *testing.T) {
	it := items(t, 12, 1)
	sap := run(t, attack.SAP{}, modeltest.Analytic{}, nil, it, 0)
	checkBounds(t, it, sap, 10)
	pgd := run(t, attack.PGD{}, modeltest.Analytic{}, nil, it, 0)
	if successes(sap) == 0 {
		t.Fatal("SAP flipped nothing")
	}
	for i := range it {
		if sap[i].Queries != 61 {
			t.Errorf("item %d: %d queries, want 20 + 40 + 1", i, sap[i].Queries)
		}
		x := it[i].Record.Signal.Samples
		rs, rp := roughness(x, sap[i].Adversarial), roughness(x, pgd[i].Adversarial)
		if rs > rp/20 {
			t.Errorf("item %d: SAP roughness %.4g not ≪ PGD's %.4g", i, rs, rp)
		}
	}
}

func TestTargetedAndEarlyStop(t *testing.T) {
	it := items(t, 12, 1)
	for i := range it {
		it[i].Target = (it[i].Label + 1) % 4
	}
	out := run(t, attack.SAP{EarlyStop: true}, modeltest.Analytic{}, nil, it, 0)
	reached := 0
	for i, o := range out {
		if o.Success != (o.Label == it[i].Target) {
			t.Fatalf("item %d: success %v with label %d, target %d", i, o.Success, o.Label, it[i].Target)
		}
		if o.Success {
			reached++
			if o.Steps >= 40 || o.Queries != int64(20+o.Steps+1) {
				t.Errorf("item %d: early stop after %d steps, %d queries", i, o.Steps, o.Queries)
			}
		}
	}
	if reached == 0 {
		t.Error("no targeted attack reached its target")
	}
}

func TestLogitMarginLoss(t *testing.T) {
	it := items(t, 12, 1)
	ce := run(t, attack.PGD{}, modeltest.Analytic{}, nil, it, 0)
	lm := run(t, attack.PGD{Loss: model.LogitMargin}, modeltest.Analytic{}, nil, it, 0)
	checkBounds(t, it, lm, 10)
	if successes(lm) == 0 || successes(lm) < successes(ce)-2 {
		t.Errorf("logit margin flipped %d, cross-entropy %d", successes(lm), successes(ce))
	}
}

func TestFiniteDifferenceMatchesGradient(t *testing.T) {
	ctx := context.Background()
	it := items(t, 2, 4)
	fd := attack.FiniteDifference{Directions: 200, Downsample: 8}
	o := attack.NewOracle(modeltest.Analytic{}, fd, it, 0)
	x := [][]float64{it[0].Record.Signal.Samples, it[1].Record.Signal.Samples}
	labels := []int{it[0].Label, it[1].Label}
	est, sc, err := o.Gradient(ctx, []int{0, 1}, x, labels, model.CrossEntropy)
	if err != nil {
		t.Fatal(err)
	}
	exact, want, _ := modeltest.Analytic{}.InputGradient(ctx, x, labels, model.CrossEntropy)
	s := attack.DefaultSmoother(300)
	for i := range x {
		if o.Queries(i) != 401 {
			t.Errorf("item %d: %d queries, want 2·200 + 1", i, o.Queries(i))
		}
		for k := range sc[i] {
			if sc[i][k] != want[i][k] {
				t.Fatalf("scores at x differ: %v vs %v", sc[i], want[i])
			}
		}
		if c := cos(s.Apply(nil, exact[i]), est[i]); c < 0.5 {
			t.Errorf("item %d: cosine(S∇, estimate) = %.3f, want ≥ 0.5", i, c)
		}
	}
}

func cos(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	return ab / math.Sqrt(aa*bb)
}

func TestBlackBoxSAPCountsEveryQuery(t *testing.T) {
	it := items(t, 6, 2)
	clf := model.NewCounting(blackBox{modeltest.Analytic{}})
	g, err := attack.SelectGradient(attack.SourceAuto, clf, attack.FiniteDifference{Directions: 10, Downsample: 8})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g.(attack.FiniteDifference); !ok {
		t.Fatalf("auto picked %T for a black box", g)
	}
	const budget = 700
	out := run(t, attack.SAP{}, clf, g, it, budget)
	var sum int64
	for i, o := range out {
		sum += o.Queries
		if o.Queries > budget {
			t.Errorf("item %d: %d queries over the budget %d", i, o.Queries, budget)
		}
		if !o.Exhausted || o.Adversarial == nil {
			t.Errorf("item %d: exhausted %v, adversarial nil %v; 700 < 60·21 queries", i, o.Exhausted, o.Adversarial == nil)
		}
	}
	if sum != clf.Queries() {
		t.Errorf("outcomes count %d queries, the model saw %d", sum, clf.Queries())
	}
	if successes(out) == 0 {
		t.Error("black-box SAP flipped nothing")
	}
}

// blackBox hides the gradient of a classifier.
type blackBox struct{ c model.Classifier }

func (b blackBox) Info() model.Info {
	i := b.c.Info()
	i.InputGradient = false
	return i
}
func (b blackBox) Predict(ctx context.Context, s [][]float64) ([][]float64, error) {
	return b.c.Predict(ctx, s)
}

// flaky fails every call that contains a signal whose first recorded
// sample is poison.
type flaky struct {
	modeltest.Analytic
	poison float64
}

func (f flaky) Predict(ctx context.Context, s [][]float64) ([][]float64, error) {
	if err := f.check(s); err != nil {
		return nil, err
	}
	return f.Analytic.Predict(ctx, s)
}

func (f flaky) InputGradient(ctx context.Context, s [][]float64, l []int, loss model.Loss) ([][]float64, [][]float64, error) {
	if err := f.check(s); err != nil {
		return nil, nil, err
	}
	return f.Analytic.InputGradient(ctx, s, l, loss)
}

func (f flaky) check(s [][]float64) error {
	for _, x := range s {
		if x[len(x)/2] == f.poison {
			return errors.New("plugin crashed")
		}
	}
	return nil
}

func TestModelErrorMarksOnlyItsItem(t *testing.T) {
	it := items(t, 4, 1)
	it[2].Record.Signal.Samples = append([]float64(nil), it[2].Record.Signal.Samples...)
	it[2].Record.Signal.Samples[1500] = 12345.5
	out := run(t, attack.PGD{}, flaky{poison: 12345.5}, nil, it, 0)
	for i, o := range out {
		if i == 2 {
			if o.Err == nil || o.Adversarial != nil {
				t.Errorf("poisoned item: err %v, adversarial nil %v", o.Err, o.Adversarial == nil)
			}
			continue
		}
		if o.Err != nil || o.Adversarial == nil {
			t.Errorf("item %d: %v", i, o.Err)
		}
	}
}

func TestContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := attack.PGD{}.Attack(ctx, attack.NewOracle(modeltest.Analytic{}, nil, items(t, 2, 1), 0))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestSelectGradient(t *testing.T) {
	fd := attack.FiniteDifference{}
	tests := []struct {
		name, source string
		clf          model.Classifier
		want         string
		wantErr      bool
	}{
		{"auto white box", "auto", modeltest.Analytic{}, "attack.WhiteBox", false},
		{"auto black box", "auto", blackBox{modeltest.Analytic{}}, "attack.FiniteDifference", false},
		{"plugin black box", "plugin", blackBox{modeltest.Analytic{}}, "", true},
		{"forced fd", "finite-difference", modeltest.Analytic{}, "attack.FiniteDifference", false},
		{"unknown", "magic", modeltest.Analytic{}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := attack.SelectGradient(tt.source, tt.clf, fd)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && fmt.Sprintf("%T", g) != tt.want {
				t.Errorf("got %T, want %s", g, tt.want)
			}
		})
	}
}
