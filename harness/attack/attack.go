package attack

import (
	"context"
	"errors"

	"github.com/ecgrobust/ecgrobust/harness/model"
)

// Method is an attack: it perturbs every item of an Oracle's batch and
// returns one Outcome per item, in order. A model failure on an item is
// reported in that item's Outcome; Attack returns an error only when ctx
// is done.
type Method interface {
	Attack(ctx context.Context, o *Oracle) ([]Outcome, error)
}

// Outcome is the result of an attack on one item.
type Outcome struct {
	// Adversarial is the perturbed signal in adu (full length, padding
	// untouched); nil when the item failed before any model reply.
	Adversarial []float64
	// Scores are the model's scores at Adversarial, and Label their
	// argmax (-1 when Scores is nil).
	Scores []float64
	Label  int
	// Success is true when Label differs from the true label
	// (untargeted) or equals the target (targeted).
	Success bool
	// Steps is the number of iterations run for this item.
	Steps int
	// Queries is the number of signals sent to the model for this item.
	Queries int64
	// Exhausted is true when the item's query budget stopped the attack
	// early; Adversarial is then the last state whose scores were seen.
	Exhausted bool
	// Err is the model error that stopped the item, if any.
	Err error
}

// succeeded reports whether scores meet it's goal.
func succeeded(it Item, scores []float64) bool {
	if scores == nil {
		return false
	}
	y := model.Argmax(scores)
	if it.Target >= 0 {
		return y == it.Target
	}
	return y != it.Label
}

// lossLabel returns the label whose loss the attack follows, and the sign
// that turns the loss gradient into an ascent direction for the attacker:
// untargeted ascends cross-entropy on the true label (descends its logit
// margin); targeted descends cross-entropy on the target (ascends its
// margin).
func lossLabel(it Item, loss model.Loss) (label int, dir float64) {
	label, dir = it.Label, 1
	if it.Target >= 0 {
		label, dir = it.Target, -1
	}
	if loss == model.LogitMargin {
		dir = -dir
	}
	return label, dir
}

// track keeps per-item attack state common to PGD and SAP.
type track struct {
	o        *Oracle
	x        [][]float64 // current adversarial signal
	seenX    [][]float64 // last signal whose scores were seen
	seen     [][]float64 // its scores
	steps    []int
	done     []bool
	outcomes []Outcome
}

func newTrack(o *Oracle) *track {
	n := len(o.items)
	return &track{
		o: o, x: make([][]float64, n), seenX: make([][]float64, n), seen: make([][]float64, n),
		steps: make([]int, n), done: make([]bool, n),
	}
}

// observe records scores seen at signal x for item i.
func (t *track) observe(i int, x, scores []float64) {
	if scores == nil {
		return
	}
	t.seenX[i] = append(t.seenX[i][:0], x...)
	t.seen[i] = scores
}

// active returns the items still running.
func (t *track) active() []int {
	var out []int
	for i := range t.o.items {
		if !t.done[i] && t.o.errs[i] == nil {
			out = append(out, i)
		}
	}
	return out
}

// finish evaluates the final states of running items and builds Outcomes.
// final(i) returns the signal to evaluate for item i.
func (t *track) finish(ctx context.Context, final func(i int) []float64) ([]Outcome, error) {
	var idx []int
	var xs [][]float64
	for i := range t.o.items {
		if t.o.errs[i] == nil && !t.done[i] {
			idx = append(idx, i)
			xs = append(xs, final(i))
		}
	}
	if len(idx) > 0 {
		sc, err := t.o.Predict(ctx, idx, xs)
		if err != nil {
			return nil, err
		}
		for k, i := range idx {
			t.observe(i, xs[k], sc[k])
		}
	}
	out := make([]Outcome, len(t.o.items))
	for i, it := range t.o.items {
		oc := Outcome{Steps: t.steps[i], Queries: t.o.queries[i], Label: -1, Err: t.o.errs[i]}
		if errors.Is(oc.Err, ErrBudget) {
			oc.Err, oc.Exhausted = nil, true
		}
		if t.seen[i] != nil {
			oc.Adversarial, oc.Scores = t.seenX[i], t.seen[i]
			oc.Label = model.Argmax(oc.Scores)
			oc.Success = succeeded(it, oc.Scores)
		}
		out[i] = oc
	}
	return out, nil
}

func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

func clip(v, eps float64) float64 { return max(-eps, min(eps, v)) }
