package verdict

// Outcome is the verdict of a run or of one criterion.
type Outcome string

const (
	// Pass: every criterion holds.
	Pass Outcome = "PASS"
	// Fail: at least one criterion does not hold.
	Fail Outcome = "FAIL"
	// Inconclusive: a criterion could not be evaluated (too many errored
	// records, a failed gradient-fidelity check, a confidence interval wider
	// than the spec allows, a missing metric).
	Inconclusive Outcome = "INCONCLUSIVE"
)

// CriterionResult is the evaluation of one acceptance criterion.
type CriterionResult struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	Severity    string `json:"severity,omitempty"`
	// Expr is the criterion's expression as written in the spec.
	Expr string `json:"expr"`
	// Values are the metric values the expression read, by name.
	Values  map[string]float64 `json:"values"`
	Outcome Outcome            `json:"outcome"`
	// Reason explains a FAIL or INCONCLUSIVE outcome.
	Reason string `json:"reason,omitempty"`
}
