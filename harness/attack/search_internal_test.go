package attack

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestSearchSweep checks that a sweep proposes every window of a grid
// once, in [0, n−w], covering the span, before it proposes any again.
func TestSearchSweep(t *testing.T) {
	const n, w = 100, 16
	si := &searchItem{}
	it := Item{Rand: rand.New(rand.NewPCG(1, 2))}
	for round := range 3 {
		seen := map[int]bool{}
		covered := make([]bool, n)
		// A grid of step 16 at a random offset has 7 or 8 windows over
		// 100 samples, the end ones clamped into the span.
		for k := 0; k == 0 || si.slotsNext < len(si.slots); k++ {
			lo := si.sweep(it, w, n)
			if lo < 0 || lo > n-w || seen[lo] {
				t.Fatalf("round %d: window at %d (repeat %v); want a new one in [0, %d]", round, lo, seen[lo], n-w)
			}
			seen[lo] = true
			for k := lo; k < lo+w; k++ {
				covered[k] = true
			}
		}
		if len(si.slots) < 7 || len(si.slots) > 8 || len(seen) != len(si.slots) {
			t.Fatalf("round %d: grid of %d windows, %d distinct proposed; want 7 or 8, all", round, len(si.slots), len(seen))
		}
		for k, c := range covered {
			if !c {
				t.Fatalf("round %d: sample %d in no window", round, k)
			}
		}
	}
	// A new window size starts a new grid.
	if lo := si.sweep(it, 50, n); lo < 0 || lo > n-50 || si.slotsW != 50 || si.slotsNext != 1 {
		t.Errorf("after a size change: window at %d, size %d, %d proposed", lo, si.slotsW, si.slotsNext)
	}
}

// TestSearchHierarchy checks that with Hierarchy the window halves after
// each complete sweep of its grid, whatever the budget, and stays at the
// least window once there.
func TestSearchHierarchy(t *testing.T) {
	const n = 160
	s := Search{InitialFraction: 0.5, Sweep: true, Hierarchy: true}
	si := &searchItem{window: 16, s: make([]float64, n), sNext: make([]float64, n)}
	it := Item{Rand: rand.New(rand.NewPCG(5, 6))}
	var sizes, calls []int
	for q := range 200 {
		s.propose(si, it, int64(q), 1e6)
		if len(sizes) == 0 || sizes[len(sizes)-1] != si.slotsW {
			sizes, calls = append(sizes, si.slotsW), append(calls, 0)
		}
		calls[len(calls)-1]++
		copy(si.s, si.sNext)
	}
	if want := []int{80, 40, 20, 16}; !reflect.DeepEqual(sizes, want) {
		t.Fatalf("window sizes %v; want %v", sizes, want)
	}
	// A grid of step w at a random offset over 160 samples has ⌈160/w⌉
	// or one more windows.
	for k, w := range sizes[:3] {
		if g := (n + w - 1) / w; calls[k] != g && calls[k] != g+1 {
			t.Errorf("size %d proposed %d times; want a full grid, %d or %d", w, calls[k], g, g+1)
		}
	}
	// Without Hierarchy the schedule follows the budget: a million
	// queries in, 200 proposals all have the first size.
	si = &searchItem{window: 16, s: make([]float64, n), sNext: make([]float64, n)}
	s.Hierarchy = false
	for q := range 200 {
		s.propose(si, it, int64(q), 1e6)
		if si.slotsW != 80 {
			t.Fatalf("proposal %d without Hierarchy: window %d; want 80", q, si.slotsW)
		}
	}
}
