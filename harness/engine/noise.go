package engine

import (
	"context"
	"fmt"
	"sort"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/metric"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/spec"
)

// noiseConditions lists the (noise, SNR) pairs of a noise-stress attack in
// a fixed order: noises as the spec lists them, SNRs as listed.
func noiseConditions(a spec.Attack) (kinds []string, snrs []float64) {
	for _, n := range a.Noise {
		for _, s := range a.SNRdB {
			kinds = append(kinds, n)
			snrs = append(snrs, s)
		}
	}
	return kinds, snrs
}

// runNoise classifies every record of p under every noise condition. A
// row's Extra holds 1 or 0 per condition under the condition's metric
// name (spec.NoiseMetric, e.g. "accuracy_em_6"): whether the noisy record
// was classified as its true label. Success means a correctly classified
// record changed label under at least one condition.
func (r *runner) runNoise(ctx context.Context, clf model.Classifier, p *plan, recs []*loaded) ([]RecordResult, error) {
	kinds, snrs := noiseConditions(p.a)
	rows := make([]RecordResult, len(recs))
	for k, l := range recs {
		row := r.baseRow(p, l)
		if l.err != nil {
			rows[k] = row
			continue
		}
		row.Attacked = l.cleanY == l.label
		rng := RecordRand(r.s.Seed, l.id, p.a.ID)
		sig := make([][]float64, len(kinds))
		var err error
		for c := range kinds {
			seed := rng.Uint64()
			noisy, e := r.opts.Noise(l.rec, kinds[c], snrs[c], seed)
			if e != nil {
				err = fmt.Errorf("add %s noise at %v dB: %w", kinds[c], snrs[c], e)
				break
			}
			sig[c] = noisy.Signal.Samples
		}
		if err != nil {
			row.Error = err.Error()
			rows[k] = row
			continue
		}
		items := []attack.Item{{Record: l.rec, Label: l.label, Target: -1}}
		o := attack.NewOracle(clf, nil, items, 0)
		idx := make([]int, len(sig))
		sc, err := o.Predict(ctx, idx, sig)
		if err != nil {
			return nil, fmt.Errorf("attack %q: %w", p.a.ID, err)
		}
		row.Queries = o.Queries(0)
		if e := o.Err(0); e != nil {
			row.Error = e.Error()
			rows[k] = row
			continue
		}
		row.Extra = map[string]float64{}
		for c := range kinds {
			y := model.Argmax(sc[c])
			ok := 0.0
			if y == l.label {
				ok = 1
			}
			row.Extra[spec.NoiseMetric(kinds[c], snrs[c])] = ok
			if row.Attacked && y != l.cleanY {
				row.Success = true
			}
		}
		rows[k] = row
	}
	return rows, nil
}

// summariseNoise sets a noise-stress attack's metrics: the accuracy per
// condition, the least of them and the largest drop from the clean
// accuracy of the same records, plus one accuracy-vs-SNR curve per noise.
func summariseNoise(sum *AttackSummary, a spec.Attack, rows []RecordResult) {
	kinds, snrs := noiseConditions(a)
	m := sum.Metrics
	var n, clean int
	correct := make([]int, len(kinds))
	for _, row := range rows {
		if row.Error != "" {
			continue
		}
		n++
		if row.CleanLabel == row.TrueLabel {
			clean++
		}
		for c := range kinds {
			if row.Extra[spec.NoiseMetric(kinds[c], snrs[c])] == 1 {
				correct[c]++
			}
		}
	}
	if n == 0 {
		return
	}
	acc := make([]float64, len(kinds))
	for c := range kinds {
		acc[c], _ = metric.Rate(correct[c], n)
		m[spec.NoiseMetric(kinds[c], snrs[c])] = acc[c]
	}
	if lo, ok := minOf(acc); ok {
		cleanAcc, _ := metric.Rate(clean, n)
		m[spec.MetricAccuracyMin] = lo
		m[spec.MetricAccuracyDropMax] = cleanAcc - lo
	}
	byKind := map[string]*Curve{}
	var order []string
	for c, k := range kinds {
		cv := byKind[k]
		if cv == nil {
			cv = &Curve{Name: "accuracy_" + k, XLabel: "SNR (dB)", YLabel: "accuracy"}
			byKind[k] = cv
			order = append(order, k)
		}
		cv.X = append(cv.X, snrs[c])
		cv.Y = append(cv.Y, acc[c])
	}
	for _, k := range order {
		cv := byKind[k]
		idx := make([]int, len(cv.X))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return cv.X[idx[a]] > cv.X[idx[b]] })
		x, y := make([]float64, len(idx)), make([]float64, len(idx))
		for i, j := range idx {
			x[i], y[i] = cv.X[j], cv.Y[j]
		}
		cv.X, cv.Y = x, y
		sum.Curves = append(sum.Curves, *cv)
	}
}
