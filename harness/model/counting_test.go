package model

import (
	"context"
	"errors"
	"testing"
)

type constModel struct{ grad bool }

func (constModel) Info() Info { return Info{Classes: []string{"a", "b"}} }
func (constModel) Predict(_ context.Context, s [][]float64) ([][]float64, error) {
	out := make([][]float64, len(s))
	for i := range out {
		out[i] = []float64{0, 1}
	}
	return out, nil
}

type gradModel struct{ constModel }

func (gradModel) InputGradient(_ context.Context, s [][]float64, _ []int, _ Loss) ([][]float64, [][]float64, error) {
	return s, s, nil
}

func TestCounting(t *testing.T) {
	ctx := context.Background()
	c := NewCounting(gradModel{})
	sig := [][]float64{{1}, {2}, {3}}
	if _, err := c.Predict(ctx, sig); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.InputGradient(ctx, sig[:2], []int{0, 1}, CrossEntropy); err != nil {
		t.Fatal(err)
	}
	if c.Predictions() != 3 || c.Gradients() != 2 || c.Queries() != 5 {
		t.Errorf("counts = %d, %d, %d; want 3, 2, 5", c.Predictions(), c.Gradients(), c.Queries())
	}
	b := NewCounting(constModel{})
	if _, _, err := b.InputGradient(ctx, sig, []int{0, 0, 0}, CrossEntropy); !errors.Is(err, ErrNoGradient) {
		t.Errorf("InputGradient on a black box: err = %v, want ErrNoGradient", err)
	}
	if b.Gradients() != 0 {
		t.Errorf("black-box gradients counted: %d", b.Gradients())
	}
}
