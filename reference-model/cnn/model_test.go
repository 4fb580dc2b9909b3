package cnn

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/demo"
	"github.com/ecgrobust/ecgrobust/harness/model"
)

var update = flag.Bool("update", false, "rewrite testdata/demo_predictions.json from the embedded weights")

// demoSignals returns the demo sample, Han 2020 preprocessed.
func demoSignals(t testing.TB) ([]ecg.Record, [][]float64) {
	t.Helper()
	recs, err := demo.Records()
	if err != nil {
		t.Fatal(err)
	}
	sig := make([][]float64, len(recs))
	for i := range recs {
		recs[i] = ecg.Han2020(recs[i])
		sig[i] = recs[i].Signal.Samples
	}
	return recs, sig
}

func reference(t testing.TB, workers int) *Model {
	t.Helper()
	m, err := Reference(workers)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// smoothIn returns a random smooth direction that is zero outside span.
func smoothIn(n int, span ecg.Span, rng *rand.Rand) []float64 {
	d := smooth(n, rng)
	for i := range d {
		if i < span.Start || i >= span.End {
			d[i] = 0
		}
	}
	return d
}

// TestReferenceGradientFiniteDifference checks the exact input gradients of
// both losses, in float64 through the reference weights, against central
// finite differences along smooth random directions inside the recorded
// span (attacks leave the zero padding alone; there, max-pooling ties make
// the loss non-differentiable).
func TestReferenceGradientFiniteDifference(t *testing.T) {
	recs, sig := demoSignals(t)
	w, err := ReferenceWeights()
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(paramsFrom[float64](w), 0)
	rng := rand.New(rand.NewPCG(7, 8))
	i := slices.IndexFunc(recs, func(r ecg.Record) bool { return r.Label == ecg.AF })
	// The recording is integer-valued with flat runs, which give exact
	// max-pooling ties (kinks); a smooth sub-adu offset inside the span
	// moves the point off them, as any attacked signal is.
	off := smoothIn(len(sig[i]), recs[i].Valid, rng)
	x := make([]float64, len(sig[i]))
	for j, v := range sig[i] {
		x[j] = (v + 0.1*off[j]) / Gain
	}
	lossAt := func(x []float64, y int, loss model.Loss) float64 {
		e.forward([][]float64{x}, false)
		z := e.samples[0].logits
		switch loss {
		case model.CrossEntropy:
			p := model.Softmax(nil, z)
			return -math.Log(p[y])
		default:
			m := math.Inf(-1)
			for k, v := range z {
				if k != y {
					m = math.Max(m, v)
				}
			}
			return z[y] - m
		}
	}
	for _, tc := range []struct {
		loss model.Loss
		y    int
	}{{model.CrossEntropy, 1}, {model.LogitMargin, 0}} {
		loss, y := tc.loss, tc.y
		t.Run(fmt.Sprintf("%v/label%d", loss, y), func(t *testing.T) {
			grads := make([][]float64, 1)
			scores := make([][]float64, 1)
			runBatch(e, [][]float64{x}, []int{y}, 0, loss, true, grads, scores)
			for trial := range 2 {
				d := smoothIn(len(x), recs[i].Valid, rng) // adu
				var want float64
				for j := range d {
					want += grads[0][j] * d[j]
				}
				const h = 1e-4 // adu
				xp, xm := slices.Clone(x), slices.Clone(x)
				for j := range d {
					xp[j] += h * d[j] / Gain
					xm[j] -= h * d[j] / Gain
				}
				got := (lossAt(xp, y, loss) - lossAt(xm, y, loss)) / (2 * h)
				if rel := math.Abs(got-want) / math.Abs(want); rel > 1e-4 {
					t.Errorf("trial %d: gradient·d = %.9g, finite difference %.9g (rel %.2g)", trial, want, got, rel)
				}
			}
		})
	}
}

// TestFloat32MatchesFloat64 checks the AVX2 float32 path against the
// portable float64 one on the demo sample.
func TestFloat32MatchesFloat64(t *testing.T) {
	_, sig := demoSignals(t)
	sig = sig[:3]
	m := reference(t, 0)
	labels := []int{0, 1, 3}
	g32, s32, err := m.InputGradient(context.Background(), sig, labels, model.CrossEntropy)
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(paramsFrom[float64](m.Weights()), 0)
	x := make([][]float64, len(sig))
	for i := range sig {
		x[i] = make([]float64, len(sig[i]))
		for j, v := range sig[i] {
			x[i][j] = v / Gain
		}
	}
	g64, s64 := make([][]float64, len(x)), make([][]float64, len(x))
	runBatch(e, x, labels, 0, model.CrossEntropy, true, g64, s64)
	for i := range x {
		for k := range s64[i] {
			if d := math.Abs(s32[i][k] - s64[i][k]); d > 1e-3 {
				t.Errorf("signal %d logit %d: float32 %v, float64 %v", i, k, s32[i][k], s64[i][k])
			}
		}
		var num, den float64
		for j := range g64[i] {
			g := g64[i][j]
			num += (g32[i][j] - g) * (g32[i][j] - g)
			den += g * g
		}
		if r := math.Sqrt(num / den); r > 1e-3 {
			t.Errorf("signal %d: gradient relative L2 error %.2g between float32 and float64", i, r)
		}
	}
}

// TestInvariance checks that scores and gradients do not depend on the
// batch a signal is in or on the number of workers, bit for bit.
func TestInvariance(t *testing.T) {
	_, sig := demoSignals(t)
	sig = sig[:5]
	labels := []int{3, 2, 1, 0, 2}
	ctx := context.Background()
	g1, s1, err := reference(t, 1).InputGradient(ctx, sig, labels, model.LogitMargin)
	if err != nil {
		t.Fatal(err)
	}
	m2 := reference(t, 2)
	for i := range sig {
		g, s, err := m2.InputGradient(ctx, sig[i:i+1], labels[i:i+1], model.LogitMargin)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(s[0], s1[i]) || !slices.Equal(g[0], g1[i]) {
			t.Errorf("signal %d: scores or gradient differ alone with 2 workers and in a batch with 1", i)
		}
	}
	p, err := m2.Predict(ctx, sig)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p {
		if !slices.Equal(p[i], s1[i]) {
			t.Errorf("signal %d: Predict %v, InputGradient scores %v", i, p[i], s1[i])
		}
	}
}

type goldenPrediction struct {
	ID     string   `json:"id"`
	Label  string   `json:"label"`
	Pred   string   `json:"pred"`
	Logits []string `json:"logits_float32_bits"`
}

// TestDemoPredictionsGolden checks that the embedded weights reproduce the
// committed predictions on the demo sample bit for bit (run with -update
// after retraining).
func TestDemoPredictionsGolden(t *testing.T) {
	recs, sig := demoSignals(t)
	scores, err := reference(t, 0).Predict(context.Background(), sig)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]goldenPrediction, len(recs))
	for i, r := range recs {
		g := goldenPrediction{ID: r.ID, Label: r.Label, Pred: ecg.CinCClasses[model.Argmax(scores[i])]}
		for _, v := range scores[i] {
			g.Logits = append(g.Logits, fmt.Sprintf("%08x", math.Float32bits(float32(v))))
		}
		got[i] = g
	}
	path := filepath.Join("testdata", "demo_predictions.json")
	if *update {
		b, _ := json.MarshalIndent(got, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []goldenPrediction
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(got) {
		t.Fatalf("%d demo predictions, golden file has %d", len(got), len(want))
	}
	exact := haveAVX2 // the golden bits come from the AVX2 (FMA) kernel
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Pred != want[i].Pred {
			t.Errorf("record %s: predicted %s, golden %s %s", got[i].ID, got[i].Pred, want[i].ID, want[i].Pred)
		}
		for k := range got[i].Logits {
			if exact && got[i].Logits[k] != want[i].Logits[k] {
				t.Errorf("record %s logit %d: bits %s, golden %s", got[i].ID, k, got[i].Logits[k], want[i].Logits[k])
			}
		}
	}
}

func TestInputErrors(t *testing.T) {
	m := reference(t, 1)
	ctx := context.Background()
	good := make([]float64, InputLength)
	nan := slices.Clone(good)
	nan[17] = math.NaN()
	tests := []struct {
		name   string
		sig    [][]float64
		labels []int
		loss   model.Loss
	}{
		{"short", [][]float64{make([]float64, 100)}, []int{0}, model.CrossEntropy},
		{"nan", [][]float64{good, nan}, []int{0, 0}, model.CrossEntropy},
		{"labels", [][]float64{good}, []int{0, 1}, model.CrossEntropy},
		{"label range", [][]float64{good}, []int{4}, model.CrossEntropy},
		{"loss", [][]float64{good}, []int{0}, model.Loss(9)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := m.InputGradient(ctx, tt.sig, tt.labels, tt.loss); !errors.Is(err, ErrInput) {
				t.Errorf("InputGradient error %v, want ErrInput", err)
			}
		})
	}
	if _, err := m.Predict(ctx, [][]float64{nan}); !errors.Is(err, ErrInput) {
		t.Errorf("Predict error %v, want ErrInput", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Predict(cctx, [][]float64{good}); !errors.Is(err, context.Canceled) {
		t.Errorf("Predict on a cancelled context: error %v", err)
	}
}

// TestConcurrentUse calls one Model from several goroutines at once and
// checks every answer against a serial call.
func TestConcurrentUse(t *testing.T) {
	_, sig := demoSignals(t)
	m := reference(t, 2)
	ctx := context.Background()
	want, err := m.Predict(ctx, sig[:8])
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			got, err := m.Predict(ctx, sig[2*g:2*g+2])
			if err == nil {
				for i := range got {
					if !slices.Equal(got[i], want[2*g+i]) {
						err = fmt.Errorf("goroutine %d signal %d: %v, serial %v", g, i, got[i], want[2*g+i])
					}
				}
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
