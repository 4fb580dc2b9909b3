// Package verdict turns a run's aggregate metrics into PASS, FAIL or
// INCONCLUSIVE.
//
// Criteria are github.com/Knetic/govaluate expressions over metric names,
// compiled once by Compile against the list of variables the run will
// produce, so a syntax error, an unknown variable or an expression that is
// not true/false is caught before any work starts:
//
//	sap_success_rate <= 0.05
//	clean_accuracy >= 0.85 && pgd_success_rate_ci_high < 0.1
//	max(sap_success_rate, pgd_success_rate) < 1e-1
//
// govaluate is archived and has quirks this package hides: numbers in
// scientific notation (1e-3) are rewritten to decimals before parsing,
// every value is passed as float64, and a panic inside govaluate becomes
// an error. The functions min, max and abs are available.
//
// # Outcomes
//
// A criterion is INCONCLUSIVE when a metric it reads is missing, not a
// number, or marked unreliable by the caller (too many errored records, a
// failed gradient-fidelity check, a confidence interval wider than the
// spec allows); otherwise it is PASS or FAIL. The run is FAIL when any
// criterion of severity "error" fails, else INCONCLUSIVE when any such
// criterion is inconclusive, else PASS. Criteria of severity "warning"
// are reported but never change the run's outcome.
package verdict
