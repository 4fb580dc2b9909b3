package attack

import (
	"math/rand/v2"
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
