package ecg

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/dsp/window"
)

// Resample returns s at the sample rate rate, by rational polyphase
// filtering: upsample by L, low-pass, downsample by M, with L/M = rate/s.Rate
// in lowest terms (M at most 10,000).
//
// The anti-aliasing and anti-imaging filter is a linear-phase windowed
// sinc (Blackman–Harris window, sidelobes below −92 dB) cutting off at 90 %
// of the lower Nyquist frequency, with its transition band between 80 %
// and 100 % of it: content up to 0.8·Nyquist passes unchanged (within
// 0.1 %), content above the output Nyquist frequency is removed. The
// filter has zero delay; the signal is extended with its edge values at
// both ends. The output has ceil(n·L/M) samples and the gain of s. Each
// filter phase is normalised to unit DC gain, so a constant stays exactly
// constant.
func Resample(s Signal, rate float64) (Signal, error) {
	if err := s.Validate(); err != nil {
		return Signal{}, fmt.Errorf("resample: %w", err)
	}
	if !(rate > 0) || math.IsInf(rate, 0) {
		return Signal{}, fmt.Errorf("resample: target rate %v Hz is not positive", rate)
	}
	out := Signal{Rate: rate, Gain: s.Gain}
	if rate == s.Rate {
		out.Samples = append([]float64(nil), s.Samples...)
		return out, nil
	}
	L, M, err := ratio(s.Rate, rate)
	if err != nil {
		return Signal{}, fmt.Errorf("resample %v Hz → %v Hz: %w", s.Rate, rate, err)
	}
	bank := polyphase(L, M)
	n := len(s.Samples)
	outLen := (n*L + M - 1) / M
	out.Samples = make([]float64, outLen)
	if n == 0 {
		return out, nil
	}
	x := s.Samples
	K := len(bank.phase[0])
	c := bank.delay
	for m := range out.Samples {
		t := m*M + c
		q, p := t/L, t%L
		h := bank.phase[p]
		var acc float64
		if q-K+1 >= 0 && q < n {
			xs := x[q-K+1 : q+1]
			for k, hk := range h {
				acc += hk * xs[K-1-k]
			}
		} else {
			for k, hk := range h {
				i := min(max(q-k, 0), n-1)
				acc += hk * x[i]
			}
		}
		out.Samples[m] = acc
	}
	return out, nil
}

type filterBank struct {
	phase [][]float64 // phase[p][k] = L·h[p+L·k], normalised
	delay int         // centre of h, in upsampled samples
}

// polyphase designs the filter for L/M.
func polyphase(L, M int) filterBank {
	// Frequencies in cycles per upsampled sample.
	nyq := 0.5 / float64(max(L, M))
	cutoff := 0.9 * nyq
	transition := 0.2 * nyq
	// Blackman–Harris main lobe: 8/N cycles per sample.
	half := int(math.Ceil(4 / transition / float64(L)))
	N := 2*half*L + 1
	h := make([]float64, N)
	c := half * L
	for j := range h {
		x := float64(j - c)
		if x == 0 {
			h[j] = 2 * cutoff
		} else {
			h[j] = math.Sin(2*math.Pi*cutoff*x) / (math.Pi * x)
		}
	}
	window.BlackmanHarris(h)
	K := (N + L - 1) / L
	fb := filterBank{phase: make([][]float64, L), delay: c}
	for p := range L {
		ph := make([]float64, K)
		var sum float64
		for k := range K {
			if j := p + L*k; j < N {
				ph[k] = h[j]
				sum += h[j]
			}
		}
		for k := range ph {
			ph[k] /= sum
		}
		fb.phase[p] = ph
	}
	return fb
}

// ratio returns L/M = to/from in lowest terms with M ≤ 10,000.
func ratio(from, to float64) (int, int, error) {
	r := to / from
	for M := 1; M <= 10000; M++ {
		L := math.Round(r * float64(M))
		if L >= 1 && L <= 1e6 && math.Abs(L/float64(M)-r) <= 1e-12*r {
			return int(L), M, nil
		}
	}
	return 0, 0, fmt.Errorf("rate ratio %v is not a fraction with denominator ≤ 10000", r)
}

// Rescale returns s at gain adu per mV: every sample is multiplied by
// gain/s.Gain, so the signal in µV is unchanged (e.g. MIT-BIH's
// 200 adu/mV to CinC's 1000 adu/mV).
func Rescale(s Signal, gain float64) (Signal, error) {
	if err := s.Validate(); err != nil {
		return Signal{}, fmt.Errorf("rescale: %w", err)
	}
	if !(gain > 0) || math.IsInf(gain, 0) {
		return Signal{}, fmt.Errorf("rescale: gain %v adu/mV is not positive", gain)
	}
	k := gain / s.Gain
	out := Signal{Samples: make([]float64, len(s.Samples)), Rate: s.Rate, Gain: gain}
	for i, v := range s.Samples {
		out.Samples[i] = v * k
	}
	return out, nil
}
