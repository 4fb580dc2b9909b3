package attack_test

import (
	"context"
	"math"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/model/modeltest"
)

// TestFiniteDifferenceDecayPoolsProbes checks FirstDirections and Decay:
// the first estimate uses FirstDirections pairs, later ones Directions,
// and with Decay 1 the second estimate is the pair-weighted mean of both
// raw estimates (the same draws, taken from an oracle without pooling).
func TestFiniteDifferenceDecayPoolsProbes(t *testing.T) {
	ctx := context.Background()
	est := func(decay float64) ([][]float64, *attack.Oracle) {
		it := items(t, 1, 3)
		fd := attack.FiniteDifference{Directions: 10, FirstDirections: 100, Downsample: 8, Decay: decay}
		o := attack.NewOracle(modeltest.Analytic{}, fd, it, 0)
		x := [][]float64{it[0].Record.Signal.Samples}
		var out [][]float64
		for range 2 {
			g, _, err := o.Gradient(ctx, []int{0}, x, []int{it[0].Label}, model.CrossEntropy)
			if err != nil || g[0] == nil {
				t.Fatalf("estimate failed: %v", err)
			}
			out = append(out, g[0])
		}
		return out, o
	}
	raw, ro := est(0)
	pooled, po := est(1)
	if ro.Queries(0) != 201+21 || po.Queries(0) != 201+21 {
		t.Errorf("queries %d and %d, want 201 + 21", ro.Queries(0), po.Queries(0))
	}
	for i := range raw[0] {
		if math.Abs(pooled[0][i]-raw[0][i]) > 1e-9*math.Max(1, math.Abs(raw[0][i])) {
			t.Fatalf("first estimate changed by pooling at sample %d", i)
		}
		want := (100*raw[0][i] + 10*raw[1][i]) / 110
		if math.Abs(pooled[1][i]-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Fatalf("sample %d: pooled %v, want %v", i, pooled[1][i], want)
		}
	}
	// Pooling 110 pairs must estimate S∇ better than the 10 of the raw
	// second estimate.
	it := items(t, 1, 3)
	x := [][]float64{it[0].Record.Signal.Samples}
	exact, _, _ := modeltest.Analytic{}.InputGradient(ctx, x, []int{it[0].Label}, model.CrossEntropy)
	sg := attack.DefaultSmoother(300).Apply(nil, exact[0])
	if cp, cr := cos(sg, pooled[1]), cos(sg, raw[1]); !(cp > cr) || cp < 0.3 {
		t.Errorf("cosine with S∇: pooled %.3f, raw %.3f; want pooled > raw and ≥ 0.3", cp, cr)
	}
}

// TestFiniteDifferenceFirstDirectionsBudget runs black-box SAP with a
// first estimate larger than the rest of the budget allows: no item may
// exceed its budget, and the run is deterministic.
func TestFiniteDifferenceFirstDirectionsBudget(t *testing.T) {
	fd := attack.FiniteDifference{Directions: 5, FirstDirections: 300, Downsample: 8, Decay: 1, BatchSignals: 64}
	const budget = 800
	a := run(t, attack.SAP{Steps: 10, PGDSteps: 5}, blackBox{modeltest.Analytic{}}, fd, items(t, 4, 9), budget)
	b := run(t, attack.SAP{Steps: 10, PGDSteps: 5}, blackBox{modeltest.Analytic{}}, fd, items(t, 4, 9), budget)
	for i := range a {
		if a[i].Queries > budget {
			t.Errorf("item %d: %d queries over the budget %d", i, a[i].Queries, budget)
		}
		if a[i].Queries < 601 {
			t.Errorf("item %d: %d queries, want at least the first estimate's 601", i, a[i].Queries)
		}
		if a[i].Queries != b[i].Queries || a[i].Success != b[i].Success || len(a[i].Adversarial) != len(b[i].Adversarial) {
			t.Fatalf("item %d: runs differ", i)
		}
		for k := range a[i].Adversarial {
			if a[i].Adversarial[k] != b[i].Adversarial[k] {
				t.Fatalf("item %d: adversarial examples differ at sample %d", i, k)
			}
		}
	}
}
