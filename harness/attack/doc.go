// Package attack implements the adversarial attacks of Han et al. 2020
// (Nature Medicine 26:360) against any [model.Classifier]: the L∞ [PGD]
// baseline, the smoothed adversarial perturbation [SAP], and [Collate],
// which measures how far the adversarial region around a record extends.
//
// # Units
//
// Signals are in adu at the classifier's rate and gain; every amplitude
// setting (ε, α, σ) is in µV and converted per record with
// ecg.Signal.ADU, so ε = 10 µV is 10 adu at 1000 adu/mV and 2 adu at
// 200 adu/mV. Only a record's recorded span (ecg.Record.ValidSpan) is
// ever perturbed; padding is passed through unchanged.
//
// # Smoothing
//
// SAP's operator S is one symmetric kernel: the average of the Gaussian
// kernels of every size × σ pair (defaults {5, 7, 11, 15, 19} × {1, 3, 5, 7,
// 10} samples at 300 Hz), each sampled at integer offsets, normalised to
// sum 1 and centred. At 300 Hz this is the 19-tap kernel
//
//	0.003554461 0.004291024 0.011142061 0.013467174 0.026827312
//	0.031979056 0.058462072 0.106355704 0.151256361 0.185329551 (centre) …
//
// For a record at another rate f, [ScaledKernels] keeps the kernels' extent
// in seconds: σ' = σ·f/300 and size' = the odd integer nearest
// size·f/300 (halves round up), so at 360 Hz the sizes are {7, 9, 13, 19,
// 23} and σ {1.2, 3.6, 6, 8.4, 12}. A spec may also give sizes and σ
// directly.
//
// # Gradients and queries
//
// An [Oracle] gives an attack counted, budgeted access to the classifier
// for a batch of [Item]s: every signal sent for an item is charged to it,
// batches respect model.Info.MaxBatch, and a failing call is retried one
// signal at a time so that only the offending item fails. Gradients come
// from a [Gradient] source: [WhiteBox] (the model's own InputGradient) or
// [FiniteDifference], a zeroth-order estimate with antithetic Gaussian
// probes drawn in the smoothed subspace; [SelectGradient] maps the spec's
// "auto", "plugin" and "finite-difference" onto them. [Fidelity] checks a
// model's gradients against finite differences.
//
// # Randomness
//
// Every draw (random starts, probe directions, resampling noise, splice
// points) comes from the Item's own rand.Rand, which the engine seeds from
// the spec seed, the record ID and the attack ID: an item's outcome does
// not depend on the batch, worker or order it runs in.
package attack
