package main

import (
	"context"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/qrs"
	"github.com/ecgrobust/ecgrobust/harness/model"
)

// projected is a diagnostic classifier: the wrapped model, whose input
// gradients are replaced by what an exact finite-difference estimator at
// downsample r converges to, S·U·Uᵀ·S·g (U: linear upsampling from every
// r-th sample, S: SAP's smoother). White-box SAP through it bounds what
// black-box SAP with that estimator can reach given enough queries.
//
// With beat set, the subspace is instead one template of beatPre+beatPost
// samples added at every QRS complex of the signal (qrs.Detect): a
// perturbation that repeats beat by beat.
type projected struct {
	model.Classifier
	r    int
	s    *attack.Smoother
	beat bool
}

const beatPre, beatPost = 90, 150 // samples at 300 Hz around each R peak

func (p projected) InputGradient(ctx context.Context, signals [][]float64, labels []int, loss model.Loss) ([][]float64, [][]float64, error) {
	g, sc, err := p.Classifier.(model.Gradienter).InputGradient(ctx, signals, labels, loss)
	if err != nil {
		return nil, nil, err
	}
	for i, gi := range g {
		if p.beat {
			g[i] = p.projectBeats(gi, qrs.Detect(ecg.Signal{Samples: signals[i], Rate: 300, Gain: 1000}))
		} else {
			g[i] = p.project(gi)
		}
	}
	return g, sc, nil
}

func (p projected) project(g []float64) []float64 {
	n := len(g)
	y := p.s.Apply(nil, g)
	r := p.r
	m := (n-1)/r + 2
	low := make([]float64, m)
	for t := range n { // Uᵀ
		j, f := t/r, float64(t%r)/float64(r)
		low[j] += y[t] * (1 - f)
		low[j+1] += y[t] * f
	}
	z := make([]float64, n)
	for t := range n { // U
		j, f := t/r, float64(t%r)/float64(r)
		z[t] = low[j]*(1-f) + low[j+1]*f
	}
	return p.s.Apply(nil, z)
}

func (p projected) projectBeats(g []float64, peaks []int) []float64 {
	n := len(g)
	y := p.s.Apply(nil, g)
	tmpl := make([]float64, beatPre+beatPost)
	for _, r := range peaks { // Uᵀ
		for k := range tmpl {
			if t := r - beatPre + k; t >= 0 && t < n {
				tmpl[k] += y[t]
			}
		}
	}
	z := make([]float64, n)
	for _, r := range peaks { // U
		for k, v := range tmpl {
			if t := r - beatPre + k; t >= 0 && t < n {
				z[t] += v
			}
		}
	}
	return p.s.Apply(nil, z)
}
