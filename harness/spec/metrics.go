package spec

import (
	"slices"
	"strconv"
	"strings"
)

// Metric names. The engine publishes a run's aggregates under these names
// (Result.Metrics); criteria read them as variables. Run-wide metrics are
// used bare; per-attack metrics are prefixed with the attack id and an
// underscore, e.g. "sap_untargeted_success_rate".
const (
	// Run-wide.
	MetricRecords              = "records"                // records in the run
	MetricErroredFraction      = "errored_fraction"       // errored (record, attack) pairs / all pairs
	MetricCleanAccuracy        = "clean_accuracy"         // correct clean predictions / records evaluated
	MetricCleanAccuracyCILow   = "clean_accuracy_ci_low"  // Wilson 95 % lower bound
	MetricCleanAccuracyCIHigh  = "clean_accuracy_ci_high" // Wilson 95 % upper bound
	MetricGradientCosineMin    = "gradient_cosine_min"    // gradient-fidelity check: least cosine
	MetricGradientCosineMean   = "gradient_cosine_mean"   // gradient-fidelity check: mean cosine
	MetricGradientFidelityPass = "gradient_fidelity_pass" // 1 when the check passed, else 0

	// Per gradient attack (pgd, sap).
	MetricSuccessRate       = "success_rate"              // successes / attacked (the paper's definition)
	MetricSuccessRateCILow  = "success_rate_ci_low"       // Wilson 95 % lower bound
	MetricSuccessRateCIHigh = "success_rate_ci_high"      // Wilson 95 % upper bound
	MetricRobustAccuracy    = "robust_accuracy"           // correct after attack / records evaluated
	MetricAttacked          = "attacked"                  // records correctly classified before the attack
	MetricAttackErrored     = "errored_fraction"          // errored records / records of this attack
	MetricLinfMeanUV        = "linf_uv_mean"              // mean L∞ of the perturbation, µV
	MetricL2MeanUV          = "l2_uv_mean"                // mean L2 of the perturbation, µV
	MetricSNRMeanDB         = "snr_db_mean"               // mean signal-to-perturbation ratio, dB
	MetricSucceeded         = "succeeded"                 // successful attacked records
	MetricLinfMaxUV         = "linf_uv_max"               // largest L∞ of a perturbation, µV
	MetricHighFreqMean      = "high_freq_fraction_mean"   // mean fraction of perturbation energy above 40 Hz
	MetricHighFreqMedian    = "high_freq_fraction_median" // median of the same (the paper's smoothness figure)
	MetricQueriesMean       = "queries_mean"              // mean signals sent to the model per record
	MetricBudgetExhausted   = "budget_exhausted_fraction" // attacked records whose query budget ran out

	// Per collate attack.
	MetricGaussianFraction = "gaussian_fraction" // resampled examples still adversarial
	// MetricGaussianAnyFraction is the fraction of collated records with
	// at least one adversarial resample (the paper's 87.6 % figure).
	MetricGaussianAnyFraction = "gaussian_any_fraction"
	MetricConcatFraction      = "concat_fraction"  // concatenated examples adversarial
	MetricUniformFraction     = "uniform_fraction" // uniform-band examples adversarial (records with an adversarial resample)
	MetricCollated            = "collated"         // successful adversarial examples collated

	// Per noise-stress attack; the per-condition accuracy is
	// "<id>_accuracy_<noise>_<snr>" (see NoiseMetric).
	MetricAccuracyMin     = "accuracy_min"      // least accuracy over every noise and SNR
	MetricAccuracyDropMax = "accuracy_drop_max" // clean accuracy minus accuracy_min
)

// AttackMetrics lists the unprefixed metric names an attack of type t
// produces (AttackSummary.Metrics), sorted. For noise-stress it includes
// the per-condition names of a's noise types and SNRs.
func AttackMetrics(a Attack) []string {
	var ms []string
	switch a.Type {
	case TypePGD, TypeSAP:
		ms = []string{MetricSuccessRate, MetricSuccessRateCILow, MetricSuccessRateCIHigh, MetricRobustAccuracy,
			MetricAttacked, MetricSucceeded, MetricAttackErrored, MetricLinfMeanUV, MetricLinfMaxUV, MetricL2MeanUV,
			MetricSNRMeanDB, MetricHighFreqMean, MetricHighFreqMedian, MetricQueriesMean, MetricBudgetExhausted}
	case TypeCollate:
		ms = []string{MetricGaussianFraction, MetricGaussianAnyFraction, MetricConcatFraction, MetricUniformFraction,
			MetricCollated, MetricAttackErrored}
	case TypeNoiseStress:
		ms = []string{MetricAccuracyMin, MetricAccuracyDropMax, MetricAttackErrored}
		for _, n := range a.Noise {
			for _, snr := range a.SNRdB {
				ms = append(ms, NoiseMetric(n, snr))
			}
		}
	}
	slices.Sort(ms)
	return ms
}

// NoiseMetric returns the unprefixed name of the accuracy under noise n at
// snr dB: "accuracy_em_24", "accuracy_ma_m6" for −6 dB, "accuracy_bw_1p5"
// for 1.5 dB (criteria variables cannot hold '-' or '.').
func NoiseMetric(noise string, snr float64) string {
	s := strconv.FormatFloat(snr, 'f', -1, 64)
	s = strings.ReplaceAll(strings.ReplaceAll(s, "-", "m"), ".", "p")
	return "accuracy_" + noise + "_" + s
}

// MetricName returns the name of an attack's metric in Result.Metrics.
func MetricName(attackID, metric string) string { return attackID + "_" + metric }

// Variables lists, sorted, every metric name a run of s produces: the
// names its criteria may use.
func (s *Spec) Variables() []string {
	vs := []string{MetricRecords, MetricErroredFraction, MetricCleanAccuracy, MetricCleanAccuracyCILow,
		MetricCleanAccuracyCIHigh}
	if s.GradientFidelity.Records > 0 {
		vs = append(vs, MetricGradientCosineMin, MetricGradientCosineMean, MetricGradientFidelityPass)
	}
	for _, a := range s.Attacks {
		for _, m := range AttackMetrics(a) {
			vs = append(vs, MetricName(a.ID, m))
		}
	}
	slices.Sort(vs)
	return slices.Compact(vs)
}
