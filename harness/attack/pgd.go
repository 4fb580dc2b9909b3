package attack

import (
	"context"
	"fmt"

	"github.com/ecgrobust/ecgrobust/harness/model"
)

// PGD is the L∞ projected-gradient baseline of Han et al. 2020:
//
//	x⁰ = x (or x + U(−ε, ε) with RandomStart)
//	xᵗ⁺¹ = x + clip(xᵗ + α·sign(∇ₓ loss) − x, −ε, ε)
//
// with the loss ascended for an untargeted attack and descended toward the
// target for a targeted one. Only the recorded span (Record.ValidSpan) is
// perturbed. ε and α are in µV and converted with each record's gain.
type PGD struct {
	// EpsilonUV is ε, the L∞ budget in µV (default 10).
	EpsilonUV float64
	// StepUV is α, the step in µV (default 1).
	StepUV float64
	// Steps is the number of iterations (default 20).
	Steps int
	// RandomStart starts from a uniform point of the ε-ball drawn from
	// the item's Rand.
	RandomStart bool
	// EarlyStop stops an item at the first iterate that succeeds.
	EarlyStop bool
	// Loss is the loss followed (default CrossEntropy).
	Loss model.Loss
}

// WithDefaults returns p with zero fields set to the paper's defaults.
func (p PGD) WithDefaults() PGD {
	if p.EpsilonUV == 0 {
		p.EpsilonUV = 10
	}
	if p.StepUV == 0 {
		p.StepUV = 1
	}
	if p.Steps == 0 {
		p.Steps = 20
	}
	return p
}

// Validate reports nonsensical settings.
func (p PGD) Validate() error {
	if !(p.EpsilonUV > 0) || !(p.StepUV > 0) || p.Steps < 0 {
		return fmt.Errorf("attack: pgd needs ε > 0, α > 0 and steps ≥ 0 (got ε=%v µV, α=%v µV, steps=%d)", p.EpsilonUV, p.StepUV, p.Steps)
	}
	return nil
}

// Attack runs PGD on every item of o.
func (p PGD) Attack(ctx context.Context, o *Oracle) ([]Outcome, error) {
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	t := newTrack(o)
	if err := p.run(ctx, t, p.EarlyStop); err != nil {
		return nil, err
	}
	return t.finish(ctx, func(i int) []float64 { return t.x[i] })
}

// run performs the PGD iterations on t, leaving the iterates in t.x.
func (p PGD) run(ctx context.Context, t *track, earlyStop bool) error {
	items := t.o.items
	for i, it := range items {
		x := it.Record.Signal.Samples
		t.x[i] = append([]float64(nil), x...)
		if p.RandomStart {
			eps := it.Record.Signal.ADU(p.EpsilonUV)
			vs := it.Record.ValidSpan()
			for s := vs.Start; s < vs.End; s++ {
				t.x[i][s] += eps * (2*it.Rand.Float64() - 1)
			}
		}
	}
	for step := 0; step < p.Steps; step++ {
		idx := t.active()
		if len(idx) == 0 {
			break
		}
		xs := make([][]float64, len(idx))
		labels := make([]int, len(idx))
		for k, i := range idx {
			xs[k] = t.x[i]
			labels[k], _ = lossLabel(items[i], p.Loss)
		}
		grads, scores, err := t.o.Gradient(ctx, idx, xs, labels, p.Loss)
		if err != nil {
			return err
		}
		for k, i := range idx {
			if grads[k] == nil {
				continue
			}
			t.observe(i, xs[k], scores[k])
			it := items[i]
			if earlyStop && succeeded(it, scores[k]) {
				t.done[i] = true
				continue
			}
			_, dir := lossLabel(it, p.Loss)
			eps, alpha := it.Record.Signal.ADU(p.EpsilonUV), it.Record.Signal.ADU(p.StepUV)
			x0 := it.Record.Signal.Samples
			vs := it.Record.ValidSpan()
			xi, g := t.x[i], grads[k]
			for s := vs.Start; s < vs.End; s++ {
				xi[s] = x0[s] + clip(xi[s]+dir*alpha*sign(g[s])-x0[s], eps)
			}
			t.steps[i]++
		}
	}
	return nil
}
