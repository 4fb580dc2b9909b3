// Package conformance checks a classifier, in process or behind a plugin,
// against the ecgrobust contract: the battery behind `ecgrobust plugin
// check` and, for plugin authors' own Go tests, [TestBinary].
//
// # The battery
//
//   - describe: name, at least two distinct classes, positive sample rate
//     (Hz) and gain (adu/mV), 1 ≤ min length ≤ max length.
//
//   - predict: synthetic ECGs (harness/ecg/ecgtest: regular, AF-like,
//     bradycardic with wander, noisy) at the declared rate, gain and a
//     length of 18,000 samples clamped to the accepted range give finite
//     scores of the right shape; probabilities sum to 1 ± 1e-3.
//
//   - deterministic: the same batch twice gives scores within 1e-6.
//
//   - batch invariance: batch answers equal one-by-one answers within
//     Options.BatchTolerance (1e-5).
//
//   - rejects wrong length, empty batch, NaN input: an error, not a crash
//     or a hang, and the next good call still works.
//
//   - gradient cross_entropy / logit_margin (models with the capability):
//     for each signal and Options.Directions smooth random directions d
//     (sums of sines below 2 Hz, peak 1), the analytic directional
//     derivative ∇L·d is compared with the central difference
//
//     (L(x + h d) − L(x − h d)) / 2h,  h = 0.5, 2 and 8 µV in adu
//
//     by the cosine of the two vectors over all directions; it must be
//     ≥ Options.MinCosine (0.99) at the best of the steps. The scores InputGradient returns must
//     equal Predict's.
//
//   - latency predict / gradient: median time per call and per signal.
//
//   - stability and shutdown ([CheckBinary] only): no restarts during the
//     battery; the process is gone within 3 s of Close.
//
// Everything is seeded (Options.Seed): two runs send the same signals.
package conformance
