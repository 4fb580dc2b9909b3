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
	// SourceSearch names no Gradient: the attack is a [Search].
	SourceSearch = "search"
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
	// FirstDirections is the number of antithetic pairs of an item's
	// first estimate (default Directions). A large first estimate gives
	// the first steps, where SAP's successes mostly come from, a usable
	// direction; with Decay the later, smaller estimates refine it.
	FirstDirections int
	// Decay pools probes across an item's successive estimates: the
	// returned vector is the weighted mean of every probe's contribution
	// so far, a probe made t estimates ago weighing Decay^t (a time prior:
	// an ε-bounded attack moves the input little between steps, so old
	// probes still tell about the gradient). 1 pools every probe equally;
	// 0 (the default) uses only the current estimate's. Unlike Momentum it
	// weighs estimates by their number of pairs, so a large
	// FirstDirections estimate is not washed out by the small ones that
	// follow. Decay and Momentum should not both be set (Decay wins).
	Decay float64
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

// fdJob is one chunk of an item's estimate: the pairs of directions
// dirs, and the scores at x when center is set.
type fdJob struct {
	k      int         // row in the request
	center bool        // the chunk's first probe is x itself
	dirs   [][]float64 // directions of the chunk's pairs
	from   int         // first probe's position in the flattened batch
}

// fdAcc is an item's estimate being assembled from its chunks.
type fdAcc struct {
	q      int     // antithetic pairs in all
	h      float64 // probe size in adu
	g      []float64
	scores []float64
	failed bool
}

func (fd FiniteDifference) gradients(ctx context.Context, o *Oracle, idx []int, signals [][]float64, labels []int, loss model.Loss) ([][]float64, [][]float64, error) {
	fd = fd.withDefaults()
	grads := make([][]float64, len(signals))
	scores := make([][]float64, len(signals))
	accs := make([]*fdAcc, len(signals))
	var (
		jobs   []fdJob
		probes [][]float64
		owners []int
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
			a := accs[j.k]
			if a.failed {
				continue
			}
			from := j.from
			if j.center {
				a.scores = sc[from]
				a.failed = a.scores == nil
				from++
			}
			for d, u := range j.dirs {
				sp, sm := sc[from+2*d], sc[from+2*d+1]
				if sp == nil || sm == nil {
					a.failed = true
					break
				}
				lp := Loss(sp, o.info.Scores, labels[j.k], loss)
				lm := Loss(sm, o.info.Scores, labels[j.k], loss)
				c := (lp - lm) / (2 * a.h) / float64(a.q)
				for t, v := range u {
					a.g[t] += c * v
				}
			}
		}
		jobs, probes, owners = jobs[:0], nil, nil
		return nil
	}
	for k, i := range idx {
		if o.errs[i] != nil {
			continue
		}
		q := fd.Directions
		if fd.FirstDirections > 0 && o.estimates(i) == 0 {
			q = fd.FirstDirections
		}
		if o.budget > 0 {
			q = min(q, int((o.budget-o.queries[i]-1)/2))
		}
		if q < 1 {
			o.Fail(i, ErrBudget)
			continue
		}
		it := o.items[i]
		x := signals[k]
		a := &fdAcc{q: q, h: it.Record.Signal.ADU(fd.SigmaUV), g: make([]float64, len(x))}
		accs[k] = a
		tmp := make([]float64, len(x))
		for done := 0; done < q; {
			center := done == 0
			n := min(q-done, max(1, (fd.BatchSignals-1)/2)) // pairs in this chunk
			size := 2 * n
			if center {
				size++
			}
			if len(probes) > 0 && len(probes)+size > fd.BatchSignals {
				if err := flush(); err != nil {
					return nil, nil, err
				}
			}
			j := fdJob{k: k, center: center, from: len(probes), dirs: make([][]float64, n)}
			if center {
				probes = append(probes, x)
				owners = append(owners, i)
			}
			for d := range n {
				u := make([]float64, len(x))
				fd.direction(u, it, tmp)
				j.dirs[d] = u
				plus, minus := make([]float64, len(x)), make([]float64, len(x))
				for t := range x {
					plus[t] = x[t] + a.h*u[t]
					minus[t] = x[t] - a.h*u[t]
				}
				probes = append(probes, plus, minus)
				owners = append(owners, i, i)
			}
			jobs = append(jobs, j)
			done += n
		}
	}
	if err := flush(); err != nil {
		return nil, nil, err
	}
	for k, i := range idx {
		a := accs[k]
		if a == nil || a.failed || o.errs[i] != nil {
			continue
		}
		g := a.g
		switch {
		case fd.Decay > 0:
			g = o.pool(i, g, float64(a.q), fd.Decay)
		case fd.Momentum > 0:
			o.pool(i, nil, float64(a.q), 0) // counts the estimate
			g = o.blend(i, g, fd.Momentum)
		default:
			o.pool(i, nil, float64(a.q), 0)
		}
		grads[k], scores[k] = g, a.scores
	}
	return grads, scores, nil
}
