package attack

import (
	"context"
	"fmt"
	"math"

	"github.com/ecgrobust/ecgrobust/harness/model"
)

// Gradient is a source of input gradients for gradient attacks: the
// model's own ([WhiteBox]) or a zeroth-order estimate from Predict alone
// ([FiniteDifference]).
type Gradient interface {
	// gradients returns, for each signal k of item idx[k], the gradient
	// of loss at signals[k] for labels[k] and the scores there. Rows of
	// items that fail or run out of budget are nil. Only a context error
	// is returned.
	gradients(ctx context.Context, o *Oracle, idx []int, signals [][]float64, labels []int, loss model.Loss) (grads, scores [][]float64, err error)
}

// Gradient source names, as a spec writes them.
const (
	SourceAuto             = "auto"
	SourcePlugin           = "plugin"
	SourceFiniteDifference = "finite-difference"
)

// SelectGradient returns the gradient source called name for clf: "auto"
// is WhiteBox when clf implements model.Gradienter and declares
// Info.InputGradient, otherwise fd; "plugin" is WhiteBox and an error when
// clf has no gradient; "finite-difference" is fd.
func SelectGradient(name string, clf model.Classifier, fd FiniteDifference) (Gradient, error) {
	_, has := clf.(model.Gradienter)
	has = has && clf.Info().InputGradient
	switch name {
	case SourceAuto, "":
		if has {
			return WhiteBox{}, nil
		}
		return fd, nil
	case SourcePlugin:
		if !has {
			return nil, fmt.Errorf("attack: gradient %q: the model offers no input gradient (use %q or %q)", name, SourceAuto, SourceFiniteDifference)
		}
		return WhiteBox{}, nil
	case SourceFiniteDifference:
		return fd, nil
	}
	return nil, fmt.Errorf("attack: unknown gradient source %q (want %q, %q or %q)", name, SourceAuto, SourcePlugin, SourceFiniteDifference)
}

// WhiteBox takes gradients from the classifier's model.Gradienter. Each
// signal counts as one query.
type WhiteBox struct{}

func (WhiteBox) gradients(ctx context.Context, o *Oracle, idx []int, signals [][]float64, labels []int, loss model.Loss) ([][]float64, [][]float64, error) {
	grads := make([][]float64, len(signals))
	scores := make([][]float64, len(signals))
	g, ok := o.clf.(model.Gradienter)
	if !ok {
		for _, i := range idx {
			o.Fail(i, fmt.Errorf("gradient: %w", model.ErrNoGradient))
		}
		return grads, scores, nil
	}
	var send []int
	for k, i := range idx {
		if o.errs[i] == nil && o.afford(i, 1) {
			send = append(send, k)
		}
	}
	call := func(part []int) error {
		batch := make([][]float64, len(part))
		lab := make([]int, len(part))
		for j, k := range part {
			batch[j], lab[j] = signals[k], labels[k]
			o.queries[idx[k]]++
		}
		gr, sc, err := g.InputGradient(ctx, batch, lab, loss)
		if err == nil {
			err = checkGrads(gr, batch)
		}
		if err == nil {
			err = o.checkScores(sc, len(batch))
		}
		if err != nil {
			return err
		}
		for j, k := range part {
			grads[k], scores[k] = gr[j], sc[j]
		}
		return nil
	}
	step := o.chunk(len(send))
	for lo := 0; lo < len(send); lo += step {
		part := send[lo:min(lo+step, len(send))]
		err := call(part)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if len(part) == 1 {
			o.Fail(idx[part[0]], fmt.Errorf("gradient: %w", err))
			continue
		}
		for _, k := range part {
			i := idx[k]
			if o.errs[i] != nil || !o.afford(i, 1) {
				continue
			}
			if err := call([]int{k}); err != nil {
				if ctx.Err() != nil {
					return nil, nil, ctx.Err()
				}
				o.Fail(i, fmt.Errorf("gradient: %w", err))
			}
		}
	}
	return grads, scores, nil
}

// FiniteDifference estimates input gradients from Predict alone with
// antithetic Gaussian probes (an NES/SPSA-style estimator):
//
//	ĝ = 1/q · Σ_k [L(x + h·u_k) − L(x − h·u_k)] / (2h) · u_k
//
// Each direction u_k is drawn in SAP's smoothed subspace: i.i.d. N(0, 1)
// values at 1/Downsample of the record's resolution, linearly upsampled
// over the recorded span, passed through the Smoother and scaled to an L∞
// of 1, so the probe x ± h·u_k moves no sample by more than h. The estimate
// is therefore the gradient projected onto smooth directions, which is
// what SAP's sign(S(∇)) step needs. One estimate costs 2q + 1 queries (the
// +1 gives the scores at x); when an item's budget cannot pay for q pairs,
// fewer are used, and when it cannot pay for one the item stops with
// ErrBudget. Probes of several items go to the model in shared batches.
// Draws come from each item's Rand, so estimates are deterministic.
type FiniteDifference struct {
	// Directions is q, the number of antithetic pairs per estimate
	// (default 50).
	Directions int
	// SigmaUV is the probe size h in µV (default 1).
	SigmaUV float64
	// Downsample draws directions at 1/Downsample resolution (default 1:
	// full resolution).
	Downsample int
	// Smoother shapes the directions; nil means DefaultSmoother at the
	// record's rate.
	Smoother *Smoother
	// BatchSignals is the largest number of probe signals sent in one
	// Predict call across items (default 256; MaxBatch also applies).
	BatchSignals int
	// Momentum in [0, 1) averages successive estimates of an item: each
	// new estimate is scaled to unit L2 norm and the returned direction is
	// g_t = Momentum·g_{t−1} + (1 − Momentum)·ĝ_t (a time prior, as in
	// bandit-style black-box attacks: the gradient changes little between
	// steps of ε-bounded attacks). 0 returns the raw estimates. With
	// Momentum the vector is a direction, not a gradient magnitude, which
	// is all sign-based attacks (PGD, SAP) use.
	Momentum float64
}

func (fd FiniteDifference) withDefaults() FiniteDifference {
	if fd.Directions <= 0 {
		fd.Directions = 50
	}
	if !(fd.SigmaUV > 0) {
		fd.SigmaUV = 1
	}
	if fd.Downsample <= 0 {
		fd.Downsample = 1
	}
	if fd.BatchSignals <= 0 {
		fd.BatchSignals = 256
	}
	return fd
}

// direction writes one smoothed probe direction for item it into dst
// (length n), with L∞ 1 over the item's recorded span and 0 elsewhere.
func (fd FiniteDifference) direction(dst []float64, it Item, tmp []float64) {
	vs := it.Record.ValidSpan()
	clear(dst)
	L := vs.Len()
	if L <= 0 {
		return
	}
	r := fd.Downsample
	m := (L-1)/r + 2
	low := make([]float64, m)
	for j := range low {
		low[j] = it.Rand.NormFloat64()
	}
	for t := 0; t < L; t++ {
		j, f := t/r, float64(t%r)/float64(r)
		tmp[vs.Start+t] = low[j]*(1-f) + low[j+1]*f
	}
	clear(tmp[:vs.Start])
	clear(tmp[vs.End:])
	s := fd.Smoother
	if s == nil {
		s = DefaultSmoother(it.Record.Signal.Rate)
	}
	s.Apply(dst, tmp)
	var peak float64
	for t := vs.Start; t < vs.End; t++ {
		peak = math.Max(peak, math.Abs(dst[t]))
	}
	clear(dst[:vs.Start])
	clear(dst[vs.End:])
	if peak > 0 {
		for t := vs.Start; t < vs.End; t++ {
			dst[t] /= peak
		}
	}
}

type fdJob struct {
	k    int         // row in the request
	q    int         // antithetic pairs
	h    float64     // probe size in adu
	dirs [][]float64 // q directions
	from int         // first probe's position in the flattened batch
}

func (fd FiniteDifference) gradients(ctx context.Context, o *Oracle, idx []int, signals [][]float64, labels []int, loss model.Loss) ([][]float64, [][]float64, error) {
	fd = fd.withDefaults()
	grads := make([][]float64, len(signals))
	scores := make([][]float64, len(signals))
	var (
		jobs    []fdJob
		probes  [][]float64
		owners  []int
		pending int
	)
	flush := func() error {
		if len(probes) == 0 {
			return nil
		}
		sc, err := o.Predict(ctx, owners, probes)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			i := idx[j.k]
			x := signals[j.k]
			rows := sc[j.from : j.from+2*j.q+1]
			ok := true
			for _, r := range rows {
				ok = ok && r != nil
			}
			if !ok || o.errs[i] != nil {
				continue
			}
			g := make([]float64, len(x))
			for d := 0; d < j.q; d++ {
				lp := Loss(rows[1+2*d], o.info.Scores, labels[j.k], loss)
				lm := Loss(rows[2+2*d], o.info.Scores, labels[j.k], loss)
				c := (lp - lm) / (2 * j.h) / float64(j.q)
				for t, u := range j.dirs[d] {
					g[t] += c * u
				}
			}
			if fd.Momentum > 0 {
				g = o.blend(i, g, fd.Momentum)
			}
			grads[j.k], scores[j.k] = g, rows[0]
		}
		jobs, probes, owners, pending = jobs[:0], nil, nil, 0
		return nil
	}
	for k, i := range idx {
		if o.errs[i] != nil {
			continue
		}
		q := fd.Directions
		if o.budget > 0 {
			q = min(q, int((o.budget-o.queries[i]-1)/2))
		}
		if q < 1 {
			o.Fail(i, ErrBudget)
			continue
		}
		if pending > 0 && pending+2*q+1 > fd.BatchSignals {
			if err := flush(); err != nil {
				return nil, nil, err
			}
		}
		it := o.items[i]
		x := signals[k]
		h := it.Record.Signal.ADU(fd.SigmaUV)
		j := fdJob{k: k, q: q, h: h, from: len(probes), dirs: make([][]float64, q)}
		tmp := make([]float64, len(x))
		probes = append(probes, x)
		owners = append(owners, i)
		for d := range q {
			u := make([]float64, len(x))
			fd.direction(u, it, tmp)
			j.dirs[d] = u
			plus, minus := make([]float64, len(x)), make([]float64, len(x))
			for t := range x {
				plus[t] = x[t] + h*u[t]
				minus[t] = x[t] - h*u[t]
			}
			probes = append(probes, plus, minus)
			owners = append(owners, i, i)
		}
		jobs = append(jobs, j)
		pending += 2*q + 1
	}
	if err := flush(); err != nil {
		return nil, nil, err
	}
	return grads, scores, nil
}
