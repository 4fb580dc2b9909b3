package cnn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func smallArch() Arch {
	return Arch{Layers: []LayerSpec{{16, 5, 2}, {16, 4, 2}, {32, 3, 1}}, Classes: 4}
}

func randParams(a Arch, train bool, rng *rand.Rand) *params[float64] {
	p := newParams[float64](a, train)
	for i := range a.Layers {
		sd := math.Sqrt(2 / float64(a.in(i)*a.Layers[i].Kernel))
		for j := range p.w[i] {
			p.w[i][j] = sd * rng.NormFloat64()
		}
		if train {
			for j := range p.gamma[i] {
				p.gamma[i][j] = 1 + 0.2*rng.NormFloat64()
				p.beta[i][j] = 0.2 * rng.NormFloat64()
			}
		} else {
			for j := range p.bias[i] {
				p.bias[i][j] = 0.1 * rng.NormFloat64()
			}
		}
	}
	for j := range p.fcW {
		p.fcW[j] = 0.3 * rng.NormFloat64()
	}
	for j := range p.fcB {
		p.fcB[j] = 0.1 * rng.NormFloat64()
	}
	return p
}

// smooth returns a random sum of a few sines, n samples long.
func smooth(n int, rng *rand.Rand) []float64 {
	s := make([]float64, n)
	for range 6 {
		f, ph, amp := rng.Float64()*0.05, rng.Float64()*6.3, rng.NormFloat64()
		for t := range s {
			s[t] += amp * math.Sin(f*float64(t)+ph)
		}
	}
	return s
}

// linLoss is Σ_s Σ_k c[s][k]·logit[s][k] after a forward pass.
func linLoss(e *engine[float64], c [][]float64) float64 {
	var l float64
	for s := range c {
		for k, v := range c[s] {
			l += v * e.samples[s].logits[k]
		}
	}
	return l
}

func TestInputGradientFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := smallArch()
	p := randParams(a, false, rng)
	e := newEngine(p, 2)
	const n, bs = 203, 2
	x := [][]float64{smooth(n, rng), smooth(n, rng)}
	c := [][]float64{{1, -2, 0.5, 0.3}, {-1, 0.2, 1.5, -0.7}}
	e.forward(x, false)
	for s := range c {
		copy(e.samples[s].dlog, c[s])
	}
	e.backward(bs, false, true)
	grad := make([][]float64, bs)
	for s := range grad {
		grad[s] = append([]float64(nil), e.samples[s].dx[0][:n]...)
	}
	for trial := range 5 {
		d := [][]float64{smooth(n, rng), smooth(n, rng)}
		var want float64
		for s := range d {
			for i := range d[s] {
				want += grad[s][i] * d[s][i]
			}
		}
		const h = 1e-5
		shift := func(sign float64) float64 {
			xs := make([][]float64, bs)
			for s := range xs {
				xs[s] = make([]float64, n)
				for i := range xs[s] {
					xs[s][i] = x[s][i] + sign*h*d[s][i]
				}
			}
			e.forward(xs, false)
			return linLoss(e, c)
		}
		got := (shift(1) - shift(-1)) / (2 * h)
		if rel := math.Abs(got-want) / math.Max(math.Abs(want), 1e-8); rel > 1e-4 {
			t.Errorf("trial %d: directional derivative %v, finite difference %v (rel %.2g)", trial, want, got, rel)
		}
	}
}

func TestTrainGradientFiniteDifference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a := smallArch()
	p := randParams(a, true, rng)
	e := newEngine(p, 2)
	const n, bs = 150, 3
	x := [][]float64{smooth(n, rng), smooth(n, rng), smooth(n, rng)}
	c := [][]float64{{1, -2, 0.5, 0.3}, {-1, 0.2, 1.5, -0.7}, {0.4, 0.4, -1, 0.9}}
	e.forward(x, true)
	for s := range c {
		copy(e.samples[s].dlog, c[s])
	}
	gg, gb := e.backward(bs, true, false)
	loss := func() float64 { e.refresh(); e.forward(x, true); return linLoss(e, c) }
	check := func(name string, v *float64, want float64) {
		t.Helper()
		const h = 1e-6
		old := *v
		*v = old + h
		lp := loss()
		*v = old - h
		lm := loss()
		*v = old
		got := (lp - lm) / (2 * h)
		if rel := math.Abs(got-want) / math.Max(math.Abs(want), 1e-3); rel > 1e-4 {
			t.Errorf("%s: gradient %v, finite difference %v (rel %.2g)", name, want, got, rel)
		}
	}
	sum := func(f func(sm *sample[float64]) float64) float64 {
		var g float64
		for _, sm := range e.samples[:bs] {
			g += f(sm)
		}
		return g
	}
	for i := range a.Layers {
		for range 4 {
			j := rng.IntN(len(p.w[i]))
			check("w", &p.w[i][j], sum(func(sm *sample[float64]) float64 { return sm.gw[i][j] }))
		}
		co := rng.IntN(a.Layers[i].Out)
		check("gamma", &p.gamma[i][co], gg[i][co])
		check("beta", &p.beta[i][co], gb[i][co])
	}
	j := rng.IntN(len(p.fcW))
	check("fcW", &p.fcW[j], sum(func(sm *sample[float64]) float64 { return sm.gfcW[j] }))
	check("fcB", &p.fcB[1], sum(func(sm *sample[float64]) float64 { return sm.gfcB[1] }))
}
