package main

import (
	"context"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/model"
)

// simulated is a diagnostic classifier: the wrapped model, whose input
// gradient g is replaced by a finite-difference estimate computed from g
// itself. Each probe's loss difference is replaced by its first-order
// value uᵀg (exact for a small probe on a smooth model), so white-box SAP
// through it simulates black-box SAP with the estimator described by the
// fields at the cost of one gradient call per step instead of 2q + 1
// predictions. Estimator designs can then be compared in seconds.
//
// State (pooled probes, weights) is per record; a signal is matched to
// the attacked record it is a perturbation of.
type simulated struct {
	model.Classifier
	s     *attack.Smoother
	items []attack.Item

	r        int     // downsample
	q, first int     // pairs per estimate, pairs of the first
	decay    float64 // pooling decay (0: the current estimate only)
	adapt    int     // block size for adaptive probe weights (0: off)
	// cos, when positive, replaces the probes: the estimate is the exact
	// projection plus noise in the same subspace, scaled to this cosine.
	cos float64
	// freeze keeps each record's first estimate for all later steps.
	freeze bool

	st []simState

	cosSum float64 // cosines of first estimates with the exact projection
	cosN   int
}

type simState struct {
	rng    *rand.Rand
	sum    []float64
	weight float64
	n      int
	w      []float64 // per low-resolution coefficient probe scale
	frozen []float64
}

func newSimulated(clf model.Classifier, items []attack.Item, r, q, first int, decay float64, adapt int, seed uint64) *simulated {
	st := make([]simState, len(items))
	for i := range st {
		st[i].rng = rand.New(rand.NewPCG(seed, uint64(i)))
	}
	return &simulated{Classifier: clf, s: attack.DefaultSmoother(300), items: items, r: r, q: q, first: first, decay: decay, adapt: adapt, st: st}
}

// owner returns the index of the item x is a perturbation of.
func (m *simulated) owner(x []float64) int {
	best, bd := 0, math.Inf(1)
	for i, it := range m.items {
		var d float64
		for t, v := range it.Record.Signal.Samples {
			d = math.Max(d, math.Abs(v-x[t]))
			if d >= bd {
				break
			}
		}
		if d < bd {
			best, bd = i, d
		}
	}
	return best
}

func (m *simulated) InputGradient(ctx context.Context, signals [][]float64, labels []int, loss model.Loss) ([][]float64, [][]float64, error) {
	g, sc, err := m.Classifier.(model.Gradienter).InputGradient(ctx, signals, labels, loss)
	if err != nil {
		return nil, nil, err
	}
	for k, x := range signals {
		i := m.owner(x)
		g[k] = m.estimate(&m.st[i], m.items[i].Record.ValidSpan(), g[k])
	}
	return g, sc, nil
}

func (m *simulated) estimate(st *simState, vs ecg.Span, g []float64) []float64 {
	if m.freeze && st.frozen != nil {
		return append([]float64(nil), st.frozen...)
	}
	if m.cos > 0 {
		est := m.noisy(st, vs, g)
		if m.freeze {
			st.frozen = append([]float64(nil), est...)
		}
		return est
	}
	n, L := len(g), vs.Len()
	low := make([]float64, (L-1)/m.r+2)
	if st.w == nil {
		st.w = make([]float64, len(low))
		for j := range st.w {
			st.w[j] = 1
		}
	}
	q := m.q
	if st.n == 0 && m.first > 0 {
		q = m.first
	}
	est := make([]float64, n)
	u, tmp := make([]float64, n), make([]float64, n)
	for range q {
		for j := range low {
			low[j] = st.w[j] * st.rng.NormFloat64()
		}
		clear(tmp)
		for t := range L {
			j, f := t/m.r, float64(t%m.r)/float64(m.r)
			tmp[vs.Start+t] = low[j]*(1-f) + low[j+1]*f
		}
		m.s.Apply(u, tmp)
		var peak, d float64
		for t := vs.Start; t < vs.End; t++ {
			peak = math.Max(peak, math.Abs(u[t]))
		}
		for t := vs.Start; t < vs.End; t++ {
			u[t] /= peak
			d += u[t] * g[t]
		}
		for t := vs.Start; t < vs.End; t++ {
			est[t] += d * u[t] / float64(q)
		}
	}
	if st.n == 0 {
		p := projected{s: m.s, r: m.r}.project(g)
		m.cosSum += floats.Dot(p, est) / (floats.Norm(p, 2) * floats.Norm(est, 2))
		m.cosN++
	}
	st.n++
	if m.decay > 0 {
		if st.sum == nil {
			st.sum = make([]float64, n)
		}
		st.weight = m.decay*st.weight + float64(q)
		for t, v := range est {
			st.sum[t] = m.decay*st.sum[t] + float64(q)*v
			est[t] = st.sum[t] / st.weight
		}
	}
	if m.adapt > 0 {
		m.reweigh(st, vs, est)
	}
	return est
}

// reweigh sets the probe scale of each low-resolution coefficient to the
// RMS of the estimate over its block of m.adapt samples, relative to the
// mean: probes then concentrate where the gradient appears to be.
func (m *simulated) reweigh(st *simState, vs ecg.Span, est []float64) {
	L := vs.Len()
	nb := (L + m.adapt - 1) / m.adapt
	e := make([]float64, nb)
	for t := range L {
		v := est[vs.Start+t]
		e[t/m.adapt] += v * v
	}
	var mean float64
	for _, v := range e {
		mean += v / float64(nb)
	}
	if mean == 0 {
		return
	}
	for j := range st.w {
		b := min(j*m.r/m.adapt, nb-1)
		st.w[j] = math.Sqrt(e[b] / mean)
	}
}

// meanCosine returns the mean cosine of the records' first estimates with
// the exact projection S·U·Uᵀ·S·g at the same downsample.
func (m *simulated) meanCosine() float64 { return m.cosSum / float64(max(m.cosN, 1)) }

// noisy returns the exact projection p of g plus noise drawn in the same
// subspace (S·U of white noise at the downsample), scaled so that the
// result's cosine with p is about m.cos.
func (m *simulated) noisy(st *simState, vs ecg.Span, g []float64) []float64 {
	pr := projected{s: m.s, r: m.r}
	p := pr.project(g)
	z := make([]float64, len(g))
	for t := vs.Start; t < vs.End; t++ {
		z[t] = st.rng.NormFloat64()
	}
	nz := pr.project(z)
	// Remove nz's component along p so that the cosine is exact.
	floats.AddScaled(nz, -floats.Dot(nz, p)/floats.Dot(p, p), p)
	scale := floats.Norm(p, 2) * math.Tan(math.Acos(m.cos)) / floats.Norm(nz, 2)
	floats.AddScaled(p, scale, nz)
	return p
}
