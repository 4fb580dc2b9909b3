package model

import (
	"math"
	"testing"
)

func TestSoftmax(t *testing.T) {
	const tol = 1e-12
	tests := []struct {
		name   string
		logits []float64
		want   []float64
	}{
		{"uniform", []float64{0, 0}, []float64{0.5, 0.5}},
		{"large logits stay finite", []float64{1000, 1000 + math.Log(3)}, []float64{0.25, 0.75}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Softmax(nil, tt.logits)
			for i := range got {
				if math.Abs(got[i]-tt.want[i]) > tol {
					t.Fatalf("Softmax(%v) = %v, want %v", tt.logits, got, tt.want)
				}
			}
		})
	}
}

func TestArgmax(t *testing.T) {
	if got := Argmax([]float64{1, 3, 3, 2}); got != 1 {
		t.Errorf("Argmax = %d, want 1 (first of ties)", got)
	}
	if got := Argmax(nil); got != -1 {
		t.Errorf("Argmax(nil) = %d, want -1", got)
	}
}
