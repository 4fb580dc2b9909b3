package suggest

import "testing"

func TestDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"epsilon_uv", "epsilon_uv", 0},
		{"epsilon_vu", "epsilon_uv", 2},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
	}
	for _, tt := range tests {
		if got := Distance(tt.a, tt.b); got != tt.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	best, d := Closest("sap_sucess_rate", []string{"pgd_success_rate", "sap_success_rate", "clean_accuracy"})
	if best != "sap_success_rate" || d != 1 {
		t.Errorf("Closest = %q, %d; want %q, 1", best, d, "sap_success_rate")
	}
	if best, d := Closest("x", nil); best != "" || d != -1 {
		t.Errorf("Closest with no candidates = %q, %d; want \"\", -1", best, d)
	}
}
