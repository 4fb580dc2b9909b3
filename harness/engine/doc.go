// Package engine runs a spec's attacks over a data set against one or more
// instances of a classifier and turns the outcome into a [Result]: one row
// per (record, attack), per-attack summaries, the metrics criteria read,
// and the verdict.
//
// # Example
//
//	s, err := spec.Load("specs/ci-gate-quick.yaml")
//	...
//	set, err := dataset.Load(ctx, cfg)            // records at the model's rate and gain
//	pool := []model.Classifier{clf1, clf2}        // one instance per worker
//	res, err := engine.Run(ctx, s, engine.Records(set.Records), pool, engine.Options{
//		Sink:     journal.Append,                 // every finished row, for resume
//		Progress: func(p engine.Progress) { bar.Set(p.Done) },
//	})
//	os.Exit(res.Verdict.ExitCode())
//
// # How a run proceeds
//
//  1. If the spec asks for a gradient-fidelity check and the model offers
//     gradients, [attack.Fidelity] runs on the first records (in ID order)
//     of the whole data set; a failure makes gradient attacks
//     INCONCLUSIVE or switches them to finite differences (on_failure).
//  2. Records kept by Options.Filter (a shard) that still have pending
//     (record, attack) pairs (Options.Done holds finished ones) are sorted
//     by ID and cut into batches of Options.BatchSize.
//  3. Workers, one per classifier, take batches: load the records, predict
//     them clean, then run each attack in spec order on the records it
//     applies to. Gradient attacks (pgd, sap) attack only correctly
//     classified records (and, when targeted, records not already of the
//     target class); a collate attack probes the successful adversarial
//     examples of the attack it names. Calls are batched across the
//     records of a batch.
//  4. Each finished batch's rows go to Options.Sink and Options.Progress.
//     A record whose loading or model calls fail becomes an errored row
//     with the reason; it is never dropped.
//  5. The rows are sorted (record ID, then attack order) and aggregated
//     with package metric; criteria are evaluated with package verdict,
//     with the spec's limits deciding which metrics are unreliable.
//  6. A few successful examples are re-run to keep their traces.
//
// # Determinism
//
// Every random draw for a (record, attack) pair comes from [RecordRand],
// seeded by the spec seed, the record ID and the attack ID. Batches are cut
// from the records in ID order. So results.json is byte-identical for any
// worker count and any input order; it is also identical for any shard
// split or resume point when the model's outputs do not depend on the
// batch they are computed in (plugins/conformance checks this "batch
// invariance"); with BatchSize 1 it holds for any model. Wall-clock times
// are kept in Result.Timings, out of results.json.
//
// # Metrics
//
// Run-wide (see package spec for the names): records (records with at
// least one row), errored_fraction (errored rows / rows), clean_accuracy
// with its Wilson 95 % interval (over records with a clean prediction),
// and gradient_cosine_min, gradient_cosine_mean, gradient_fidelity_pass.
//
// Per pgd or sap attack, as "<id>_<name>": success_rate (successes /
// attacked, the paper's definition) with _ci_low and _ci_high, attacked,
// succeeded, robust_accuracy (adversarial label = true label, over
// evaluated records; records not attacked keep their clean label),
// errored_fraction, linf_uv_mean, linf_uv_max, l2_uv_mean, snr_db_mean,
// high_freq_fraction_mean and _median (energy above 40 Hz), queries_mean
// and budget_exhausted_fraction. Means are over attacked records.
//
// Per collate attack: collated (records whose base attack succeeded),
// gaussian_fraction, concat_fraction and uniform_fraction (adversarial
// probes / probes, pooled over records; the uniform band only over
// records with at least one adversarial resample, the others' band being
// a single signal), gaussian_any_fraction (records
// with at least one adversarial Gaussian resample / collated) and
// errored_fraction. A collate row's Success means at least one resample
// stayed adversarial; its Extra holds the per-record counts.
//
// Undefined rates (an empty denominator) are left out of the metrics,
// never written as NaN, so a criterion reading them is INCONCLUSIVE.
package engine
