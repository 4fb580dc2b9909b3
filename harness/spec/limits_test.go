package spec

import (
	"strings"
	"testing"
)

func TestUnreliable(t *testing.T) {
	s, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s.Limits.MaxCIWidth = 0.2
	s.Limits.MinAttacked = 10
	s.GradientFidelity.Records = 3
	s.Attacks[2].Gradient = GradientFiniteDifference
	tests := []struct {
		name    string
		metrics map[string]float64
		want    map[string]string // metric → substring of the reason; others must be absent
	}{
		{"clean run", map[string]float64{"errored_fraction": 0, "sap_errored_fraction": 0.05, "sap_success_rate_ci_low": 0.1,
			"sap_success_rate_ci_high": 0.25, "sap_attacked": 10, "gradient_fidelity_pass": 1}, nil},
		{"attack errored", map[string]float64{"sap_errored_fraction": 0.06},
			map[string]string{"sap_success_rate": "6.0% of attack sap's records errored", "sap_linf_uv_mean": "errored"}},
		{"run errored", map[string]float64{"errored_fraction": 0.5},
			map[string]string{"clean_accuracy": "50.0% of the run's records errored", "records": "errored"}},
		{"wide ci", map[string]float64{"pgd_success_rate_ci_low": 0.1, "pgd_success_rate_ci_high": 0.4},
			map[string]string{"pgd_success_rate": "0.300 wide, wider than the 0.200"}},
		{"few attacked", map[string]float64{"sap_attacked": 3},
			map[string]string{"sap_success_rate": "attacked 3 records, fewer than the 10"}},
		{"fidelity failed", map[string]float64{"gradient_fidelity_pass": 0, "gradient_cosine_min": 0.2},
			map[string]string{"pgd_success_rate": "least cosine 0.200", "pgd_success_rate_ci_high": "fidelity",
				"sap_success_rate": "fidelity", "sap_linf_uv_mean": "fidelity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Unreliable(tt.metrics)
			for m, sub := range tt.want {
				if !strings.Contains(got[m], sub) {
					t.Errorf("Unreliable[%s] = %q, want it to contain %q", m, got[m], sub)
				}
			}
			for _, m := range []string{"clean_accuracy", "pgd_success_rate", "pgd_success_rate_ci_high", "sap_success_rate", "sap_linf_uv_mean"} {
				if _, want := tt.want[m]; !want && got[m] != "" {
					t.Errorf("unexpected Unreliable[%s] = %q", m, got[m])
				}
			}
			if tt.want == nil && len(got) > 0 {
				t.Errorf("Unreliable = %v, want none", got)
			}
		})
	}
	// Black-box attacks are not tainted by a failed fidelity check.
	for _, g := range []string{GradientFiniteDifference, GradientSearch} {
		s.Attacks[2].Gradient = g
		got := s.Unreliable(map[string]float64{"gradient_fidelity_pass": 0})
		if _, ok := got["sap_targeted_success_rate"]; ok {
			t.Errorf("%s attack tainted by the fidelity check: %q", g, got["sap_targeted_success_rate"])
		}
		if _, ok := got["sap_success_rate"]; !ok {
			t.Errorf("with a %s attack beside it, the auto-gradient sap is not tainted by the failed fidelity check", g)
		}
	}
}
