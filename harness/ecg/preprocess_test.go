package ecg

import (
	"math/rand/v2"
	"testing"
)

func ramp(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = float64(i + 1)
	}
	return s
}

func TestFit(t *testing.T) {
	for _, tc := range []struct {
		have, n    int
		start, end int
	}{
		{9000, 18000, 4500, 13500},
		{9001, 18000, 4499, 13500}, // pad 8999: floor(8999/2) = 4499 left
		{18000, 18000, 0, 18000},
		{18300, 18000, 0, 18000}, // first 18,000 kept
		{0, 4, 2, 2},
	} {
		r := Record{ID: "x", Label: "A", Signal: Signal{Samples: ramp(tc.have), Rate: 300, Gain: 1000}}
		got := Fit(r, tc.n)
		if len(got.Signal.Samples) != tc.n || got.Valid != (Span{tc.start, tc.end}) {
			t.Fatalf("Fit(%d→%d): %d samples, valid %v; want valid [%d,%d)", tc.have, tc.n, len(got.Signal.Samples), got.Valid, tc.start, tc.end)
		}
		for i, v := range got.Signal.Samples {
			want := 0.0
			if i >= tc.start && i < tc.end {
				want = float64(i - tc.start + 1)
			}
			if v != want {
				t.Fatalf("Fit(%d→%d): sample %d = %v, want %v", tc.have, tc.n, i, v, want)
			}
		}
		if got.ID != "x" || got.Label != "A" || got.Signal.Rate != 300 || got.Signal.Gain != 1000 {
			t.Errorf("Fit lost metadata: %+v", got)
		}
		if tc.have > 0 && r.Signal.Samples[0] != 1 {
			t.Error("Fit modified its input")
		}
	}
	// A padded record is refitted from its valid part only.
	p := Han2020(Record{Signal: Signal{Samples: ramp(100)}})
	q := Fit(p, 10)
	if q.Valid != (Span{0, 10}) || q.Signal.Samples[0] != 1 {
		t.Errorf("refit of padded record: valid %v, first %v", q.Valid, q.Signal.Samples[0])
	}
}

func TestStratifyErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	labels := []string{"N", "A", "N", "O", "N"}
	idx, err := Stratify(labels, nil, 1, rng)
	if err != nil || len(idx) != 3 || labels[idx[0]]+labels[idx[1]]+labels[idx[2]] == "" || !(idx[0] < idx[1] && idx[1] < idx[2]) || countOf(labels, idx, "N") != 1 || countOf(labels, idx, "A") != 1 {
		t.Errorf("Stratify(nil classes) = %v, %v", idx, err)
	}
	if _, err := Stratify(labels, []string{"N", "N"}, 1, rng); err == nil {
		t.Error("duplicate class accepted")
	}
	if _, err := Stratify(labels, []string{"A"}, 2, rng); err == nil {
		t.Error("over-draw accepted")
	}
	if _, err := Stratify(labels, nil, 1, nil); err == nil {
		t.Error("nil rng accepted")
	}
}

func countOf(labels []string, idx []int, c string) int {
	n := 0
	for _, i := range idx {
		if labels[i] == c {
			n++
		}
	}
	return n
}
