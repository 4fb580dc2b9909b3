package attack

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/model"
)

// ErrBudget is recorded for an item whose query budget cannot pay for the
// next call; the attack keeps the item's best state so far.
var ErrBudget = errors.New("attack: query budget exhausted")

// Item is one record to attack.
type Item struct {
	// Record is the input, in adu at the classifier's rate and gain.
	Record ecg.Record
	// Label is the index of the true class in the classifier's classes.
	Label int
	// Target is the index of the class a targeted attack aims for, or -1
	// for an untargeted attack.
	Target int
	// Rand is the item's own random source; attacks draw from nothing
	// else, so an item's outcome does not depend on its batch.
	Rand *rand.Rand
}

// Oracle gives an attack counted access to a classifier for a batch of
// items: every signal sent on behalf of an item is charged to that item,
// a per-item query budget is enforced, and a failing model call marks
// only the items whose signals fail (the batch is retried one signal at a
// time) instead of the whole batch. An Oracle is not safe for concurrent
// use.
type Oracle struct {
	clf    model.Classifier
	info   model.Info
	grad   Gradient
	items  []Item
	budget int64

	queries []int64
	errs    []error
	prior   [][]float64 // FiniteDifference momentum state per item
	fd      []fdState   // FiniteDifference pooling state per item
}

// fdState is one item's pooled finite-difference probes.
type fdState struct {
	sum    []float64 // decayed sum of per-pair contributions
	weight float64   // decayed number of pairs behind sum
	n      int       // estimates made
}

// estimates returns the number of finite-difference estimates made for
// item i.
func (o *Oracle) estimates(i int) int {
	if o.fd == nil {
		return 0
	}
	return o.fd[i].n
}

// pool adds the estimate g of q pairs (the mean of their contributions) to
// item i's pooled probes, older ones weighed down by decay, and returns
// the pooled mean (see FiniteDifference.Decay). A nil g only counts the
// estimate.
func (o *Oracle) pool(i int, g []float64, q, decay float64) []float64 {
	if o.fd == nil {
		o.fd = make([]fdState, len(o.items))
	}
	st := &o.fd[i]
	st.n++
	if g == nil {
		return nil
	}
	if st.sum == nil || len(st.sum) != len(g) {
		st.sum, st.weight = make([]float64, len(g)), 0
	}
	st.weight = decay*st.weight + q
	for t, v := range g {
		st.sum[t] = decay*st.sum[t] + q*v
		g[t] = st.sum[t] / st.weight
	}
	return g
}

// NewOracle returns an Oracle over items. grad is the gradient source
// (nil means WhiteBox); budget caps the signals sent per item (0: none).
func NewOracle(clf model.Classifier, grad Gradient, items []Item, budget int64) *Oracle {
	if grad == nil {
		grad = WhiteBox{}
	}
	return &Oracle{
		clf: clf, info: clf.Info(), grad: grad, items: items, budget: budget,
		queries: make([]int64, len(items)),
		errs:    make([]error, len(items)),
	}
}

// blend mixes the unit-norm estimate g into item i's running direction
// (see FiniteDifference.Momentum) and returns the new direction.
func (o *Oracle) blend(i int, g []float64, m float64) []float64 {
	if o.prior == nil {
		o.prior = make([][]float64, len(o.items))
	}
	var n float64
	for _, v := range g {
		n += v * v
	}
	if n > 0 {
		n = 1 / math.Sqrt(n)
		for t := range g {
			g[t] *= n
		}
	}
	prev := o.prior[i]
	if prev == nil || len(prev) != len(g) {
		o.prior[i] = append([]float64(nil), g...)
		return g
	}
	for t := range g {
		g[t] = m*prev[t] + (1-m)*g[t]
	}
	copy(prev, g)
	return g
}

// Info returns the classifier's Info.
func (o *Oracle) Info() model.Info { return o.info }

// Items returns the items of the batch.
func (o *Oracle) Items() []Item { return o.items }

// Queries returns the number of signals charged to item i.
func (o *Oracle) Queries(i int) int64 { return o.queries[i] }

// Err returns the error that stopped item i, or nil.
func (o *Oracle) Err(i int) error { return o.errs[i] }

// Fail marks item i as failed with err (the first error wins).
func (o *Oracle) Fail(i int, err error) {
	if o.errs[i] == nil {
		o.errs[i] = err
	}
}

// Alive returns the indices of items that have not failed.
func (o *Oracle) Alive(idx []int) []int {
	out := idx[:0:0]
	for _, i := range idx {
		if o.errs[i] == nil {
			out = append(out, i)
		}
	}
	return out
}

// afford reports whether item i can pay for n more signals, marking it
// with ErrBudget when it cannot.
func (o *Oracle) afford(i int, n int64) bool {
	if o.budget > 0 && o.queries[i]+n > o.budget {
		o.Fail(i, ErrBudget)
		return false
	}
	return true
}

// chunks splits n into the classifier's MaxBatch.
func (o *Oracle) chunk(n int) int {
	if o.info.MaxBatch > 0 && o.info.MaxBatch < n {
		return o.info.MaxBatch
	}
	return n
}

// Predict returns the scores of signals, signal k charged to item idx[k].
// Items that cannot afford a query, or whose signal fails, get a nil row
// and are marked failed. Only a context error is returned.
func (o *Oracle) Predict(ctx context.Context, idx []int, signals [][]float64) ([][]float64, error) {
	out := make([][]float64, len(signals))
	var send []int
	for k, i := range idx {
		if o.errs[i] == nil && o.afford(i, 1) {
			send = append(send, k)
		}
	}
	step := o.chunk(len(send))
	for lo := 0; lo < len(send); lo += step {
		part := send[lo:min(lo+step, len(send))]
		batch := make([][]float64, len(part))
		for j, k := range part {
			batch[j] = signals[k]
			o.queries[idx[k]]++
		}
		scores, err := o.clf.Predict(ctx, batch)
		if err == nil {
			err = o.checkScores(scores, len(batch))
		}
		if err == nil {
			for j, k := range part {
				out[k] = scores[j]
			}
			continue
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if len(part) == 1 {
			o.Fail(idx[part[0]], fmt.Errorf("predict: %w", err))
			continue
		}
		// Retry one by one so only the offending signals fail.
		for _, k := range part {
			i := idx[k]
			if o.errs[i] != nil || !o.afford(i, 1) {
				continue
			}
			o.queries[i]++
			s, err := o.clf.Predict(ctx, [][]float64{signals[k]})
			if err == nil {
				err = o.checkScores(s, 1)
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
				o.Fail(i, fmt.Errorf("predict: %w", err))
				continue
			}
			out[k] = s[0]
		}
	}
	return out, nil
}

// Gradient returns loss gradients and scores at signals from the
// Oracle's gradient source, row k for item idx[k] and label labels[k]. Rows
// of failed items are nil. Only a context error is returned.
func (o *Oracle) Gradient(ctx context.Context, idx []int, signals [][]float64, labels []int, loss model.Loss) (grads, scores [][]float64, err error) {
	return o.grad.gradients(ctx, o, idx, signals, labels, loss)
}

// checkScores rejects replies of the wrong shape or with NaN/Inf.
func (o *Oracle) checkScores(scores [][]float64, n int) error {
	if len(scores) != n {
		return fmt.Errorf("model returned %d score vectors for %d signals", len(scores), n)
	}
	for _, s := range scores {
		if len(s) != len(o.info.Classes) {
			return fmt.Errorf("model returned %d scores, want %d (one per class)", len(s), len(o.info.Classes))
		}
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("model returned a non-finite score %v", v)
			}
		}
	}
	return nil
}

func checkGrads(grads [][]float64, signals [][]float64) error {
	if len(grads) != len(signals) {
		return fmt.Errorf("model returned %d gradients for %d signals", len(grads), len(signals))
	}
	for k, g := range grads {
		if len(g) != len(signals[k]) {
			return fmt.Errorf("model returned a gradient of length %d for a signal of %d samples", len(g), len(signals[k]))
		}
		for _, v := range g {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("model returned a non-finite gradient %v", v)
			}
		}
	}
	return nil
}

// Loss evaluates loss for label y from a score vector of the given kind.
// For probabilities, log p stands in for the logits (softmax is shift
// invariant, so both losses agree); p is floored at 1e-300.
func Loss(scores []float64, kind model.ScoreKind, y int, loss model.Loss) float64 {
	logp := make([]float64, len(scores))
	if kind == model.Logits {
		copy(logp, scores)
	} else {
		for i, p := range scores {
			logp[i] = math.Log(math.Max(p, 1e-300))
		}
	}
	switch loss {
	case model.LogitMargin:
		best := math.Inf(-1)
		for j, z := range logp {
			if j != y {
				best = math.Max(best, z)
			}
		}
		return logp[y] - best
	default:
		m := math.Inf(-1)
		for _, z := range logp {
			m = math.Max(m, z)
		}
		var s float64
		for _, z := range logp {
			s += math.Exp(z - m)
		}
		return m + math.Log(s) - logp[y]
	}
}
