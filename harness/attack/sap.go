package attack

import (
	"context"
	"fmt"

	"github.com/ecgrobust/ecgrobust/harness/model"
)

// SAP is the smoothed adversarial perturbation of Han et al. 2020. It
// starts from θ₀ = PGD(x) − x after PGDSteps of [PGD] with the same ε, α
// and loss (never stopped early), then runs
//
//	θ ← clip(θ + α·sign(S(∇ loss(x + S(θ)))), −ε, ε)
//
// for Steps iterations, where S is the [Smoother] (S is symmetric, so
// S(∇ₓ) is the gradient with respect to θ). The adversarial example is
// x + S(θ) on the recorded span and x elsewhere; since S averages with
// non-negative weights summing to at most 1, |S(θ)| ≤ ε.
type SAP struct {
	// EpsilonUV is ε in µV (default 10).
	EpsilonUV float64
	// StepUV is α in µV (default 1).
	StepUV float64
	// Steps is the number of smoothed iterations (default 40).
	Steps int
	// PGDSteps is the number of PGD steps giving θ₀ (default 20; a
	// negative value means none, θ₀ = 0).
	PGDSteps int
	// RandomStart is passed to the PGD stage.
	RandomStart bool
	// EarlyStop stops an item at the first smoothed iterate that
	// succeeds.
	EarlyStop bool
	// Loss is the loss followed (default CrossEntropy).
	Loss model.Loss
	// Smoother is S; nil means DefaultSmoother at each record's rate.
	Smoother *Smoother
}

// WithDefaults returns s with zero fields set to the paper's defaults.
func (s SAP) WithDefaults() SAP {
	if s.EpsilonUV == 0 {
		s.EpsilonUV = 10
	}
	if s.StepUV == 0 {
		s.StepUV = 1
	}
	if s.Steps == 0 {
		s.Steps = 40
	}
	if s.PGDSteps == 0 {
		s.PGDSteps = 20
	}
	return s
}

// Validate reports nonsensical settings.
func (s SAP) Validate() error {
	if !(s.EpsilonUV > 0) || !(s.StepUV > 0) || s.Steps < 0 {
		return fmt.Errorf("attack: sap needs ε > 0, α > 0 and steps ≥ 0 (got ε=%v µV, α=%v µV, steps=%d)", s.EpsilonUV, s.StepUV, s.Steps)
	}
	return nil
}

func (s SAP) smoother(rate float64) *Smoother {
	if s.Smoother != nil {
		return s.Smoother
	}
	return DefaultSmoother(rate)
}

// Attack runs SAP on every item of o.
func (s SAP) Attack(ctx context.Context, o *Oracle) ([]Outcome, error) {
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	t := newTrack(o)
	items := o.items
	if s.PGDSteps > 0 {
		p := PGD{EpsilonUV: s.EpsilonUV, StepUV: s.StepUV, Steps: s.PGDSteps, RandomStart: s.RandomStart, Loss: s.Loss}
		if err := p.run(ctx, t, false); err != nil {
			return nil, err
		}
	}
	theta := make([][]float64, len(items))
	smoothers := make([]*Smoother, len(items))
	for i, it := range items {
		x := it.Record.Signal.Samples
		theta[i] = make([]float64, len(x))
		if t.x[i] != nil {
			for k := range x {
				theta[i][k] = t.x[i][k] - x[k]
			}
		}
		smoothers[i] = s.smoother(it.Record.Signal.Rate)
		t.x[i] = nil
		t.steps[i] = 0
	}
	buf := make([]float64, 0)
	adv := func(i int) []float64 {
		it := items[i]
		x := it.Record.Signal.Samples
		if cap(buf) < len(x) {
			buf = make([]float64, len(x))
		}
		st := smoothers[i].Apply(buf[:len(x)], theta[i])
		out := append([]float64(nil), x...)
		vs := it.Record.ValidSpan()
		for k := vs.Start; k < vs.End; k++ {
			out[k] += st[k]
		}
		return out
	}
	for step := 0; step < s.Steps; step++ {
		idx := t.active()
		if len(idx) == 0 {
			break
		}
		xs := make([][]float64, len(idx))
		labels := make([]int, len(idx))
		for k, i := range idx {
			xs[k] = adv(i)
			labels[k], _ = lossLabel(items[i], s.Loss)
		}
		grads, scores, err := o.Gradient(ctx, idx, xs, labels, s.Loss)
		if err != nil {
			return nil, err
		}
		for k, i := range idx {
			if grads[k] == nil {
				continue
			}
			t.observe(i, xs[k], scores[k])
			it := items[i]
			if s.EarlyStop && succeeded(it, scores[k]) {
				t.done[i] = true
				continue
			}
			_, dir := lossLabel(it, s.Loss)
			eps, alpha := it.Record.Signal.ADU(s.EpsilonUV), it.Record.Signal.ADU(s.StepUV)
			vs := it.Record.ValidSpan()
			g := grads[k]
			for j := range g { // only the recorded span moves
				if j < vs.Start || j >= vs.End {
					g[j] = 0
				}
			}
			sg := smoothers[i].Apply(nil, g)
			th := theta[i]
			for j := vs.Start; j < vs.End; j++ {
				th[j] = clip(th[j]+dir*alpha*sign(sg[j]), eps)
			}
			t.steps[i]++
		}
	}
	return t.finish(ctx, adv)
}
