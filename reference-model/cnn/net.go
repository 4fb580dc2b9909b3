package cnn

import (
	"math"
	"runtime"
	"sync"
	"unsafe"
)

// margin is the number of zero samples kept on each side of every buffer a
// convolution reads, so 'same' padding needs no branches. It bounds the
// kernel size (Arch.Validate allows at most 32 taps).
const margin = 32

// bnEps is the ε of batch normalisation.
const bnEps = 1e-5

// params are the weights of a network in element type T.
//
// In inference form (train false) each block computes
// relu(conv(x; w) + bias). In training form the convolution has no bias and
// is followed by batch normalisation with scale gamma and shift beta.
type params[T float] struct {
	arch  Arch
	w     [][]T // layer i: Out × In × Kernel
	bias  [][]T // layer i: Out (inference form)
	gamma [][]T // layer i: Out (training form)
	beta  [][]T // layer i: Out (training form)
	fcW   []T   // Classes × C
	fcB   []T   // Classes
}

func newParams[T float](a Arch, train bool) *params[T] {
	p := &params[T]{arch: a}
	for i, l := range a.Layers {
		p.w = append(p.w, make([]T, l.Out*a.in(i)*l.Kernel))
		if train {
			p.gamma = append(p.gamma, make([]T, l.Out))
			p.beta = append(p.beta, make([]T, l.Out))
		} else {
			p.bias = append(p.bias, make([]T, l.Out))
		}
	}
	c := a.Layers[len(a.Layers)-1].Out
	p.fcW = make([]T, a.Classes*c)
	p.fcB = make([]T, a.Classes)
	return p
}

// flipped returns the weights of layer i arranged for the transposed
// convolution: roundUp(In, 4) rows of Out × Kernel taps, reversed in time,
// with zero rows for padding.
func (p *params[T]) flipped(i int) []T {
	l := p.arch.Layers[i]
	in := p.arch.in(i)
	rows := roundUp(in, 4)
	f := make([]T, rows*l.Out*l.Kernel)
	for co := 0; co < l.Out; co++ {
		for ci := 0; ci < in; ci++ {
			src := p.w[i][(co*in+ci)*l.Kernel:]
			dst := f[(ci*l.Out+co)*l.Kernel:]
			for k := 0; k < l.Kernel; k++ {
				dst[l.Kernel-1-k] = src[k]
			}
		}
	}
	return f
}

func roundUp(n, m int) int { return (n + m - 1) / m * m }

// sample is the workspace of one signal: activations kept for the
// backward pass and gradient buffers. It is reused across calls with the
// same input length.
type sample[T float] struct {
	x      [][]T // layer inputs (x[len(Layers)] is the last pooled output), In × strideX
	z      [][]T // convolution outputs, Out × strideZ
	h      [][]T // after affine and ReLU, Out × strideZ (training only)
	dz     [][]T // gradient w.r.t. the convolution outputs, Out × strideX (zero margins)
	dx     [][]T // gradient w.r.t. the layer inputs, roundUp(In,4) × strideZ
	dTop   []T   // gradient w.r.t. x[len(Layers)], C × len
	dzt    []T   // transposed dz, len × Out
	dwt    []T   // weight-gradient scratch, In × roundUp(Kernel,4) × Out
	feat   []T
	arg    []int
	logits []T
	dlog   []T
	stats  [][]float64 // per layer 2×Out partial sums
	gw     [][]T       // per-sample weight gradients
	gfcW   []T
	gfcB   []T
}

// engine runs a batch through a network, layer by layer, with the samples
// of the batch spread over workers. All reductions over samples run in
// sample order, so results do not depend on the number of workers.
type engine[T float] struct {
	p       *params[T]
	flip    [][]T
	n       int // input length
	lens    []int
	workers int
	samples []*sample[T]
	// Per-layer affine after the convolution: a·z + b.
	a, b         [][]T
	mean, invstd [][]float64
	zeros        []T // a zero bias for gemm
}

func newEngine[T float](p *params[T], workers int) *engine[T] {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	e := &engine[T]{p: p, workers: workers}
	rows := 32 // roundUp(Kernel, 4) of the largest kernel Validate allows
	for i, l := range p.arch.Layers {
		rows = max(rows, l.Out, roundUp(p.arch.in(i), 4))
	}
	e.zeros = make([]T, rows)
	for _, l := range p.arch.Layers {
		e.a = append(e.a, make([]T, l.Out))
		e.b = append(e.b, make([]T, l.Out))
		e.mean = append(e.mean, make([]float64, l.Out))
		e.invstd = append(e.invstd, make([]float64, l.Out))
	}
	e.refresh()
	return e
}

// refresh recomputes what the engine derives from the weights; call it
// after changing them.
func (e *engine[T]) refresh() {
	e.flip = e.flip[:0]
	for i := range e.p.arch.Layers {
		e.flip = append(e.flip, e.p.flipped(i))
	}
}

func (e *engine[T]) strideX(i int) int { return 2*margin + roundUp(e.lens[i], 16) }
func (e *engine[T]) strideZ(i int) int { return roundUp(e.lens[i], 16) }

// prepare sizes the workspaces for bs signals of n samples.
func (e *engine[T]) prepare(bs, n int, train bool) {
	if n != e.n {
		e.n = n
		e.lens = e.p.arch.lengths(n)
		e.samples = e.samples[:0]
	}
	a := e.p.arch
	for len(e.samples) < bs {
		s := &sample[T]{}
		for i, l := range a.Layers {
			in := a.in(i)
			sx, sz := e.strideX(i), e.strideZ(i)
			s.x = append(s.x, make([]T, in*sx))
			s.z = append(s.z, make([]T, l.Out*sz))
			s.dz = append(s.dz, make([]T, l.Out*sx))
			s.dx = append(s.dx, make([]T, roundUp(in, 4)*sz))
			s.stats = append(s.stats, make([]float64, 2*l.Out))
		}
		last := len(a.Layers)
		c := a.Layers[last-1].Out
		s.x = append(s.x, make([]T, c*e.strideX(last)))
		s.dTop = make([]T, c*e.lens[last])
		s.feat = make([]T, c)
		s.arg = make([]int, c)
		s.logits = make([]T, a.Classes)
		s.dlog = make([]T, a.Classes)
		e.samples = append(e.samples, s)
	}
	if train {
		for _, s := range e.samples[:bs] {
			if s.gw != nil {
				continue
			}
			maxDZT, maxDWT := 0, 0
			for i, l := range a.Layers {
				s.h = append(s.h, make([]T, l.Out*e.strideZ(i)))
				s.gw = append(s.gw, make([]T, len(e.p.w[i])))
				maxDZT = max(maxDZT, e.lens[i]*l.Out)
				maxDWT = max(maxDWT, a.in(i)*roundUp(l.Kernel, 4)*l.Out)
			}
			s.dzt = make([]T, maxDZT)
			s.dwt = make([]T, maxDWT)
			s.gfcW = make([]T, len(e.p.fcW))
			s.gfcB = make([]T, len(e.p.fcB))
		}
	}
}

// parallel runs f(0..n-1) on the engine's workers.
func (e *engine[T]) parallel(n int, f func(i int)) {
	w := min(e.workers, n)
	if w <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// parts returns into how many pieces of channels each sample's work is
// cut, so that a batch smaller than the number of workers still uses them
// all. Pieces write disjoint rows, so the cut does not change any result.
func (e *engine[T]) parts(bs int) int { return max(1, min(e.workers/bs, 8)) }

// span returns piece q of parts of [0, n), in multiples of align.
func span(n, parts, q, align int) (lo, hi int) {
	chunk := roundUp((n+parts-1)/parts, align)
	lo = min(q*chunk, n)
	return lo, min(lo+chunk, n)
}

// each runs f for every sample s < bs and piece q < parts on the workers.
func (e *engine[T]) each(bs, parts int, f func(s, q int)) {
	e.parallel(bs*parts, func(i int) { f(i/parts, i%parts) })
}

// forward runs signals (already scaled, each of length n) through the
// network. In training mode it normalises with batch statistics and
// updates nothing else; otherwise it uses the inference-form bias.
func (e *engine[T]) forward(inputs [][]T, train bool) {
	bs := len(inputs)
	e.prepare(bs, len(inputs[0]), train)
	a := e.p.arch
	P := e.parts(bs)
	e.parallel(bs, func(s int) {
		x := e.samples[s].x[0]
		copy(x[margin:margin+e.n], inputs[s])
	})
	for i, l := range a.Layers {
		in, lin := a.in(i), e.lens[i]
		sx, sz := e.strideX(i), e.strideZ(i)
		pl := padLeft(l.Kernel)
		if !train {
			for co := 0; co < l.Out; co++ {
				e.a[i][co], e.b[i][co] = 1, 0
			}
		}
		e.each(bs, P, func(s, q int) {
			lo, hi := span(l.Out, P, q, 4)
			if lo == hi {
				return
			}
			sm := e.samples[s]
			z := sm.z[i][lo*sz : hi*sz]
			bias := e.zeros[:hi-lo]
			if !train {
				bias = e.p.bias[i][lo:hi]
			}
			gemm(z, sz, e.p.w[i][lo*in*l.Kernel:], in*l.Kernel, sm.x[i][margin-pl:], sx, 1, in, l.Kernel, hi-lo, sz, bias)
			if !train {
				e.activate(i, sm, lo, hi, false)
				return
			}
			st := sm.stats[i]
			for co := lo; co < hi; co++ {
				var s1, s2 float64
				for _, v := range sm.z[i][co*sz : co*sz+lin] {
					s1 += float64(v)
					s2 += float64(v) * float64(v)
				}
				st[2*co], st[2*co+1] = s1, s2
			}
		})
		if !train {
			continue
		}
		cnt := float64(bs * lin)
		for co := 0; co < l.Out; co++ {
			var s1, s2 float64
			for s := 0; s < bs; s++ {
				s1 += e.samples[s].stats[i][2*co]
				s2 += e.samples[s].stats[i][2*co+1]
			}
			m := s1 / cnt
			v := math.Max(s2/cnt-m*m, 0)
			e.mean[i][co] = m
			e.invstd[i][co] = 1 / math.Sqrt(v+bnEps)
			g := float64(e.p.gamma[i][co])
			e.a[i][co] = T(g * e.invstd[i][co])
			e.b[i][co] = T(float64(e.p.beta[i][co]) - m*g*e.invstd[i][co])
		}
		e.each(bs, P, func(s, q int) {
			lo, hi := span(l.Out, P, q, 1)
			e.activate(i, e.samples[s], lo, hi, true)
		})
	}
	last := len(a.Layers)
	c, ltop, sxt := a.Layers[last-1].Out, e.lens[last], e.strideX(last)
	e.parallel(bs, func(s int) {
		sm := e.samples[s]
		for ch := 0; ch < c; ch++ {
			r := sm.x[last][ch*sxt+margin : ch*sxt+margin+ltop]
			best := 0
			for t, v := range r {
				if v > r[best] {
					best = t
				}
			}
			sm.arg[ch] = best
			sm.feat[ch] = r[best]
		}
		for k := 0; k < a.Classes; k++ {
			acc := e.p.fcB[k]
			for ch, f := range sm.feat {
				acc += e.p.fcW[k*c+ch] * f
			}
			sm.logits[k] = acc
		}
	})
}

// activate computes h = relu(a·z + b) for channels [lo, hi) of layer i and
// max-pools it into the next layer's input. Samples past the last full
// pooling window are dropped, as they are never read. Outside training
// (a = 1, b = 0) h is not stored: max-pooling commutes with ReLU, and the
// backward pass reads z instead.
func (e *engine[T]) activate(i int, sm *sample[T], lo, hi int, train bool) {
	p := e.p.arch.Layers[i].Pool
	sz, lout, sxn := e.strideZ(i), e.lens[i+1], e.strideX(i+1)
	z, xn := sm.z[i], sm.x[i+1]
	for co := lo; co < hi; co++ {
		zr := z[co*sz : co*sz+lout*p]
		xr := xn[co*sxn+margin : co*sxn+margin+lout]
		if !train {
			poolReLU(xr, zr, p)
			continue
		}
		ac, bc := e.a[i][co], e.b[i][co]
		hr := sm.h[i][co*sz : co*sz+lout*p]
		for t := range xr {
			zw, hw := zr[t*p:t*p+p], hr[t*p:t*p+p]
			var m T // every h is ≥ 0
			for j, v := range zw {
				u := ac*v + bc
				if u < 0 {
					u = 0
				}
				hw[j] = u
				if u > m {
					m = u
				}
			}
			xr[t] = m
		}
	}
}

// backward propagates each sample's dlog (d loss / d logits) back through
// the network. With train it fills the per-sample weight gradients and
// returns the batch gradients of gamma and beta; with input it leaves the
// gradient w.r.t. the (scaled) input in samples[s].dx[0] row 0.
func (e *engine[T]) backward(bs int, train, input bool) (gGamma, gBeta [][]float64) {
	a := e.p.arch
	P := e.parts(bs)
	last := len(a.Layers)
	c, ltop := a.Layers[last-1].Out, e.lens[last]
	e.parallel(bs, func(s int) {
		sm := e.samples[s]
		clear(sm.dTop)
		for ch := 0; ch < c; ch++ {
			var g T
			for k := 0; k < a.Classes; k++ {
				g += e.p.fcW[k*c+ch] * sm.dlog[k]
			}
			sm.dTop[ch*ltop+sm.arg[ch]] = g
		}
		if train {
			for k := 0; k < a.Classes; k++ {
				sm.gfcB[k] = sm.dlog[k]
				for ch := 0; ch < c; ch++ {
					sm.gfcW[k*c+ch] = sm.dlog[k] * sm.feat[ch]
				}
			}
		}
	})
	if train {
		gGamma = make([][]float64, last)
		gBeta = make([][]float64, last)
	}
	for i := last - 1; i >= 0; i-- {
		l := a.Layers[i]
		in, lin, lout := a.in(i), e.lens[i], e.lens[i+1]
		sx, sz := e.strideX(i), e.strideZ(i)
		// Gradient w.r.t. this block's pooled output: dTop or the next
		// block's input gradient.
		dp, ldp := func(sm *sample[T]) []T { return sm.dTop }, lout
		if i < last-1 {
			dp, ldp = func(sm *sample[T]) []T { return sm.dx[i+1] }, e.strideZ(i+1)
		}
		e.each(bs, P, func(s, q int) {
			lo, hi := span(l.Out, P, q, 1)
			sm := e.samples[s]
			g := dp(sm)
			h, dz, z := sm.z[i], sm.dz[i], sm.z[i] // outside training, relu(z) is never stored
			if train {
				h = sm.h[i]
			}
			for co := lo; co < hi; co++ {
				hr := h[co*sz : co*sz+lin]
				dr := dz[co*sx+margin : co*sx+margin+lin]
				poolBackward(dr, hr, g[co*ldp:co*ldp+lout], l.Pool)
				if train {
					m, is := e.mean[i][co], e.invstd[i][co]
					zr := z[co*sz : co*sz+lin]
					var s1, s2 float64
					for t, v := range dr {
						s1 += float64(v)
						s2 += float64(v) * (float64(zr[t]) - m) * is
					}
					sm.stats[i][2*co], sm.stats[i][2*co+1] = s1, s2
				} else if ac := e.a[i][co]; ac != 1 {
					for t := range dr {
						dr[t] *= ac
					}
				}
			}
		})
		if train {
			cnt := float64(bs * lin)
			gGamma[i] = make([]float64, l.Out)
			gBeta[i] = make([]float64, l.Out)
			for co := 0; co < l.Out; co++ {
				var s1, s2 float64
				for s := 0; s < bs; s++ {
					s1 += e.samples[s].stats[i][2*co]
					s2 += e.samples[s].stats[i][2*co+1]
				}
				gBeta[i][co], gGamma[i][co] = s1, s2
			}
			gb, gg := gBeta[i], gGamma[i]
			e.each(bs, P, func(s, q int) {
				lo, hi := span(l.Out, P, q, 1)
				sm := e.samples[s]
				z, dz := sm.z[i], sm.dz[i]
				dzt := sm.dzt[:lin*l.Out]
				for co := lo; co < hi; co++ {
					m, is := e.mean[i][co], e.invstd[i][co]
					ac := float64(e.a[i][co])
					mb, mg := gb[co]/cnt, gg[co]/cnt
					zr := z[co*sz : co*sz+lin]
					dr := dz[co*sx+margin : co*sx+margin+lin]
					for t, v := range dr {
						xh := (float64(zr[t]) - m) * is
						d := T(ac * (float64(v) - mb - xh*mg))
						dr[t] = d
						dzt[t*l.Out+co] = d
					}
				}
			})
		}
		needInput := i > 0 || input
		rows := roundUp(in, 4)
		e.each(bs, P, func(s, q int) {
			lo, hi := span(rows, P, q, 4)
			if lo == hi {
				return
			}
			sm := e.samples[s]
			dz := sm.dz[i]
			if train {
				kp := roundUp(l.Kernel, 4)
				pl := padLeft(l.Kernel)
				gw := sm.gw[i]
				for ci := lo; ci < min(hi, in); ci++ {
					dwt := sm.dwt[ci*kp*l.Out : (ci+1)*kp*l.Out]
					gemm(dwt, l.Out, sm.x[i][ci*sx+margin-pl:], 1, sm.dzt[:lin*l.Out], 0, l.Out, 1, lin, kp, l.Out, e.zeros[:kp])
					for co := 0; co < l.Out; co++ {
						for k := 0; k < l.Kernel; k++ {
							gw[(co*in+ci)*l.Kernel+k] = dwt[k*l.Out+co]
						}
					}
				}
			}
			if needInput {
				dx := sm.dx[i][lo*sz : hi*sz]
				pr := l.Kernel - 1 - padLeft(l.Kernel)
				gemm(dx, sz, e.flip[i][lo*l.Out*l.Kernel:], l.Out*l.Kernel, dz[margin-pr:], sx, 1, l.Out, l.Kernel, hi-lo, sz, e.zeros[:hi-lo])
			}
		})
	}
	return gGamma, gBeta
}

// bytes returns the memory held by the engine's workspaces.
func (e *engine[T]) bytes() int {
	var zero T
	size := int(unsafe.Sizeof(zero))
	n := 0
	add := func(bufs ...[]T) {
		for _, b := range bufs {
			n += cap(b)
		}
	}
	for _, s := range e.samples {
		add(s.x...)
		add(s.z...)
		add(s.h...)
		add(s.dz...)
		add(s.dx...)
		add(s.gw...)
		add(s.dTop, s.dzt, s.dwt, s.gfcW, s.gfcB)
	}
	return n * size
}

// poolReLU sets x[t] = relu(max(z[t·p : t·p+p])).
func poolReLU[T float](x, z []T, p int) {
	switch p {
	case 1:
		for t, v := range z[:len(x)] {
			x[t] = max(v, 0)
		}
	case 2:
		z = z[:2*len(x)]
		for t := range x {
			x[t] = max(z[2*t], z[2*t+1], 0)
		}
	case 4:
		z = z[:4*len(x)]
		for t := range x {
			x[t] = max(z[4*t], z[4*t+1], z[4*t+2], z[4*t+3], 0)
		}
	default:
		for t := range x {
			w := z[t*p : t*p+p : t*p+p]
			m := w[0]
			for _, v := range w[1:] {
				if v > m {
					m = v
				}
			}
			x[t] = max(m, 0)
		}
	}
}

// poolBackward sets d to the gradient through relu and max-pooling of
// windows of p samples of h (post- or pre-ReLU values): each g[t] goes to
// the first maximum of its window when that maximum is positive; every
// other element of d, including the tail past the last window, is zero.
func poolBackward[T float](d, h, g []T, p int) {
	n := len(g) * p
	clear(d[n:])
	d, h = d[:n], h[:n]
	switch p {
	case 1:
		for t, gv := range g {
			if h[t] > 0 {
				d[t] = gv
			} else {
				d[t] = 0
			}
		}
	case 2:
		for t, gv := range g {
			a0, a1 := h[2*t], h[2*t+1]
			var d0, d1 T
			if a1 > a0 {
				if a1 > 0 {
					d1 = gv
				}
			} else if a0 > 0 {
				d0 = gv
			}
			d[2*t], d[2*t+1] = d0, d1
		}
	case 4:
		for t, gv := range g {
			w := h[4*t : 4*t+4 : 4*t+4]
			dw := d[4*t : 4*t+4 : 4*t+4]
			b, m := 0, w[0]
			if w[1] > m {
				b, m = 1, w[1]
			}
			if w[2] > m {
				b, m = 2, w[2]
			}
			if w[3] > m {
				b, m = 3, w[3]
			}
			dw[0], dw[1], dw[2], dw[3] = 0, 0, 0, 0
			if m > 0 {
				dw[b] = gv
			}
		}
	default:
		for t, gv := range g {
			w := h[t*p : t*p+p : t*p+p]
			dw := d[t*p : t*p+p : t*p+p]
			best := 0
			for j := 1; j < p; j++ {
				if w[j] > w[best] {
					best = j
				}
			}
			clear(dw)
			if w[best] > 0 {
				dw[best] = gv
			}
		}
	}
}
