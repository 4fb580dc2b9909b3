package main

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/model"
)

// blockSigns is a diagnostic: white-box SAP (paper schedule, no early
// stop) on each item, then the vertex S(ε·s_B) with s_B the sign of the
// perturbation's sum over blocks of B samples of the span, for each B:
// how coarse a sign pattern of the white-box solution still flips. It
// prints each record's logit margins, the number of runs of one sign in
// the perturbation, and the signs' mean autocorrelation over the records.
func blockSigns(ctx context.Context, clf model.Classifier, items []attack.Item, sizes []int) {
	out, err := attack.SAP{}.Attack(ctx, attack.NewOracle(clf, attack.WhiteBox{}, items, 0))
	if err != nil {
		log.Fatal(err)
	}
	sm := attack.DefaultSmoother(300)
	flips := make([]int, len(sizes))
	margins := make([][]float64, len(sizes))
	acf := make([]float64, 65)
	for i, o := range out {
		it := items[i]
		if o.Adversarial == nil {
			log.Fatalf("%s: white-box SAP gave no adversarial signal: %v", it.Record.ID, o.Err)
		}
		x := it.Record.Signal.Samples
		vs := it.Record.ValidSpan()
		eps := it.Record.Signal.ADU(10)
		for l := 1; l <= 64; l++ {
			var c float64
			for t := vs.Start; t+l < vs.End; t++ {
				c += sign(o.Adversarial[t]-x[t]) * sign(o.Adversarial[t+l]-x[t+l])
			}
			acf[l] += c / float64(vs.Len()-l)
		}
		fmt.Printf("%s (%s, span %d, white-box %v):", it.Record.ID, it.Record.Label, vs.Len(), o.Success)
		for k, b := range sizes {
			theta := make([]float64, len(x))
			for lo := vs.Start; lo < vs.End; lo += b {
				hi := min(lo+b, vs.End)
				var sum float64
				for t := lo; t < hi; t++ {
					sum += o.Adversarial[t] - x[t]
				}
				v := eps
				if sum < 0 {
					v = -eps
				}
				for t := lo; t < hi; t++ {
					theta[t] = v
				}
			}
			d := sm.Apply(nil, theta)
			sig := slices.Clone(x)
			for t := vs.Start; t < vs.End; t++ {
				sig[t] += d[t]
			}
			sc, err := clf.Predict(ctx, [][]float64{sig})
			if err != nil {
				log.Fatal(err)
			}
			m := attack.Loss(sc[0], clf.Info().Scores, it.Label, model.LogitMargin)
			if model.Argmax(sc[0]) != it.Label {
				flips[k]++
			}
			margins[k] = append(margins[k], m)
			fmt.Printf(" B%d %.3f", b, m)
		}
		fmt.Printf(" (runs: %d, toward %s)\n", signRuns(it, o.Adversarial), runnerUp(clf, it, o.Scores))
	}
	fmt.Printf("mean autocorrelation of the signs at lags 1..64:")
	for l := 1; l <= 64; l++ {
		fmt.Printf(" %d:%.2f", l, acf[l]/float64(len(out)))
	}
	fmt.Println()
	for k, b := range sizes {
		slices.Sort(margins[k])
		fmt.Printf("blocks of %d: %d of %d flip, median margin %.3f\n", b, flips[k], len(out), margins[k][len(margins[k])/2])
	}
}

// signRuns counts the runs of one sign of adv − x on its recorded span
// (0 without an adversarial signal).
func signRuns(it attack.Item, adv []float64) int {
	if adv == nil {
		return 0
	}
	x, vs := it.Record.Signal.Samples, it.Record.ValidSpan()
	runs := 0
	for t := vs.Start; t < vs.End; t++ {
		if t == vs.Start || sign(adv[t]-x[t]) != sign(adv[t-1]-x[t-1]) {
			runs++
		}
	}
	return runs
}

// sign is −1 for negative v, else +1.
func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// runnerUp names the highest-scoring class other than the item's label
// ("-" without scores).
func runnerUp(clf model.Classifier, it attack.Item, scores []float64) string {
	best := -1
	for c, v := range scores {
		if c != it.Label && (best < 0 || v > scores[best]) {
			best = c
		}
	}
	if best < 0 {
		return "-"
	}
	return clf.Info().Classes[best]
}
