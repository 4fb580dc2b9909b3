package verdict

import "testing"

var benchCriteria = []Criterion{
	{ID: "clean", Expr: "clean_accuracy >= 0.8"},
	{ID: "sap", Expr: "sap_success_rate_ci_high <= 5e-2"},
	{ID: "noise", Expr: "min(noise_accuracy_em_12, noise_accuracy_bw_12, noise_accuracy_ma_12) >= clean_accuracy - 0.05"},
}

var benchVars = []string{"clean_accuracy", "sap_success_rate_ci_high", "noise_accuracy_em_12", "noise_accuracy_bw_12", "noise_accuracy_ma_12"}

// BenchmarkCompile compiles three criteria against their variables.
func BenchmarkCompile(b *testing.B) {
	for b.Loop() {
		if _, err := Compile(benchCriteria, benchVars); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate evaluates three compiled criteria on a run's metrics.
func BenchmarkEvaluate(b *testing.B) {
	set, err := Compile(benchCriteria, benchVars)
	if err != nil {
		b.Fatal(err)
	}
	m := map[string]float64{"clean_accuracy": 0.85, "sap_success_rate_ci_high": 0.04, "noise_accuracy_em_12": 0.82,
		"noise_accuracy_bw_12": 0.83, "noise_accuracy_ma_12": 0.81}
	for b.Loop() {
		if rep := set.Evaluate(m, nil); rep.Outcome != Pass {
			b.Fatalf("outcome %s: %s", rep.Outcome, rep.Reason)
		}
	}
}
