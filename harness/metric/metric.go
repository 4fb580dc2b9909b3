package metric

import (
	"math"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Z95 is the standard normal quantile for a two-sided 95 % interval.
const Z95 = 1.959963984540054

// Rate returns k/n, and ok = false when n is 0 (the rate is undefined).
func Rate(k, n int) (rate float64, ok bool) {
	if n <= 0 {
		return 0, false
	}
	return float64(k) / float64(n), true
}

// Wilson returns the Wilson score interval of k successes in n trials at
// normal quantile z (Z95 for 95 %). For n = 0 it returns [0, 1]. It panics
// if k < 0 or k > n.
func Wilson(k, n int, z float64) (lo, hi float64) {
	if k < 0 || k > n {
		panic("metric: Wilson needs 0 ≤ k ≤ n")
	}
	if n == 0 {
		return 0, 1
	}
	nf := float64(n)
	p := float64(k) / nf
	z2 := z * z
	centre := (p + z2/(2*nf)) / (1 + z2/nf)
	half := z / (1 + z2/nf) * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	lo, hi = max(0, centre-half), min(1, centre+half)
	if k == 0 {
		lo = 0
	}
	if k == n {
		hi = 1
	}
	return lo, hi
}

// LinfUV returns max_t |adv[t] − x[t]| in µV for signals at gain adu/mV.
// It panics if the lengths differ.
func LinfUV(x, adv []float64, gain float64) float64 {
	mustSameLen(x, adv)
	var m float64
	for i := range x {
		m = math.Max(m, math.Abs(adv[i]-x[i]))
	}
	return m * 1000 / gain
}

// L2UV returns sqrt(Σ_t (adv[t] − x[t])²) in µV for signals at gain
// adu/mV. It panics if the lengths differ.
func L2UV(x, adv []float64, gain float64) float64 {
	mustSameLen(x, adv)
	var s float64
	for i := range x {
		d := adv[i] - x[i]
		s += d * d
	}
	return math.Sqrt(s) * 1000 / gain
}

// SNRdB returns 10·log10(Σ x² / Σ (adv − x)²), the ratio of signal to
// perturbation energy in dB, and ok = false when the perturbation is zero
// (or the signal is zero). The ratio does not depend on the gain. It
// panics if the lengths differ.
func SNRdB(x, adv []float64) (snr float64, ok bool) {
	mustSameLen(x, adv)
	var ps, pn float64
	for i := range x {
		d := adv[i] - x[i]
		ps += x[i] * x[i]
		pn += d * d
	}
	if pn == 0 || ps == 0 {
		return 0, false
	}
	return 10 * math.Log10(ps/pn), true
}

// PRD returns the percentage root-mean-square difference of adv from x,
// 100·sqrt(Σ (adv − x)² / Σ x²), and ok = false when x is zero. Like the
// SNR it does not depend on the gain (PRD = 100·10^(−SNR/20)). It panics
// if the lengths differ.
func PRD(x, adv []float64) (prd float64, ok bool) {
	mustSameLen(x, adv)
	var ps, pn float64
	for i := range x {
		d := adv[i] - x[i]
		ps += x[i] * x[i]
		pn += d * d
	}
	if ps == 0 {
		return 0, false
	}
	return 100 * math.Sqrt(pn/ps), true
}

// HighFrequencyFraction returns the fraction of the energy of d (a
// perturbation sampled at rateHz) at frequencies strictly above cutoffHz,
// from its discrete Fourier transform:
//
//	Σ_{f_k > cutoff} w_k |D_k|² / Σ_k w_k |D_k|²,  f_k = k·rate/n
//
// over the one-sided spectrum k = 0 … ⌊n/2⌋, with w_k = 2 except for the
// zero frequency and (for even n) the Nyquist bin, which count once, so
// the weights give Parseval's energy. A zero perturbation gives 0.
func HighFrequencyFraction(d []float64, rateHz, cutoffHz float64) float64 {
	n := len(d)
	if n == 0 {
		return 0
	}
	nonzero := false
	for _, v := range d {
		if v != 0 {
			nonzero = true
			break
		}
	}
	if !nonzero {
		return 0
	}
	coef := spectrum(d)
	var total, high float64
	for k, c := range coef {
		w := 2.0
		if k == 0 || (n%2 == 0 && k == n/2) {
			w = 1
		}
		e := w * (real(c)*real(c) + imag(c)*imag(c))
		total += e
		if float64(k)*rateHz/float64(n) > cutoffHz {
			high += e
		}
	}
	if total == 0 {
		return 0
	}
	return high / total
}

// spectrum returns the DFT coefficients X_0 … X_{⌊n/2⌋} of the real
// sequence d. Lengths whose prime factors are all 2, 3 or 5 go straight to
// gonum's FFT; other lengths (a 9.97 s record is often a prime number of
// samples, where the direct FFT is O(n²)) use Bluestein's algorithm, which
// computes the same n-point DFT through a power-of-two complex FFT.
func spectrum(d []float64) []complex128 {
	n := len(d)
	if smooth(n) {
		return fourier.NewFFT(n).Coefficients(nil, d)
	}
	m := 1
	for m < 2*n-1 {
		m <<= 1
	}
	// w_k = exp(−iπk²/n); X_k = w_k · Σ_j (d_j w_j) · conj(w_{k−j}).
	w := make([]complex128, n)
	for k := range w {
		// k² mod 2n keeps the angle exact for large k.
		kk := (int64(k) * int64(k)) % int64(2*n)
		a := -math.Pi * float64(kk) / float64(n)
		w[k] = complex(math.Cos(a), math.Sin(a))
	}
	a := make([]complex128, m)
	b := make([]complex128, m)
	for j := range n {
		a[j] = complex(d[j], 0) * w[j]
	}
	b[0] = conj(w[0])
	for k := 1; k < n; k++ {
		b[k] = conj(w[k])
		b[m-k] = conj(w[k])
	}
	fft := fourier.NewCmplxFFT(m)
	fa := fft.Coefficients(nil, a)
	fb := fft.Coefficients(nil, b)
	for i := range fa {
		fa[i] *= fb[i]
	}
	conv := fft.Sequence(nil, fa) // unnormalised inverse
	out := make([]complex128, n/2+1)
	for k := range out {
		out[k] = w[k] * conv[k] / complex(float64(m), 0)
	}
	return out
}

func conj(c complex128) complex128 { return complex(real(c), -imag(c)) }

// smooth reports whether n's prime factors are all 2, 3 or 5.
func smooth(n int) bool {
	for _, p := range []int{2, 3, 5} {
		for n%p == 0 {
			n /= p
		}
	}
	return n == 1
}

func mustSameLen(a, b []float64) {
	if len(a) != len(b) {
		panic("metric: length mismatch")
	}
}
