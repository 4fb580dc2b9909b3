package main

import (
	"context"
	"math"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/model"
)

// hunt is one record's state in signHunt.
type hunt struct {
	it      attack.Item
	smooth  *attack.Smoother // S at the record's rate
	s       []float64        // sign of θ per sample of the recorded span (±1)
	margin  float64          // logit margin z_y − max_{j≠y} z_j at the current s
	level   int              // blocks of the current level: 2^level
	block   int              // next block to flip at this level
	queries int
	done    bool
	success bool
}

// signHunt is an experiment, not a product attack: SignHunter
// (Al-Dujaili & O'Reilly 2020) adapted to SAP's perturbation set. The
// perturbation is S(ε·s) with s ∈ {−1, +1} on the recorded span, inside
// SAP's set {S(θ) : |θ| ≤ ε}. Starting from s = +1, it flips the signs of
// one block at a time, halving the blocks level by level down to
// minBlock samples and then starting again at one block, and keeps a flip
// when the logit margin drops. Every query is one Predict signal; the
// records' proposals are batched. It returns the successes and the mean
// queries.

func signHunt(ctx context.Context, clf model.Classifier, items []attack.Item, epsUV float64, budget, minBlock int) (int, float64) {
	hs := make([]*hunt, len(items))
	signal := func(h *hunt, s []float64) []float64 {
		r := h.it.Record
		x := r.Signal.Samples
		vs := r.ValidSpan()
		eps := r.Signal.ADU(epsUV)
		theta := make([]float64, len(x))
		for t := vs.Start; t < vs.End; t++ {
			theta[t] = eps * s[t-vs.Start]
		}
		d := h.smooth.Apply(nil, theta)
		y := append([]float64(nil), x...)
		for t := vs.Start; t < vs.End; t++ {
			y[t] += d[t]
		}
		return y
	}
	margin := func(h *hunt, z []float64) float64 {
		best := math.Inf(-1)
		for j, v := range z {
			if j != h.it.Label {
				best = math.Max(best, v)
			}
		}
		return z[h.it.Label] - best
	}
	judge := func(batch []*hunt, props [][]float64) []float64 {
		sig := make([][]float64, len(batch))
		for k, h := range batch {
			sig[k] = signal(h, props[k])
		}
		sc, err := clf.Predict(ctx, sig)
		if err != nil {
			panic(err) // a developer tool: the reference model does not fail
		}
		m := make([]float64, len(batch))
		for k, h := range batch {
			h.queries++
			m[k] = margin(h, sc[k])
			if model.Argmax(sc[k]) != h.it.Label {
				h.done, h.success = true, true
			}
		}
		return m
	}
	var active []*hunt
	var props [][]float64
	for i, it := range items {
		vs := it.Record.ValidSpan()
		s := make([]float64, vs.End-vs.Start)
		for t := range s {
			s[t] = 1
		}
		hs[i] = &hunt{it: it, smooth: attack.DefaultSmoother(it.Record.Signal.Rate), s: s}
		active = append(active, hs[i])
		props = append(props, s)
	}
	for k, m := range judge(active, props) {
		active[k].margin = m
	}
	for {
		active, props = active[:0], props[:0]
		for _, h := range hs {
			if h.done || h.queries >= budget {
				continue
			}
			n := len(h.s)
			blocks := 1 << h.level
			if n/blocks < minBlock {
				h.level, h.block, blocks = 0, 0, 1
			}
			lo, hi := h.block*n/blocks, (h.block+1)*n/blocks
			p := append([]float64(nil), h.s...)
			for t := lo; t < hi; t++ {
				p[t] = -p[t]
			}
			if h.block++; h.block == blocks {
				h.level, h.block = h.level+1, 0
			}
			active = append(active, h)
			props = append(props, p)
		}
		if len(active) == 0 {
			break
		}
		for k, m := range judge(active, props) {
			if h := active[k]; m < h.margin {
				h.s, h.margin = props[k], m
			}
		}
	}
	succ, q := 0, 0.0
	for _, h := range hs {
		if h.success {
			succ++
		}
		q += float64(h.queries)
	}
	return succ, q / float64(len(hs))
}
