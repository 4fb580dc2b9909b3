package attack

import (
	"fmt"
	"math"
)

// Han 2020's smoothing kernels: every size × σ pair, in samples at
// DefaultKernelRate.
var (
	DefaultKernelSizes  = []int{5, 7, 11, 15, 19}
	DefaultKernelSigmas = []float64{1, 3, 5, 7, 10}
)

// DefaultKernelRate is the sample rate in Hz at which DefaultKernelSizes
// and DefaultKernelSigmas are given (CinC 2017, 300 Hz).
const DefaultKernelRate = 300

// Smoother is SAP's smoothing operator S: a "same"-length convolution with
// zero padding by one symmetric odd-length kernel that sums to 1. Because
// the kernel is symmetric, S is a symmetric linear map, so the gradient of
// a loss L(x + S(θ)) with respect to θ is S applied to the gradient with
// respect to the input. A Smoother is immutable and safe for concurrent use.
type Smoother struct {
	kernel []float64
}

// NewSmoother returns the Smoother whose kernel is the average of the
// Gaussian kernels of every (size, σ) pair. Each Gaussian is sampled at
// the integer offsets −(size−1)/2 … (size−1)/2, normalised to sum 1 and
// centred in a kernel as long as the largest size. Sizes must be odd and
// positive, σ positive.
func NewSmoother(sizes []int, sigmas []float64) (*Smoother, error) {
	if len(sizes) == 0 || len(sigmas) == 0 {
		return nil, fmt.Errorf("attack: smoothing needs at least one kernel size and one sigma")
	}
	longest := 0
	for _, k := range sizes {
		if k <= 0 || k%2 == 0 {
			return nil, fmt.Errorf("attack: kernel size %d is not a positive odd number", k)
		}
		longest = max(longest, k)
	}
	for _, s := range sigmas {
		if !(s > 0) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("attack: kernel sigma %v is not positive", s)
		}
	}
	kernel := make([]float64, longest)
	mid := longest / 2
	g := make([]float64, longest)
	for _, k := range sizes {
		h := k / 2
		for _, s := range sigmas {
			var sum float64
			for t := -h; t <= h; t++ {
				g[t+h] = math.Exp(-float64(t*t) / (2 * s * s))
				sum += g[t+h]
			}
			for t := -h; t <= h; t++ {
				kernel[mid+t] += g[t+h] / sum
			}
		}
	}
	n := float64(len(sizes) * len(sigmas))
	for i := range kernel {
		kernel[i] /= n
	}
	return &Smoother{kernel: kernel}, nil
}

// ScaledKernels converts kernel sizes and σ given in samples at fromHz to
// samples at toHz: σ scales by toHz/fromHz, and each size becomes the odd
// integer nearest to size·toHz/fromHz (at least 1). At toHz == fromHz the
// inputs are returned unchanged, so the 300 Hz defaults stay exact.
func ScaledKernels(sizes []int, sigmas []float64, fromHz, toHz float64) ([]int, []float64) {
	if fromHz == toHz || !(fromHz > 0) || !(toHz > 0) {
		return append([]int(nil), sizes...), append([]float64(nil), sigmas...)
	}
	r := toHz / fromHz
	outSizes := make([]int, len(sizes))
	for i, k := range sizes {
		// nearest odd integer to k·r: 2·round((k·r−1)/2)+1.
		o := 2*int(math.Round((float64(k)*r-1)/2)) + 1
		outSizes[i] = max(o, 1)
	}
	outSigmas := make([]float64, len(sigmas))
	for i, s := range sigmas {
		outSigmas[i] = s * r
	}
	return outSizes, outSigmas
}

// DefaultSmoother returns Han 2020's smoother for signals at rateHz (the
// default kernels scaled with [ScaledKernels]).
func DefaultSmoother(rateHz float64) *Smoother {
	sizes, sigmas := ScaledKernels(DefaultKernelSizes, DefaultKernelSigmas, DefaultKernelRate, rateHz)
	s, err := NewSmoother(sizes, sigmas)
	if err != nil {
		panic(err) // unreachable: the defaults are valid
	}
	return s
}

// Kernel returns a copy of the smoothing kernel.
func (s *Smoother) Kernel() []float64 { return append([]float64(nil), s.kernel...) }

// Apply writes S(src) into dst and returns it. If dst is nil a new slice is
// allocated. dst and src must not overlap; Apply panics if their lengths
// differ.
func (s *Smoother) Apply(dst, src []float64) []float64 {
	n := len(src)
	if dst == nil {
		dst = make([]float64, n)
	}
	if len(dst) != n {
		panic("attack: smoothing length mismatch")
	}
	k := s.kernel
	h := len(k) / 2
	for i := 0; i < n; i++ {
		lo, hi := i-h, i+h
		j0 := 0
		if lo < 0 {
			j0 = -lo
			lo = 0
		}
		if hi >= n {
			hi = n - 1
		}
		var acc float64
		seg := src[lo : hi+1]
		kk := k[j0 : j0+len(seg)]
		for j, v := range seg {
			acc += kk[j] * v
		}
		dst[i] = acc
	}
	return dst
}
