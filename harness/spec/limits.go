package spec

import (
	"fmt"
	"math"
	"strings"
)

// Unreliable applies the spec's Limits and gradient-fidelity policy to a
// run's metrics (named as Variables lists them) and returns, for each
// metric that cannot be trusted, the reason. A criterion that reads such
// a metric is INCONCLUSIVE (see verdict.Set.Evaluate).
//
//   - An attack whose <id>_errored_fraction exceeds max_errored_fraction
//     taints all its metrics; a run-wide errored_fraction above it taints
//     the run-wide metrics.
//   - A gradient attack whose success-rate interval
//     (<id>_success_rate_ci_high − <id>_success_rate_ci_low) is wider than
//     max_ci_width taints its point estimate <id>_success_rate; criteria
//     on the interval's bounds already account for the sample size and
//     stay decidable.
//   - A gradient attack that attacked fewer than min_attacked records
//     taints its success rate and both bounds.
//   - When the gradient-fidelity check ran, failed
//     (gradient_fidelity_pass = 0) and on_failure is inconclusive, every
//     metric of a gradient attack that may use the model's gradient
//     (gradient auto or plugin) is tainted.
//
// Unreliable does not modify metrics.
func (s *Spec) Unreliable(metrics map[string]float64) map[string]string {
	out := map[string]string{}
	taint := func(names []string, why string) {
		for _, n := range names {
			if prev, ok := out[n]; ok && !strings.Contains(prev, why) {
				out[n] = prev + "; " + why
			} else if !ok {
				out[n] = why
			}
		}
	}
	lim := s.Limits
	if ef, ok := metrics[MetricErroredFraction]; ok && ef > lim.MaxErroredFraction {
		taint([]string{MetricRecords, MetricCleanAccuracy, MetricCleanAccuracyCILow, MetricCleanAccuracyCIHigh},
			fmt.Sprintf("%.1f%% of the run's records errored, more than the %.1f%% allowed (limits.max_errored_fraction)",
				100*ef, 100*lim.MaxErroredFraction))
	}
	fidelityFailed := s.GradientFidelity.Records > 0 && s.GradientFidelity.OnFailure == OnFailureInconclusive
	if fidelityFailed {
		pass, ok := metrics[MetricGradientFidelityPass]
		fidelityFailed = ok && pass == 0
	}
	for _, a := range s.Attacks {
		names := AttackMetrics(a)
		full := make([]string, len(names))
		for i, m := range names {
			full[i] = MetricName(a.ID, m)
		}
		if ef, ok := metrics[MetricName(a.ID, MetricAttackErrored)]; ok && ef > lim.MaxErroredFraction {
			taint(full, fmt.Sprintf("%.1f%% of attack %s's records errored, more than the %.1f%% allowed (limits.max_errored_fraction)",
				100*ef, a.ID, 100*lim.MaxErroredFraction))
		}
		if a.Type != TypePGD && a.Type != TypeSAP {
			continue
		}
		rates := []string{MetricName(a.ID, MetricSuccessRate), MetricName(a.ID, MetricSuccessRateCILow),
			MetricName(a.ID, MetricSuccessRateCIHigh), MetricName(a.ID, MetricRobustAccuracy)}
		lo, okLo := metrics[rates[1]]
		hi, okHi := metrics[rates[2]]
		if lim.MaxCIWidth > 0 && okLo && okHi && !math.IsNaN(hi-lo) && hi-lo > lim.MaxCIWidth {
			taint(rates[:1], fmt.Sprintf("the 95%% interval of %s's success rate is %.3f wide, wider than the %.3f allowed (limits.max_ci_width)",
				a.ID, hi-lo, lim.MaxCIWidth))
		}
		if n, ok := metrics[MetricName(a.ID, MetricAttacked)]; ok && lim.MinAttacked > 0 && n < float64(lim.MinAttacked) {
			taint(rates[:3], fmt.Sprintf("attack %s attacked %d records, fewer than the %d required (limits.min_attacked)",
				a.ID, int(n), lim.MinAttacked))
		}
		if fidelityFailed && (a.Gradient == GradientAuto || a.Gradient == GradientPlugin) {
			taint(full, fmt.Sprintf("the model's gradients failed the fidelity check (least cosine %.3f, at least %.3f required)",
				metrics[MetricGradientCosineMin], s.GradientFidelity.MinCosine))
		}
	}
	return out
}
