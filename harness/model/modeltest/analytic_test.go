package modeltest

import (
	"context"
	"math"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/model"
)

func TestAnalyticGradientMatchesFiniteDifferences(t *testing.T) {
	ctx := context.Background()
	rec := Records(1, 900, 3)[0]
	x := rec.Signal.Samples
	m := Analytic{}
	lossAt := func(x []float64, y int, loss model.Loss) float64 {
		s, err := m.Predict(ctx, [][]float64{x})
		if err != nil {
			t.Fatal(err)
		}
		z := s[0]
		if loss == model.LogitMargin {
			best := math.Inf(-1)
			for j, v := range z {
				if j != y {
					best = math.Max(best, v)
				}
			}
			return z[y] - best
		}
		return -math.Log(model.Softmax(nil, z)[y])
	}
	for _, loss := range []model.Loss{model.CrossEntropy, model.LogitMargin} {
		for y := range 4 {
			g, _, err := m.InputGradient(ctx, [][]float64{x}, []int{y}, loss)
			if err != nil {
				t.Fatal(err)
			}
			const h = 1e-3
			for _, i := range []int{0, 17, 450, 899} {
				xp := append([]float64(nil), x...)
				xm := append([]float64(nil), x...)
				xp[i] += h
				xm[i] -= h
				fd := (lossAt(xp, y, loss) - lossAt(xm, y, loss)) / (2 * h)
				if math.Abs(fd-g[0][i]) > 1e-7+1e-4*math.Abs(fd) {
					t.Errorf("%v y=%d: dL/dx[%d] = %g, finite difference %g", loss, y, i, g[0][i], fd)
				}
			}
		}
	}
}

func TestAnalyticDeterministicAndBatchInvariant(t *testing.T) {
	ctx := context.Background()
	recs := Records(3, 600, 4)
	m := Analytic{}
	batch := [][]float64{recs[0].Signal.Samples, recs[1].Signal.Samples, recs[2].Signal.Samples}
	all, err := m.Predict(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range batch {
		one, _ := m.Predict(ctx, [][]float64{x})
		for k := range one[0] {
			if one[0][k] != all[i][k] {
				t.Fatalf("signal %d: batch scores %v, alone %v", i, all[i], one[0])
			}
		}
	}
	_, sc, _ := m.InputGradient(ctx, batch[:1], []int{0}, model.CrossEntropy)
	for k := range sc[0] {
		if sc[0][k] != all[0][k] {
			t.Fatalf("InputGradient scores %v differ from Predict %v", sc[0], all[0])
		}
	}
}

func TestAnalyticRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	m := Analytic{}
	if _, err := m.Predict(ctx, [][]float64{{}}); err == nil {
		t.Error("empty signal accepted")
	}
	if _, _, err := m.InputGradient(ctx, [][]float64{{1, 2}}, []int{7}, model.CrossEntropy); err == nil {
		t.Error("label 7 accepted")
	}
	if _, _, err := m.InputGradient(ctx, [][]float64{{1, 2}}, nil, model.CrossEntropy); err == nil {
		t.Error("missing labels accepted")
	}
}

func TestRecordsSeeded(t *testing.T) {
	a, b := Records(3, 300, 9), Records(3, 300, 9)
	for i := range a {
		for k := range a[i].Signal.Samples {
			if a[i].Signal.Samples[k] != b[i].Signal.Samples[k] {
				t.Fatalf("record %d differs at %d", i, k)
			}
		}
	}
	if a[2].Valid.Len() != 200 || a[2].Signal.Samples[0] != 0 {
		t.Errorf("record 2 should be centred and padded: valid %+v", a[2].Valid)
	}
}
