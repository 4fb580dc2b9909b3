package model

import (
	"context"
	"errors"
	"sync/atomic"
)

// ErrNoGradient is returned by Counting.InputGradient when the wrapped
// classifier does not implement Gradienter.
var ErrNoGradient = errors.New("model: classifier offers no input gradient")

// Counting wraps a Classifier and counts the signals sent to it: every
// signal of every Predict call, and every signal of every InputGradient
// call, whether or not the call succeeds. It is safe for concurrent use.
type Counting struct {
	inner       Classifier
	predictions atomic.Int64
	gradients   atomic.Int64
}

// NewCounting returns a counting wrapper around c.
func NewCounting(c Classifier) *Counting { return &Counting{inner: c} }

// Info returns the wrapped classifier's Info.
func (c *Counting) Info() Info { return c.inner.Info() }

// Predict counts len(signals) predictions and calls the wrapped classifier.
func (c *Counting) Predict(ctx context.Context, signals [][]float64) ([][]float64, error) {
	c.predictions.Add(int64(len(signals)))
	return c.inner.Predict(ctx, signals)
}

// InputGradient counts len(signals) gradients and calls the wrapped
// classifier, or returns ErrNoGradient (counting nothing) when it has no
// gradient.
func (c *Counting) InputGradient(ctx context.Context, signals [][]float64, labels []int, loss Loss) (grads, scores [][]float64, err error) {
	g, ok := c.inner.(Gradienter)
	if !ok {
		return nil, nil, ErrNoGradient
	}
	c.gradients.Add(int64(len(signals)))
	return g.InputGradient(ctx, signals, labels, loss)
}

// Predictions returns the number of signals sent to Predict so far.
func (c *Counting) Predictions() int64 { return c.predictions.Load() }

// Gradients returns the number of signals sent to InputGradient so far.
func (c *Counting) Gradients() int64 { return c.gradients.Load() }

// Queries returns Predictions + Gradients.
func (c *Counting) Queries() int64 { return c.Predictions() + c.Gradients() }
