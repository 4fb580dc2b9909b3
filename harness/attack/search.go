package attack

import (
	"context"
	"fmt"
	"math"

	"github.com/ecgrobust/ecgrobust/harness/model"
)

// Search is a black-box attack that needs no gradient, not even an
// estimated one: the random search of the Square attack (Andriushchenko
// et al. 2020, ECCV) in one dimension, inside the perturbation set of SAP
// (with a Smoother) or of PGD (without one).
//
// The perturbation is S(ε·s), s ∈ {−1, +1} on the recorded span: with S
// an average with non-negative weights summing to at most 1, it lies in
// SAP's set {S(θ) : |θ| ≤ ε}; without S it is a vertex of PGD's L∞ box.
// s starts as one random sign per MinWindow samples. Each iteration
// proposes setting one window, at a random position, to one random sign
// (the other sign if the window has it already), and keeps the proposal
// when it raises Loss of the true label (untargeted) or lowers the
// target's (targeted). The window covers a fraction p of the
// span: p starts at InitialFraction and is halved after 0.1, 0.5, 2, 5,
// 10, 20, 40, 60 and 80 % of the record's queries (the Square attack's
// schedule), never below MinWindow samples.
//
// With Sweep and Hierarchy the windows of each size are instead tried in
// turn on a grid, coarse to fine; with Tree that hierarchy is a binary
// tree of halves that skips the halves its measurements predict to lose
// (search_tree.go); with Edges the finest scale is searched at the
// boundaries between runs of one sign first (search_edges.go), and with
// EdgeMargin that stage is judged by the logit margin: the engine's
// setting.
//
// Every iteration is one Predict signal per item, batched across items;
// an item stops at its first success, or when its query budget (the
// Oracle's, or Queries when the Oracle has none) is spent. Draws come
// from each item's Rand.
type Search struct {
	// EpsilonUV is ε in µV (default 10).
	EpsilonUV float64
	// MinWindow is the smallest window in samples at 300 Hz (default 16),
	// scaled to each record's rate.
	MinWindow int
	// InitialFraction is the first windows' share of the span (default
	// 0.05).
	InitialFraction float64
	// Queries is the per-item number of queries when the Oracle has no
	// budget (default 5000).
	Queries int
	// Smoother is S; nil means none (PGD's set).
	Smoother *Smoother
	// Sweep proposes the windows of each size on a grid, each once in
	// random order before any again, instead of at independent random
	// positions.
	Sweep bool
	// Hierarchy (with Sweep) halves the window after each complete sweep
	// of its grid, down to MinWindow, instead of on the Square attack's
	// schedule of shares of the budget (SignHunter's order, Al-Dujaili
	// and O'Reilly 2020), so the schedule does not depend on the budget.
	Hierarchy bool
	// Tree (implying Sweep and Hierarchy) runs the hierarchy's levels as
	// a binary tree: each window is split into exact halves at the next
	// level, a proposal negates one window's signs, and the second half
	// of a window is left untried when its sibling's test and their
	// parent's predict that negating it loses (search_tree.go). The
	// search starts from one random sign per first-level window. Once the
	// tree's windows cannot be halved without falling under MinWindow,
	// the search sweeps windows of MinWindow on shifted grids, as
	// Hierarchy does at its last level.
	Tree bool
	// Edges (implying Tree) replaces those last sweeps by passes that
	// first move every boundary between runs of one sign by EdgeStep (a
	// kept move pushed on at once), then sweep a grid of MinWindow
	// (search_edges.go). The engine's setting.
	Edges bool
	// EdgeStep is the step by which that stage moves a boundary, in
	// samples at 300 Hz (default MinWindow), scaled to each record's rate.
	EdgeStep int
	// Start, when set, returns an item's starting perturbation (the
	// whole signal, in adu; nil for none): the search starts from its
	// signs, and from random ones where it is 0.
	Start func(it Item) []float64
	// Loss judges proposals (default CrossEntropy, as for the other
	// attacks, and the spec's default for a search; BENCHMARKS.md
	// compares it with LogitMargin).
	Loss model.Loss
	// EdgeMargin judges the edge stage's proposals by the logit margin
	// (the true class's logit against the highest other, or the
	// target's) instead of Loss: so close to the boundary, that is what
	// decides the label. The engine's setting (BENCHMARKS.md, "The last
	// stage's loss").
	EdgeMargin bool
}

// WithDefaults returns s with zero fields set to the defaults.
func (s Search) WithDefaults() Search {
	if s.EpsilonUV == 0 {
		s.EpsilonUV = 10
	}
	if s.MinWindow == 0 {
		s.MinWindow = 16
	}
	if s.EdgeStep == 0 {
		s.EdgeStep = s.MinWindow
	}
	if s.InitialFraction == 0 {
		s.InitialFraction = 0.05
	}
	if s.Queries == 0 {
		s.Queries = 5000
	}
	return s
}

// Validate reports nonsensical settings.
func (s Search) Validate() error {
	if !(s.EpsilonUV > 0) || s.MinWindow < 1 || s.EdgeStep < 1 || !(s.InitialFraction > 0 && s.InitialFraction <= 1) || s.Queries < 1 {
		return fmt.Errorf("attack: search needs ε > 0, a least window and an edge step ≥ 1 sample, an initial fraction in (0, 1] and ≥ 1 query; got ε %v µV, least window %d, edge step %d, fraction %v, queries %d",
			s.EpsilonUV, s.MinWindow, s.EdgeStep, s.InitialFraction, s.Queries)
	}
	return nil
}

// searchSchedule is the Square attack's: p halves after these thousandths
// of the queries.
var searchSchedule = []int64{1, 5, 20, 50, 100, 200, 400, 600, 800}

// searchItem is one item's state.
type searchItem struct {
	start, end int        // recorded span
	window     int        // least window, samples
	edgeStep   int        // the edge stage's step, samples
	eps        float64    // ε in adu
	s, sNext   []float64  // signs on the span: accepted and proposed
	theta      []float64  // ε·s on the whole signal (0 outside the span)
	next       []float64  // the proposed signal
	cur        []float64  // the accepted signal
	value      float64    // attacker's objective at cur (higher is better)
	loss       model.Loss // the loss value is of
	// Sweep state: window starts of the current size, in the order
	// they are proposed, and how many were proposed.
	slots     []int
	slotsW    int
	slotsNext int
	level     int          // Hierarchy: sweeps completed, the window's halvings
	tree      *searchTree  // Tree: the tree's state until its last level is done
	edges     *searchEdges // Edges: the stage after the tree
}

// Attack runs the search on every item of o.
func (s Search) Attack(ctx context.Context, o *Oracle) ([]Outcome, error) {
	s = s.WithDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.Edges {
		s.Tree = true
	}
	if s.Tree {
		s.Sweep, s.Hierarchy = true, true
	}
	tr := newTrack(o)
	total := o.budget
	if total <= 0 {
		total = int64(s.Queries)
	}
	st := make([]*searchItem, len(o.items))
	idx := make([]int, 0, len(o.items))
	signals := make([][]float64, 0, len(o.items))
	for i, it := range o.items {
		x := it.Record.Signal.Samples
		vs := it.Record.ValidSpan()
		w := perRate(s.MinWindow, it.Record.Signal.Rate)
		si := &searchItem{start: vs.Start, end: vs.End, window: w, edgeStep: perRate(s.EdgeStep, it.Record.Signal.Rate), eps: it.Record.Signal.ADU(s.EpsilonUV),
			s: make([]float64, vs.Len()), theta: make([]float64, len(x)), next: make([]float64, len(x)), cur: make([]float64, len(x))}
		var from []float64
		if s.Start != nil {
			if from = s.Start(it); from != nil && len(from) != len(x) {
				return nil, fmt.Errorf("attack: search: Start gave %d samples for record %s of %d", len(from), it.Record.ID, len(x))
			}
		}
		for t := range si.s {
			switch {
			case from != nil && from[vs.Start+t] != 0:
				si.s[t] = sign(from[vs.Start+t])
			case s.Tree: // the tree's start draws the others
			case t%w == 0 || (from != nil && from[vs.Start+t-1] != 0):
				si.s[t] = float64(1 - 2*it.Rand.IntN(2))
			default:
				si.s[t] = si.s[t-1]
			}
		}
		if s.Tree && len(si.s) > 0 {
			si.tree = newSearchTree(it, len(si.s), s.window(s.InitialFraction, len(si.s), w), w)
			si.tree.start(it, si.s, from, vs.Start)
		}
		si.sNext = append([]float64(nil), si.s...)
		s.signal(si, x, si.s)
		st[i] = si
		idx = append(idx, i)
		signals = append(signals, si.next)
	}
	for len(idx) > 0 {
		scores, err := o.Predict(ctx, idx, signals)
		if err != nil {
			return nil, err
		}
		for k, i := range idx {
			si, sc := st[i], scores[k]
			if sc == nil {
				continue // failed or out of budget: keeps its best state
			}
			loss := s.lossFor(si)
			if loss != si.loss && tr.steps[i] > 0 {
				// The edge stage begins: judge cur (whose scores tr.seen
				// keeps) as its proposals are.
				si.value, si.loss = objective(o.items[i], o.info.Scores, tr.seen[i], loss), loss
			}
			v := objective(o.items[i], o.info.Scores, sc, loss)
			won := succeeded(o.items[i], sc)
			// A success is kept even when the loss does not rank it
			// higher (cross-entropy can fall as the label flips).
			better := v > si.value || won
			if si.tree != nil && tr.steps[i] > 0 {
				si.tree.result(o.items[i], v-si.value, better)
			}
			if si.edges != nil {
				si.edges.result(better)
			}
			if tr.steps[i] == 0 || better {
				si.value, si.loss = v, loss
				si.s, si.sNext = si.sNext, si.s
				si.cur, si.next = si.next, si.cur
				tr.observe(i, si.cur, sc)
			}
			tr.steps[i]++
			if won {
				tr.done[i] = true
			}
		}
		idx, signals = idx[:0], signals[:0]
		for i := range o.items {
			if tr.done[i] || o.errs[i] != nil {
				continue
			}
			if o.queries[i] >= total {
				if o.budget <= 0 {
					tr.done[i] = true // Queries spent; no budget error to report
				} else {
					o.Fail(i, ErrBudget)
				}
				continue
			}
			s.propose(st[i], o.items[i], o.queries[i], total)
			s.signal(st[i], o.items[i].Record.Signal.Samples, st[i].sNext)
			idx = append(idx, i)
			signals = append(signals, st[i].next)
		}
	}
	return tr.finish(ctx, func(i int) []float64 { return st[i].cur })
}

// lossFor is the loss that judges si's proposals now.
func (s Search) lossFor(si *searchItem) model.Loss {
	if s.EdgeMargin && si.edges != nil {
		return model.LogitMargin
	}
	return s.Loss
}

// objective is the attacker's objective (higher is better) for it at
// scores of kind: the loss, ascended or descended as lossLabel says.
func objective(it Item, kind model.ScoreKind, scores []float64, loss model.Loss) float64 {
	label, dir := lossLabel(it, loss)
	return dir * Loss(scores, kind, label, loss)
}

// propose writes into si.sNext the accepted signs with one window set to
// one sign.
func (s Search) propose(si *searchItem, it Item, used, total int64) {
	copy(si.sNext, si.s)
	n := len(si.s)
	if n == 0 {
		return
	}
	if si.tree != nil && si.tree.finished() {
		// On to the edge stage, or to the hierarchy's last level:
		// windows of MinWindow.
		si.tree = nil
		if s.Edges {
			si.edges = newSearchEdges(it, si.s, si.edgeStep, si.window)
		} else {
			si.level = max(0, int(math.Ceil(math.Log2(s.InitialFraction*float64(n)/float64(si.window)))))
		}
	}
	if si.edges != nil {
		si.edges.propose(it, si.s, si.sNext)
		return
	}
	if si.tree != nil {
		lo, hi := si.tree.window()
		for t := lo; t < hi; t++ {
			si.sNext[t] = -si.s[t]
		}
		return
	}
	p := s.InitialFraction
	if s.Sweep && s.Hierarchy {
		p = math.Ldexp(p, -si.level)
	} else {
		for _, at := range searchSchedule {
			if used > at*total/1000 {
				p /= 2
			}
		}
	}
	w := s.window(p, n, si.window)
	var lo int
	if s.Sweep {
		lo = si.sweep(it, w, n)
		if s.Hierarchy && si.slotsNext == len(si.slots) && w > si.window {
			si.level++
		}
	} else {
		lo = it.Rand.IntN(n - w + 1)
	}
	setOneSign(it, si.s, si.sNext, lo, lo+w)
}

// setOneSign sets next[lo:hi] to one random sign, the other one when s
// has it there already.
func setOneSign(it Item, s, next []float64, lo, hi int) {
	v := float64(1 - 2*it.Rand.IntN(2))
	same := true
	for _, x := range s[lo:hi] {
		same = same && x == v
	}
	if same {
		v = -v
	}
	for t := lo; t < hi; t++ {
		next[t] = v
	}
}

// perRate scales a window of w samples at 300 Hz to rate, never below 1.
func perRate(w int, rate float64) int {
	return max(1, int(math.Round(float64(w)*rate/300)))
}

// window is the size of windows covering a share p of n samples, never
// below least nor above n.
func (Search) window(p float64, n, least int) int {
	return min(n, max(least, int(p*float64(n))))
}

// sweep returns the next window start of size w: the windows of a grid
// of step w at a random offset, in random order, each once before the
// grid is drawn again.
func (si *searchItem) sweep(it Item, w, n int) int {
	if si.slotsW != w || si.slotsNext == len(si.slots) {
		si.slots, si.slotsW, si.slotsNext = appendGrid(it, si.slots[:0], w, n), w, 0
		shuffle(it, si.slots)
	}
	si.slotsNext++
	return si.slots[si.slotsNext-1]
}

// shuffle puts q in random order, drawn from the item's stream.
func shuffle[T any](it Item, q []T) {
	it.Rand.Shuffle(len(q), func(a, b int) { q[a], q[b] = q[b], q[a] })
}

// appendGrid appends to dst the starts of the windows of w samples on a
// grid of step w at a random offset over n samples, the end ones clamped
// into [0, n−w].
func appendGrid(it Item, dst []int, w, n int) []int {
	for lo := it.Rand.IntN(w) - w + 1; lo < n; lo += w {
		dst = append(dst, min(max(lo, 0), n-w))
	}
	return dst
}

// signal writes x + S(ε·signs) on the span (x elsewhere) into si.next.
func (s Search) signal(si *searchItem, x, signs []float64) {
	for t, v := range signs {
		si.theta[si.start+t] = si.eps * v
	}
	d := si.theta
	if s.Smoother != nil {
		d = s.Smoother.Apply(si.next, si.theta) // si.next as scratch
	}
	copy(si.next[:si.start], x[:si.start])
	copy(si.next[si.end:], x[si.end:])
	for t := si.start; t < si.end; t++ {
		si.next[t] = x[t] + d[t]
	}
}
