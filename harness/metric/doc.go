// Package metric computes the figures a robustness run reports: accuracy,
// attack success rate, robust accuracy with Wilson confidence intervals,
// per-class rates, the class-flip matrix, and the size and shape of a
// perturbation (L∞, L2, SNR, high-frequency energy).
//
// # Units
//
// Signals are in adu; norms are reported in µV using the signal's gain in
// adu per mV (µV = adu · 1000 / gain). Rates are fractions in [0, 1].
// Frequencies are in Hz.
//
// # Rates
//
// For the records of one attack (errored records excluded):
//
//	accuracy        = #(clean label = true label) / #records
//	success rate    = #(attack reached its goal) / #attacked
//	robust accuracy = #(adversarial label = true label) / #records
//
// where a record is attacked when its clean label is correct (the
// denominator of Han et al. 2020: "flipped / correctly classified
// before"); a record not attacked keeps its clean label. A rate with an
// empty denominator is undefined and reported as absent, never as NaN.
//
// # Confidence intervals
//
// The Wilson score interval for k successes in n trials at quantile z
// (z = 1.959964 for 95 %), with p = k/n:
//
//	centre    = (p + z²/2n) / (1 + z²/n)
//	halfwidth = z / (1 + z²/n) · sqrt(p(1−p)/n + z²/4n²)
//
// clipped to [0, 1] (exactly 0 for k = 0 and 1 for k = n).
//
// # Perturbation size and shape
//
// For a clean signal x and adversarial x' over a record's recorded span,
// d = x' − x:
//
//	L∞   = max_t |d_t|                        (µV)
//	L2   = sqrt(Σ_t d_t²)                     (µV)
//	SNR  = 10 · log10(Σ_t x_t² / Σ_t d_t²)    (dB; undefined for d = 0)
//	PRD  = 100 · sqrt(Σ_t d_t² / Σ_t x_t²)    (%; = 100 · 10^(−SNR/20))
//	HF40 = Σ_{f_k > 40 Hz} w_k |D_k|² / Σ_k w_k |D_k|²
//
// where D is the discrete Fourier transform of d (gonum's FFT), f_k =
// k·rate/n over the one-sided spectrum and w_k = 2 except at 0 Hz and the
// Nyquist bin (w = 1). HF40 shows PGD's square-wave artefacts (most of the
// energy above 40 Hz) against SAP's smooth perturbations (almost none).
// The SNR uses the raw signal, baseline included.
package metric
