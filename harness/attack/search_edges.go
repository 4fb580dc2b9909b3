package attack

import "slices"

// The last stage of Search.Edges, once the tree is done. The tree leaves
// the signs in runs; what is left to gain at the finest scale is mostly
// where the runs meet. Each pass proposes, in random order, moving every
// boundary between two runs by one step (Search.EdgeStep) to either
// side (the run on the other side grows), and pushes a kept move on by
// another step at once; then, in random order, the windows of a grid of
// the least window at a random offset, each set to one random sign (the
// other one when it has it already), as the hierarchy's last level does:
// inside a run this starts a new one, across a boundary it moves it by
// less than a window. A step finer than the least window places the
// boundaries more precisely (BENCHMARKS.md, "Finer boundaries").

// searchEdges is one item's state in that stage.
type searchEdges struct {
	w int // the step a boundary moves by, samples
	g int // the grid's window, samples
	// queue is the pass: c ≥ 0 moves boundary c/2 to the left (c even:
	// the run on its right grows) or to the right (c odd); c < 0 is the
	// grid window starting at −1−c.
	queue []int
	next  int // queue[next] is the next to propose
	move  int // the move under test, or −1
}

// newSearchEdges starts the stage on signs s with moves of w samples and
// grid windows of g.
func newSearchEdges(it Item, s []float64, w, g int) *searchEdges {
	e := &searchEdges{w: max(1, min(w, len(s))), g: max(1, min(g, len(s))), move: -1}
	e.pass(it, s)
	return e
}

// pass lays out the next pass over signs s: the moves of every boundary,
// both sides, then the grid, each in random order.
func (e *searchEdges) pass(it Item, s []float64) {
	e.queue, e.next = e.queue[:0], 0
	for b := 1; b < len(s); b++ {
		if s[b-1] != s[b] {
			e.queue = append(e.queue, 2*b, 2*b+1)
		}
	}
	moves := len(e.queue)
	e.queue = appendGrid(it, e.queue, e.g, len(s))
	for k := moves; k < len(e.queue); k++ {
		e.queue[k] = -1 - e.queue[k]
	}
	shuffle(it, e.queue[:moves])
	shuffle(it, e.queue[moves:])
}

// propose writes into next (a copy of the signs s) the next proposal.
func (e *searchEdges) propose(it Item, s, next []float64) {
	e.move = -1
	for {
		if e.next == len(e.queue) {
			e.pass(it, s)
		}
		c := e.queue[e.next]
		e.next++
		if c >= 0 {
			if e.proposeMove(c, s, next) {
				return
			}
			continue
		}
		setOneSign(it, s, next, -1-c, -1-c+e.g)
		return
	}
}

// proposeMove writes move c into next, or reports false when c's boundary
// has gone since the pass was laid out.
func (e *searchEdges) proposeMove(c int, s, next []float64) bool {
	b := c / 2
	if b <= 0 || b >= len(s) || s[b-1] == s[b] {
		return false
	}
	lo, hi, v := max(b-e.w, 0), b, s[b] // the right run grows
	if c%2 == 1 {
		lo, hi, v = b, min(b+e.w, len(s)), s[b-1] // the left run grows
	}
	for t := lo; t < hi; t++ {
		next[t] = v
	}
	e.move = c
	return true
}

// result records whether the last proposal was kept; a kept move is
// followed at once by the same move of the boundary where it now is.
func (e *searchEdges) result(kept bool) {
	if e.move < 0 || !kept {
		return
	}
	b, side := e.move/2, e.move%2
	if side == 0 {
		b -= e.w
	} else {
		b += e.w
	}
	if b <= 0 {
		return // proposeMove rejects one past the end
	}
	e.queue = slices.Insert(e.queue, e.next, 2*b+side)
}
