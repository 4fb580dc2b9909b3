package attack

// The tree of Search.Tree: the hierarchy with each window split into
// exact halves at the next level, and a half left untried when what was
// measured predicts that negating it loses.
//
// Every proposal negates the signs of one window, and negation adds up in
// the perturbation: negating both halves of a window is negating the
// window. So if D is what negating the whole window would gain from the
// current signs, and negating one half gained ΔA, negating the other now
// gains about D − ΔA (exactly so for a model linear in the input around
// the current signal). D is known from the window's own test at the level
// above: Δ if its negation was rejected (its signs are as they were), −Δ
// if it was kept (negating again undoes it). Either way D ≤ 0: at most one
// half is worth negating, and the second is tried only when D − ΔA > 0.
// Changes elsewhere since the parent's test make this a prediction, not a
// fact; it only decides what is not tried.

// treeNode is one window [lo, hi) of the span and what negating it from
// the current signs is expected to gain (once it or its sibling was
// tested).
type treeNode struct {
	lo, hi int
	d      float64
}

// treeTask is one test: a first-level window alone, or two sibling halves
// with their parent's expected gain.
type treeTask struct {
	a, b    treeNode
	paired  bool
	parentD float64
}

// searchTree is one item's tree state.
type searchTree struct {
	least  int        // windows shorter than 2·least are not split
	tasks  []treeTask // the level's tests, in the order they are run
	next   int        // the task under test
	second bool       // whether its b is under test
	done   []treeNode // the level's windows, with what was learnt
	last   bool       // no window of the level just done could be split
}

// newSearchTree lays the first level's windows of w samples on a grid at
// a random offset over n samples, in random order.
func newSearchTree(it Item, n, w, least int) *searchTree {
	t := &searchTree{least: least}
	for lo := it.Rand.IntN(w) - w + 1; lo < n; lo += w {
		t.tasks = append(t.tasks, treeTask{a: treeNode{lo: max(lo, 0), hi: min(lo+w, n)}})
	}
	shuffle(it, t.tasks)
	return t
}

// start sets the signs s of the span (which begins at sample off of the
// signal) to one random sign per first-level window, except where from
// (the Start perturbation, or nil) gives a sign.
func (t *searchTree) start(it Item, s, from []float64, off int) {
	for _, task := range t.tasks {
		v := float64(1 - 2*it.Rand.IntN(2))
		for k := task.a.lo; k < task.a.hi; k++ {
			if from == nil || from[off+k] == 0 {
				s[k] = v
			}
		}
	}
}

// finished reports whether the tree's last level is done.
func (t *searchTree) finished() bool { return t.last }

// window returns the window to negate next (not after finished).
func (t *searchTree) window() (lo, hi int) {
	task := t.tasks[t.next]
	if t.second {
		return task.b.lo, task.b.hi
	}
	return task.a.lo, task.a.hi
}

// result records what the last negation gained and whether it was kept.
func (t *searchTree) result(it Item, gain float64, kept bool) {
	task := &t.tasks[t.next]
	d := gain // what negating the window now gains: undoing it if kept
	if kept {
		d = -gain
	}
	switch {
	case t.second:
		task.b.d = d
		t.done = append(t.done, task.a, task.b)
		t.second = false
	case !task.paired:
		task.a.d = d
		t.done = append(t.done, task.a)
	default:
		task.a.d = d
		task.b.d = task.parentD - gain // the sibling's expected gain now
		if task.b.d > 0 {
			t.second = true
			return
		}
		t.done = append(t.done, task.a, task.b)
	}
	if t.next++; t.next == len(t.tasks) {
		t.nextLevel(it)
	}
}

// nextLevel splits every window of the level just done into halves, in
// random order, or marks the tree finished when none can be split.
func (t *searchTree) nextLevel(it Item) {
	t.tasks, t.next = t.tasks[:0], 0
	for _, n := range t.done {
		if n.hi-n.lo < 2*t.least {
			continue
		}
		mid := (n.lo + n.hi) / 2
		a, b := treeNode{lo: n.lo, hi: mid}, treeNode{lo: mid, hi: n.hi}
		if it.Rand.IntN(2) == 1 {
			a, b = b, a
		}
		t.tasks = append(t.tasks, treeTask{a: a, b: b, paired: true, parentD: n.d})
	}
	t.done = t.done[:0]
	t.last = len(t.tasks) == 0
	shuffle(it, t.tasks)
}
