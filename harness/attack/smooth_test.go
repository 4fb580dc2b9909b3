package attack

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestDefaultKernelMatchesPaper(t *testing.T) {
	const tol = 1e-6
	half := []float64{0.003554461, 0.004291024, 0.011142061, 0.013467174, 0.026827312,
		0.031979056, 0.058462072, 0.106355704, 0.151256361, 0.185329551}
	want := append([]float64(nil), half...)
	for i := len(half) - 2; i >= 0; i-- {
		want = append(want, half[i])
	}
	got := DefaultSmoother(300).Kernel()
	if len(got) != 19 {
		t.Fatalf("kernel has %d taps, want 19", len(got))
	}
	var sum float64
	for i := range got {
		sum += got[i]
		if math.Abs(got[i]-want[i]) > tol {
			t.Errorf("tap %d = %.9f, want %.9f", i, got[i], want[i])
		}
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("kernel sums to %v, want 1", sum)
	}
}

func TestSmootherIsSymmetric(t *testing.T) {
	// <S a, b> == <a, S b>: the property SAP's θ-gradient relies on.
	rng := rand.New(rand.NewPCG(1, 2))
	s := DefaultSmoother(300)
	a, b := make([]float64, 101), make([]float64, 101)
	for i := range a {
		a[i], b[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	sa, sb := s.Apply(nil, a), s.Apply(nil, b)
	var l, r float64
	for i := range a {
		l += sa[i] * b[i]
		r += a[i] * sb[i]
	}
	if math.Abs(l-r) > 1e-12 {
		t.Errorf("<Sa,b> = %v, <a,Sb> = %v", l, r)
	}
}

func TestSmootherZeroPadding(t *testing.T) {
	s := DefaultSmoother(300)
	x := make([]float64, 40)
	for i := range x {
		x[i] = 1
	}
	y := s.Apply(nil, x)
	k := s.Kernel()
	// At the first sample only the centre and right half overlap.
	var want float64
	for _, v := range k[9:] {
		want += v
	}
	if math.Abs(y[0]-want) > 1e-12 {
		t.Errorf("S(1)[0] = %v, want %v", y[0], want)
	}
	if math.Abs(y[20]-1) > 1e-12 {
		t.Errorf("S(1)[20] = %v, want 1", y[20])
	}
}

func TestScaledKernels(t *testing.T) {
	tests := []struct {
		name      string
		from, to  float64
		wantSizes []int
		wantSigma float64
	}{
		{"same rate", 300, 300, []int{5, 7, 11, 15, 19}, 10},
		{"360 Hz, ties round up", 300, 360, []int{7, 9, 13, 19, 23}, 12},
		{"150 Hz", 300, 150, []int{3, 3, 5, 7, 9}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sizes, sigmas := ScaledKernels(DefaultKernelSizes, DefaultKernelSigmas, tt.from, tt.to)
			for i := range sizes {
				if sizes[i] != tt.wantSizes[i] {
					t.Fatalf("sizes = %v, want %v", sizes, tt.wantSizes)
				}
			}
			if math.Abs(sigmas[4]-tt.wantSigma) > 1e-12 {
				t.Errorf("largest sigma = %v, want %v", sigmas[4], tt.wantSigma)
			}
		})
	}
}

func TestNewSmootherRejectsBadKernels(t *testing.T) {
	if _, err := NewSmoother([]int{4}, []float64{1}); err == nil {
		t.Error("even size accepted")
	}
	if _, err := NewSmoother([]int{5}, []float64{0}); err == nil {
		t.Error("zero sigma accepted")
	}
	if _, err := NewSmoother(nil, []float64{1}); err == nil {
		t.Error("no sizes accepted")
	}
}
