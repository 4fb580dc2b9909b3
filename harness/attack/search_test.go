package attack_test

import (
	"math"
	"reflect"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/model/modeltest"
)

func TestSearch(t *testing.T) {
	for _, loss := range []model.Loss{model.CrossEntropy, model.LogitMargin} {
		t.Run(loss.String(), func(t *testing.T) { testSearch(t, loss) })
	}
}

func testSearch(t *testing.T, loss model.Loss) {
	const budget = 400
	s := attack.Search{Smoother: attack.DefaultSmoother(300), Loss: loss}
	clf := model.NewCounting(blackBox{modeltest.Analytic{}})
	out := run(t, s, clf, nil, items(t, 8, 3), budget)
	checkBounds(t, items(t, 8, 3), out, 10)
	var sum int64
	for i, o := range out {
		sum += o.Queries
		if o.Queries > budget {
			t.Errorf("item %d: %d queries over the budget %d", i, o.Queries, budget)
		}
		if o.Success == o.Exhausted {
			t.Errorf("item %d: success %v and exhausted %v (error %v, %d queries): the search stops at success or at the budget", i, o.Success, o.Exhausted, o.Err, o.Queries)
		}
		if o.Success && o.Queries != int64(o.Steps) {
			t.Errorf("item %d: %d queries for %d iterations; the search spends one per iteration", i, o.Queries, o.Steps)
		}
	}
	if sum != clf.Queries() {
		t.Errorf("outcomes count %d queries, the model saw %d", sum, clf.Queries())
	}
	if n := successes(out); n < 4 {
		t.Errorf("the search flipped %d of 8 items within %d queries; want ≥ 4", n, budget)
	}
	again := run(t, s, modeltest.Analytic{}, nil, items(t, 8, 3), budget)
	if !reflect.DeepEqual(out, again) {
		t.Error("two runs with the same seeds differ")
	}
	// With S the perturbation S(ε·s) is smooth; without, ε·s jumps by 2ε
	// at every sign change.
	raw := run(t, attack.Search{Loss: loss}, modeltest.Analytic{}, nil, items(t, 8, 3), budget)
	it := items(t, 8, 3)
	if r, rs := roughness(it[0].Record.Signal.Samples, raw[0].Adversarial), roughness(it[0].Record.Signal.Samples, out[0].Adversarial); !(rs < r/4) {
		t.Errorf("smoothed search roughness %v not well below the unsmoothed %v", rs, r)
	}
}

func TestSearchTargeted(t *testing.T) {
	it := items(t, 6, 4)
	for i := range it {
		it[i].Target = (it[i].Label + 1) % 4 // the analytic model has the 4 CinC classes
	}
	for _, loss := range []model.Loss{model.CrossEntropy, model.LogitMargin} {
		out := run(t, attack.Search{Smoother: attack.DefaultSmoother(300), Loss: loss}, modeltest.Analytic{}, nil, it, 400)
		for i, o := range out {
			if o.Success && o.Label != it[i].Target {
				t.Errorf("%v: item %d: success with label %d, target %d", loss, i, o.Label, it[i].Target)
			}
		}
		if successes(out) == 0 {
			t.Errorf("%v: the targeted search reached no target", loss)
		}
	}
}

func TestSearchValidate(t *testing.T) {
	for _, s := range []attack.Search{{EpsilonUV: -1}, {InitialFraction: 2}, {MinWindow: -3}, {EdgeStep: -1}} {
		if _, err := s.Attack(t.Context(), attack.NewOracle(modeltest.Analytic{}, nil, items(t, 1, 1), 0)); err == nil {
			t.Errorf("%+v: no error", s)
		}
	}
}

// TestSearchStart checks that the search starts from the signs Start
// gives, with and without Tree: with one query, the outcome is
// x + S(ε·sign(start)) on the span.
func TestSearchStart(t *testing.T) {
	it := items(t, 2, 5)
	sm := attack.DefaultSmoother(300)
	start := func(i attack.Item) []float64 {
		d := make([]float64, len(i.Record.Signal.Samples))
		for k := range d {
			d[k] = 0.5 // any positive value: sign +1
		}
		return d
	}
	for _, tree := range []bool{false, true} {
		checkStart(t, it, run(t, attack.Search{Smoother: sm, Start: start, Tree: tree}, modeltest.Analytic{}, nil, it, 1))
	}
	short := func(attack.Item) []float64 { return make([]float64, 10) }
	if _, err := (attack.Search{Start: short}).Attack(t.Context(), attack.NewOracle(modeltest.Analytic{}, nil, it, 5)); err == nil {
		t.Error("a Start of the wrong length: no error")
	}
}

// checkStart checks that each outcome is x + S(ε·1) on the span.
func checkStart(t *testing.T, it []attack.Item, out []attack.Outcome) {
	t.Helper()
	sm := attack.DefaultSmoother(300)
	for i, o := range out {
		x := it[i].Record.Signal.Samples
		vs := it[i].Record.ValidSpan()
		theta := make([]float64, len(x))
		for k := vs.Start; k < vs.End; k++ {
			theta[k] = it[i].Record.Signal.ADU(10)
		}
		d := sm.Apply(nil, theta)
		if o.Queries != 1 || o.Adversarial == nil {
			t.Fatalf("item %d: %d queries, adversarial %v; want 1 and the start", i, o.Queries, o.Adversarial != nil)
		}
		for k := vs.Start; k < vs.End; k++ {
			if math.Abs(o.Adversarial[k]-x[k]-d[k]) > 1e-9 {
				t.Fatalf("item %d sample %d: perturbation %v, want S(ε·1) = %v", i, k, o.Adversarial[k]-x[k], d[k])
			}
		}
	}
}

// TestSearchTreeSaves checks Search.Tree and Search.Edges through the
// Oracle: within the budget and ε, every query counted, deterministic;
// and on the analytic model, over five seeds of ten items, the tree
// flips as many items as the plain hierarchy with fewer queries.
func TestSearchTreeSaves(t *testing.T) {
	const budget = 1000
	it := func(seed uint64) []attack.Item { return items(t, 10, seed) }
	base := attack.Search{Smoother: attack.DefaultSmoother(300), Loss: model.LogitMargin, InitialFraction: 0.2, MinWindow: 4, Sweep: true, Hierarchy: true}
	tree, edges := base, base
	tree.Tree, edges.Edges = true, true
	fine := edges
	fine.EdgeStep = 2
	queries := func(out []attack.Outcome, budget int64) (q int64) {
		for i, o := range out {
			if o.Queries > budget {
				t.Errorf("item %d: %d queries over the budget %d", i, o.Queries, budget)
			}
			q += o.Queries
		}
		return q
	}
	// At 1,500 queries two items reach the edge stage (their trees take
	// 389 and 679 queries).
	var outs [][]attack.Outcome
	for _, c := range []struct {
		name   string
		s      attack.Search
		budget int64
	}{{"tree", tree, budget}, {"edges", edges, 1500}, {"edges with 2-sample moves", fine, 1500}} {
		clf := model.NewCounting(blackBox{modeltest.Analytic{}})
		out := run(t, c.s, clf, nil, it(6), c.budget)
		checkBounds(t, it(6), out, 10)
		if q := queries(out, c.budget); q != clf.Queries() {
			t.Errorf("%s: outcomes count %d queries, the model saw %d", c.name, q, clf.Queries())
		}
		if !reflect.DeepEqual(out, run(t, c.s, modeltest.Analytic{}, nil, it(6), c.budget)) {
			t.Errorf("%s: two runs with the same seeds differ", c.name)
		}
		outs = append(outs, out)
	}
	if reflect.DeepEqual(outs[1], outs[2]) {
		t.Error("moves of 4 and 2 samples: the same outcomes; want EdgeStep to change the edge stage")
	}
	var ns, np, qs, qp int64
	for seed := range uint64(5) {
		out, plain := run(t, tree, modeltest.Analytic{}, nil, it(seed+1), budget), run(t, base, modeltest.Analytic{}, nil, it(seed+1), budget)
		ns, np = ns+int64(successes(out)), np+int64(successes(plain))
		qs, qp = qs+queries(out, budget), qp+queries(plain, budget)
	}
	if ns < np || qs >= qp {
		t.Errorf("tree: %d flipped with %d queries; hierarchy: %d with %d; want as many flipped with fewer queries", ns, qs, np, qp)
	}
	t.Logf("tree: %d flipped with %d queries; hierarchy: %d with %d", ns, qs, np, qp)
}

// TestSearchEdgeMargin checks Search.EdgeMargin: the edge stage keeps
// what lowers the logit margin; it changes nothing before that stage, nor
// when Loss is the margin already; the search stays within the budget and
// ε, counts every query and is deterministic.
func TestSearchEdgeMargin(t *testing.T) {
	it := func() []attack.Item { return items(t, 10, 6) }
	ce := attack.Search{Smoother: attack.DefaultSmoother(300), InitialFraction: 0.2, MinWindow: 4, Edges: true, EdgeStep: 2}
	ceM := ce
	ceM.EdgeMargin = true
	clf := model.NewCounting(blackBox{modeltest.Analytic{}})
	out := run(t, ceM, clf, nil, it(), 1500)
	checkBounds(t, it(), out, 10)
	var q int64
	for i, o := range out {
		if o.Queries > 1500 {
			t.Errorf("item %d: %d queries over the budget 1500", i, o.Queries)
		}
		q += o.Queries
	}
	if q != clf.Queries() {
		t.Errorf("outcomes count %d queries, the model saw %d", q, clf.Queries())
	}
	if !reflect.DeepEqual(out, run(t, ceM, modeltest.Analytic{}, nil, it(), 1500)) {
		t.Error("two runs with the same seeds differ")
	}
	// The one item left unflipped at 700 queries is in its edge stage
	// from then on. Its schedule does not depend on the budget, so a run
	// to a larger budget continues a run to a smaller: judged by the
	// margin, its margin can only fall, and falls faster than judged by
	// cross-entropy (to 0.042 at 1,500 queries, against 0.125).
	kind := modeltest.Analytic{}.Info().Scores
	margin := func(s attack.Search, budget int64) (float64, bool) {
		o := run(t, s, modeltest.Analytic{}, nil, it(), budget)[9]
		return attack.Loss(o.Scores, kind, it()[9].Label, model.LogitMargin), o.Success
	}
	last, _ := margin(ceM, 700)
	for _, b := range []int64{800, 1000, 1500} {
		m, won := margin(ceM, b)
		if won || !(m <= last) {
			t.Errorf("item 9 at %d queries: success %v, margin %.4f; want no success, and a margin no higher than %.4f, at fewer queries", b, won, m, last)
		}
		last = m
	}
	if m, _ := margin(ce, 1500); !(last < m-0.01) {
		t.Errorf("item 9 at 1,500 queries: margin %.4f with EdgeMargin, %.4f without; want it lower with", last, m)
	}
	// No item's tree ends within 700 queries (the first outcome to
	// change with EdgeMargin does so at 720): before that, it changes
	// nothing.
	if !reflect.DeepEqual(run(t, ceM, modeltest.Analytic{}, nil, it(), 700), run(t, ce, modeltest.Analytic{}, nil, it(), 700)) {
		t.Error("EdgeMargin changed the outcomes at 700 queries, before any item's edge stage")
	}
	m, mM := ce, ceM
	m.Loss, mM.Loss = model.LogitMargin, model.LogitMargin
	if !reflect.DeepEqual(run(t, m, modeltest.Analytic{}, nil, it(), 1500), run(t, mM, modeltest.Analytic{}, nil, it(), 1500)) {
		t.Error("with Loss the logit margin, EdgeMargin changed the outcomes")
	}
}
