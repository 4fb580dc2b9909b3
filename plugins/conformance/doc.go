// Package conformance checks a classifier, in process or behind a plugin,
// against the ecgrobust contract: the battery behind `ecgrobust plugin
// check` and, for plugin authors' own Go tests, [TestBinary].
//
// # The battery
//
//   - describe: name, at least two distinct classes, positive sample rate
//     (Hz) and gain (adu/mV), 1 ≤ min length ≤ max length.
//
//   - transport ([CheckBinary], or a *host.Plugin given to [Check]): how
//     the calls carry their samples, "shared memory" or "bytes in
//     messages", and whether the plugin declares capabilities.shared_memory
//     (Report.Transport). A plugin that declares it but fails to map the
//     region the host offers fails: it claims a capability it cannot
//     honour. When the host offers no region (not Linux, a reattached
//     plugin) the item is informational.
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
//   - shared memory = bytes (plugins that use shared memory; skipped
//     otherwise): the same batch through the region and with bytes in the
//     messages (host.Plugin.UseSharedMemory) gives scores within 1e-5, and
//     for gradient models cross-entropy gradients within 1e-5 relative;
//     both paths carry the same float32 samples, so they should be
//     bit-identical. The figure is the largest score difference.
//
//   - latency predict / gradient: median time per call and per signal;
//     for a plugin that uses shared memory, on both paths
//     (Report.PredictBytes, Report.GradientBytes).
//
//   - stability and shutdown ([CheckBinary] only): no restarts during the
//     battery; the process is gone within 3 s of Close.
//
// Everything is seeded (Options.Seed): two runs send the same signals.
package conformance
