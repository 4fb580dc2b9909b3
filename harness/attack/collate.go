package attack

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/ecgrobust/ecgrobust/harness/model"
)

// Collate measures how large the adversarial region around a record is,
// following the second result of Han et al. 2020. Given a successful
// adversarial example x_adv of x it runs three probes, each judged
// adversarial by the item's goal (label ≠ true label, or = target):
//
//  1. Gaussian resampling: Trials signals x + clip(S(x_adv + δ − x), −ε, ε)
//     with δ ~ N(0, σ²) i.i.d. per recorded sample (σ = NoiseSigmaUV).
//  2. Concatenation: ConcatPairs pairs (a, b) drawn from the adversarial
//     set (x_adv and the adversarial resamples of step 1) are spliced at
//     a point where they intersect, i.e. where a − b changes sign or is
//     zero, drawn uniformly among all such points; both orders
//     a[:t]‖b[t:] and b[:t]‖a[t:] are tested. Pairs without an
//     intersection are skipped.
//  3. Uniform band: UniformSamples signals clamp(x + S(a − x), min, max)
//     with a[t] ~ U(min_t, max_t), where [min_t, max_t] is the per-sample
//     range of the adversarial set: the sample is smoothed, then projected
//     back onto the band, as in the paper's code (check_uniform.py of
//     Han et al.), so every probe lies between adversarial examples. As
//     each member of the set lies within ε of x, so does every probe.
//     When no resample stayed adversarial the set is x_adv alone, the
//     band has zero width and every probe would be x_adv itself, so the
//     band is skipped (BandTrials = 0), as concatenation is.
//
// Only the recorded span is perturbed; the Gaussian resamples are clipped
// to ε (EpsilonUV) around x. Step 2 keeps at most 2·ConcatPairs resamples
// in memory; the band keeps a running min and max. Every draw comes from
// the item's Rand.
type Collate struct {
	// EpsilonUV is ε in µV (default 10).
	EpsilonUV float64
	// Trials is the number of Gaussian resamples (default 1000).
	Trials int
	// NoiseSigmaUV is σ in µV (default 5).
	NoiseSigmaUV float64
	// ConcatPairs is the number of spliced pairs (default 50; each gives
	// two signals).
	ConcatPairs int
	// UniformSamples is the number of uniform-band samples (default 100).
	UniformSamples int
	// Smoother is S; nil means DefaultSmoother at each record's rate.
	Smoother *Smoother
	// BatchSignals is the number of signals per Predict call (default 64).
	BatchSignals int
}

// CollateOutcome counts the probes of one item and how many of them were
// still adversarial.
type CollateOutcome struct {
	NoiseTrials, NoiseAdversarial   int
	ConcatTrials, ConcatAdversarial int
	BandTrials, BandAdversarial     int
	// Queries is the number of signals sent for the item.
	Queries int64
	// Exhausted is true when the query budget cut the probes short.
	Exhausted bool
	// Err is the model error that stopped the item, if any.
	Err error
}

// WithDefaults returns c with zero fields set to the defaults.
func (c Collate) WithDefaults() Collate {
	if c.EpsilonUV == 0 {
		c.EpsilonUV = 10
	}
	if c.Trials == 0 {
		c.Trials = 1000
	}
	if c.NoiseSigmaUV == 0 {
		c.NoiseSigmaUV = 5
	}
	if c.ConcatPairs == 0 {
		c.ConcatPairs = 50
	}
	if c.UniformSamples == 0 {
		c.UniformSamples = 100
	}
	if c.BatchSignals <= 0 {
		c.BatchSignals = 64
	}
	return c
}

// Validate reports nonsensical settings.
func (c Collate) Validate() error {
	if !(c.EpsilonUV > 0) || !(c.NoiseSigmaUV >= 0) || c.Trials < 0 || c.ConcatPairs < 0 || c.UniformSamples < 0 {
		return fmt.Errorf("attack: collate needs ε > 0, σ ≥ 0 and non-negative counts")
	}
	return nil
}

// Run probes every item of o whose adversarial example adv[i] is not nil
// (items with nil get a zero CollateOutcome). It returns an error only
// when ctx is done.
func (c Collate) Run(ctx context.Context, o *Oracle, adv [][]float64) ([]CollateOutcome, error) {
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	out := make([]CollateOutcome, len(o.items))
	for i := range o.items {
		if adv[i] == nil || o.errs[i] != nil {
			continue
		}
		before := o.queries[i]
		if err := c.one(ctx, o, i, adv[i], &out[i]); err != nil {
			return nil, err
		}
		out[i].Queries = o.queries[i] - before
		if err := o.errs[i]; err != nil {
			if errors.Is(err, ErrBudget) {
				out[i].Exhausted = true
			} else {
				out[i].Err = err
			}
		}
	}
	return out, nil
}

func (c Collate) one(ctx context.Context, o *Oracle, i int, xadv []float64, oc *CollateOutcome) error {
	it := o.items[i]
	x := it.Record.Signal.Samples
	n := len(x)
	vs := it.Record.ValidSpan()
	eps := it.Record.Signal.ADU(c.EpsilonUV)
	sigma := it.Record.Signal.ADU(c.NoiseSigmaUV)
	s := c.Smoother
	if s == nil {
		s = DefaultSmoother(it.Record.Signal.Rate)
	}
	tmp := make([]float64, n)
	sm := make([]float64, n)
	// perturb returns f(t, S(a − x)[t]) on the recorded span, x elsewhere.
	perturb := func(a []float64, f func(t int, d float64) float64) []float64 {
		for t := range tmp {
			tmp[t] = 0
			if t >= vs.Start && t < vs.End {
				tmp[t] = a[t] - x[t]
			}
		}
		s.Apply(sm, tmp)
		y := append([]float64(nil), x...)
		for t := vs.Start; t < vs.End; t++ {
			y[t] = f(t, sm[t])
		}
		return y
	}
	// project returns x + clip(S(a − x), −ε, ε) on the recorded span.
	project := func(a []float64) []float64 {
		return perturb(a, func(t int, d float64) float64 { return x[t] + clip(d, eps) })
	}
	// judge sends signals and returns which are adversarial; ok is false
	// when the item failed.
	judge := func(sig [][]float64) (adv []bool, ok bool, err error) {
		idx := make([]int, len(sig))
		for k := range idx {
			idx[k] = i
		}
		sc, err := o.Predict(ctx, idx, sig)
		if err != nil {
			return nil, false, err
		}
		adv = make([]bool, len(sig))
		for k, r := range sc {
			if r == nil {
				return nil, false, nil
			}
			adv[k] = succeeded(it, r)
		}
		return adv, true, nil
	}

	lo := append([]float64(nil), xadv...)
	hi := append([]float64(nil), xadv...)
	pool := [][]float64{xadv}
	keep := 1 + 2*c.ConcatPairs

	// 1. Gaussian resampling.
	noisy := make([]float64, n)
	for done := 0; done < c.Trials; {
		m := min(c.BatchSignals, c.Trials-done)
		sig := make([][]float64, m)
		for k := range sig {
			copy(noisy, xadv)
			for t := vs.Start; t < vs.End; t++ {
				noisy[t] += sigma * it.Rand.NormFloat64()
			}
			sig[k] = project(noisy)
		}
		adv, ok, err := judge(sig)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		for k, a := range adv {
			oc.NoiseTrials++
			if !a {
				continue
			}
			oc.NoiseAdversarial++
			for t := vs.Start; t < vs.End; t++ {
				lo[t] = math.Min(lo[t], sig[k][t])
				hi[t] = math.Max(hi[t], sig[k][t])
			}
			if len(pool) < keep {
				pool = append(pool, sig[k])
			}
		}
		done += m
	}

	// 2. Concatenation at intersections.
	if len(pool) >= 2 {
		var sig [][]float64
		flushConcat := func() (bool, error) {
			if len(sig) == 0 {
				return true, nil
			}
			adv, ok, err := judge(sig)
			if err != nil || !ok {
				return false, err
			}
			for _, a := range adv {
				oc.ConcatTrials++
				if a {
					oc.ConcatAdversarial++
				}
			}
			sig = sig[:0]
			return true, nil
		}
		var cross []int
		for p := 0; p < c.ConcatPairs; p++ {
			ai := it.Rand.IntN(len(pool))
			bi := it.Rand.IntN(len(pool) - 1)
			if bi >= ai {
				bi++
			}
			a, b := pool[ai], pool[bi]
			cross = intersections(cross[:0], a, b, vs.Start, vs.End)
			if len(cross) == 0 {
				continue
			}
			t0 := cross[it.Rand.IntN(len(cross))]
			ab := append(append([]float64(nil), a[:t0]...), b[t0:]...)
			ba := append(append([]float64(nil), b[:t0]...), a[t0:]...)
			sig = append(sig, ab, ba)
			if len(sig) >= c.BatchSignals {
				ok, err := flushConcat()
				if err != nil || !ok {
					return err
				}
			}
		}
		if ok, err := flushConcat(); err != nil || !ok {
			return err
		}
	}

	// 3. Uniform band, between at least two adversarial examples.
	if oc.NoiseAdversarial == 0 {
		return nil
	}
	band := make([]float64, n)
	for done := 0; done < c.UniformSamples; {
		m := min(c.BatchSignals, c.UniformSamples-done)
		sig := make([][]float64, m)
		for k := range sig {
			copy(band, x)
			for t := vs.Start; t < vs.End; t++ {
				band[t] = lo[t] + (hi[t]-lo[t])*it.Rand.Float64()
			}
			// Smoothed, then projected back onto the band.
			sig[k] = perturb(band, func(t int, d float64) float64 {
				return min(max(x[t]+d, lo[t]), hi[t])
			})
		}
		adv, ok, err := judge(sig)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		for _, a := range adv {
			oc.BandTrials++
			if a {
				oc.BandAdversarial++
			}
		}
		done += m
	}
	return nil
}

// intersections appends to dst the indices t in (start, end) at which
// the two signals cross: a[t]−b[t] is zero, or has the opposite sign of
// a[t−1]−b[t−1]. Splicing at t takes samples [0, t) from one signal and
// [t, n) from the other.
func intersections(dst []int, a, b []float64, start, end int) []int {
	for t := start + 1; t < end; t++ {
		d0, d1 := a[t-1]-b[t-1], a[t]-b[t]
		if (d1 == 0 && d0 != 0) || d0*d1 < 0 {
			dst = append(dst, t)
		}
	}
	return dst
}

// Fidelity compares a model's own input gradient with finite differences
// along q random directions of SAP's smoothed subspace (drawn as in
// [FiniteDifference]). For each direction u_k it compares the directional
// derivative the model's gradient predicts, ⟨∇L, u_k⟩, with the measured
// [L(x + h·u_k) − L(x − h·u_k)] / 2h, and returns the cosine similarity of
// the two q-vectors: the cosine between the model's gradient and the true
// one after both are projected onto span{u_k}. A correct gradient gives
// a value near 1 whatever q is; a masked, obfuscated or wrong one gives
// a value near 0 or below. The loss is cross-entropy on the item's label.
// One check costs 2q + 1 queries per item.
type Fidelity struct {
	// Directions is q (default 32).
	Directions int
	// SigmaUV is h in µV (default 1).
	SigmaUV float64
	// Downsample and Smoother shape the directions as in FiniteDifference.
	Downsample int
	Smoother   *Smoother
}

// Check returns one cosine per item of o, in [−1, 1]; an item whose model
// calls fail gets 0 and its error in o. It returns an error only when ctx
// is done.
func (f Fidelity) Check(ctx context.Context, o *Oracle) ([]float64, error) {
	if f.Directions <= 0 {
		f.Directions = 32
	}
	fd := FiniteDifference{Directions: f.Directions, SigmaUV: f.SigmaUV, Downsample: f.Downsample, Smoother: f.Smoother}.withDefaults()
	out := make([]float64, len(o.items))
	for i, it := range o.items {
		x := it.Record.Signal.Samples
		g, _, err := WhiteBox{}.gradients(ctx, o, []int{i}, [][]float64{x}, []int{it.Label}, model.CrossEntropy)
		if err != nil {
			return nil, err
		}
		if g[0] == nil {
			continue
		}
		h := it.Record.Signal.ADU(fd.SigmaUV)
		tmp := make([]float64, len(x))
		predicted := make([]float64, fd.Directions)
		sig := make([][]float64, 0, 2*fd.Directions)
		idx := make([]int, 0, 2*fd.Directions)
		for d := range fd.Directions {
			u := make([]float64, len(x))
			fd.direction(u, it, tmp)
			for t, v := range u {
				predicted[d] += g[0][t] * v
			}
			plus, minus := make([]float64, len(x)), make([]float64, len(x))
			for t := range x {
				plus[t], minus[t] = x[t]+h*u[t], x[t]-h*u[t]
			}
			sig = append(sig, plus, minus)
			idx = append(idx, i, i)
		}
		sc, err := o.Predict(ctx, idx, sig)
		if err != nil {
			return nil, err
		}
		measured := make([]float64, fd.Directions)
		ok := true
		for d := range measured {
			if sc[2*d] == nil || sc[2*d+1] == nil {
				ok = false
				break
			}
			measured[d] = (Loss(sc[2*d], o.info.Scores, it.Label, model.CrossEntropy) -
				Loss(sc[2*d+1], o.info.Scores, it.Label, model.CrossEntropy)) / (2 * h)
		}
		if ok {
			out[i] = cosine(predicted, measured)
		}
	}
	return out, nil
}

// cosine returns the cosine similarity of a and b: 1 when both are zero
// (a flat loss agrees with a zero gradient), 0 when only one is.
func cosine(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	switch {
	case aa == 0 && bb == 0:
		return 1
	case aa == 0 || bb == 0:
		return 0
	}
	return max(-1, min(1, ab/math.Sqrt(aa*bb)))
}
