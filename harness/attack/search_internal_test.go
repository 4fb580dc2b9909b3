package attack

import (
	"math"
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

// TestSearchTree drives the tree on an objective that adds up over the
// samples, f(s) = Σ g·s, where its predictions are exact: every second
// half it tries gains, no window it leaves untried would have, and once
// it is finished no window it does not split further gains by negation.
// It also checks the tree's shape and that it saves tests.
func TestSearchTree(t *testing.T) {
	const n, w0, least = 200, 40, 4
	it := Item{Rand: rand.New(rand.NewPCG(3, 4))}
	g := make([]float64, n)
	for k := range g {
		g[k] = it.Rand.NormFloat64()
	}
	gain := func(s []float64, lo, hi int) float64 { // of negating [lo, hi)
		var d float64
		for k := lo; k < hi; k++ {
			d -= 2 * g[k] * s[k]
		}
		return d
	}
	tr := newSearchTree(it, n, w0, least)
	s := make([]float64, n)
	tr.start(it, s, nil, 0)
	for _, task := range tr.tasks {
		for k := task.a.lo + 1; k < task.a.hi; k++ {
			if s[k] != s[task.a.lo] {
				t.Fatalf("start: window [%d, %d) not of one sign", task.a.lo, task.a.hi)
			}
		}
	}
	var nodes [][2]int
	tests := 0
	for !tr.finished() {
		if tests > 10*n {
			t.Fatal("the tree does not finish")
		}
		task, second := tr.tasks[tr.next], tr.second
		if task.paired && !second && (task.a.hi-task.a.lo)+(task.b.hi-task.b.lo) < 2*least {
			t.Fatalf("halves [%d, %d) and [%d, %d) of a window under %d samples", task.a.lo, task.a.hi, task.b.lo, task.b.hi, 2*least)
		}
		lo, hi := tr.window()
		if lo < 0 || hi > n || lo >= hi {
			t.Fatalf("window [%d, %d) outside [0, %d)", lo, hi, n)
		}
		d := gain(s, lo, hi)
		if second && !(d > 0) {
			t.Errorf("second half [%d, %d) tried but gains %v", lo, hi, d)
		}
		kept := d > 0
		if kept {
			for k := lo; k < hi; k++ {
				s[k] = -s[k]
			}
		}
		tests++
		tr.result(it, d, kept)
		if task.paired && !second && !tr.second {
			nodes = append(nodes, [2]int{task.a.lo, task.a.hi}, [2]int{task.b.lo, task.b.hi})
			if d := gain(s, task.b.lo, task.b.hi); d > 1e-9 {
				t.Errorf("half [%d, %d) left untried but gains %v", task.b.lo, task.b.hi, d)
			}
		} else if !task.paired {
			nodes = append(nodes, [2]int{task.a.lo, task.a.hi})
		} else if second {
			nodes = append(nodes, [2]int{task.a.lo, task.a.hi}, [2]int{task.b.lo, task.b.hi})
		}
	}
	leaves := 0
	for _, nd := range nodes {
		if nd[1]-nd[0] >= 2*least {
			continue
		}
		leaves++
		if d := gain(s, nd[0], nd[1]); d > 1e-9 {
			t.Errorf("finished, but negating leaf [%d, %d) gains %v", nd[0], nd[1], d)
		}
	}
	// 200 samples from windows of 40: about 5 + 10 + 20 + 40 windows of
	// 40, 20, 10 and 5 samples, the last ones leaves.
	if leaves < 40 || tests >= len(nodes) {
		t.Errorf("%d windows (%d leaves) for %d tests; want ≥ 40 leaves and fewer tests than windows", len(nodes), leaves, tests)
	}
	t.Logf("%d windows, %d leaves, %d tests", len(nodes), leaves, tests)
	// A span shorter than two least windows has only the first level:
	// one or two windows (the grid's offset is random) covering it.
	short := newSearchTree(it, 3, 3, least)
	in := make([]int, 3)
	for k := 0; !short.finished(); k++ {
		lo, hi := short.window()
		if k == 2 || lo < 0 || hi <= lo || hi > 3 {
			t.Fatalf("3-sample span: window %d is [%d, %d)", k, lo, hi)
		}
		for j := lo; j < hi; j++ {
			in[j]++
		}
		short.result(it, -1, false)
	}
	if !reflect.DeepEqual(in, []int{1, 1, 1}) {
		t.Errorf("3-sample span: windows per sample %v; want each sample in one", in)
	}
}

// TestSearchEdges drives the edge stage on an objective that adds up over
// the samples, f(s) = Σ g·s, with g of one sign in runs and the signs'
// boundaries all misplaced by two least windows: every pass first moves
// each boundary (both sides, a kept move pushed on at once), then tries
// a grid of windows; one pass puts every boundary in place, and the next
// finds nothing to gain.
func TestSearchEdges(t *testing.T) {
	const n, w = 240, 4
	it := Item{Rand: rand.New(rand.NewPCG(7, 8))}
	// g: runs of 40 samples, alternating in sign, sizes in (0.5, 1.5).
	g := make([]float64, n)
	for k := range g {
		g[k] = (0.5 + it.Rand.Float64()) * float64(1-2*(k/40%2))
	}
	s := make([]float64, n) // g's signs with each boundary 8 samples late
	for k := range s {
		s[k] = float64(1 - 2*(max(k-8, 0)/40%2))
	}
	f := func(s []float64) (v float64) {
		for k := range s {
			v += g[k] * s[k]
		}
		return v
	}
	e := newSearchEdges(it, s, w, w)
	if moves := 2 * 5; len(e.queue) < moves+n/w || e.queue[moves-1] < 0 || e.queue[moves] >= 0 {
		t.Fatalf("pass of %d: want the 10 moves of the 5 boundaries first, then a grid of ≥ %d windows", len(e.queue), n/w)
	}
	next := make([]float64, n)
	want := make([]float64, n)
	for k := range g {
		want[k] = math.Copysign(1, g[k])
	}
	passes, keptLater := 1, 0
	for q := range 2 * len(e.queue) {
		if e.next == len(e.queue) {
			if passes++; passes == 2 && !reflect.DeepEqual(s, want) {
				t.Fatalf("after the first pass (%d proposals) signs %v; want every boundary in place, %v", q, s, want)
			}
		}
		copy(next, s)
		e.propose(it, s, next)
		var changed []int
		for k := range s {
			if next[k] != s[k] {
				changed = append(changed, k)
			}
		}
		if len(changed) == 0 || len(changed) > w || changed[len(changed)-1]-changed[0] >= w {
			t.Fatalf("proposal %d changes samples %v; want 1 to %d adjacent ones", q, changed, w)
		}
		lo, hi := changed[0], changed[len(changed)-1]+1
		touches := (lo > 0 && s[lo-1] != s[lo]) || (hi < n && s[hi] != s[hi-1])
		if e.move >= 0 && !touches {
			t.Fatalf("proposal %d: a move of samples [%d, %d), touching no boundary", q, lo, hi)
		}
		kept := f(next) > f(s)
		if kept {
			copy(s, next)
			if passes > 1 {
				keptLater++
			}
		}
		e.result(kept)
	}
	if passes < 2 || keptLater > 0 {
		t.Errorf("%d passes, %d proposals kept after the first; want ≥ 2 and none", passes, keptLater)
	}
}
