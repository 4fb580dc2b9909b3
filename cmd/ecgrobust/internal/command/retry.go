package command

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/host"
)

// giveUpAfter is the number of calls in a row that may find the plugin
// down (crashed or hung after their retries, or failing to restart) before
// it is given up for the rest of the run: every later call then fails at
// once, so the remaining records are errored quickly instead of
// restarting a broken plugin for each.
const giveUpAfter = 8

// maxHostRestarts lets the host restart a plugin for as long as retrying
// has not given up on it.
const maxHostRestarts = 1 << 30

// retrying retries a plugin call that crashed or hung the plugin process
// (host.ErrCrashed, host.ErrTimeout) up to retries times; the host
// restarts the process before each retry. A call that still fails returns
// its error, and the engine marks the records of that call errored with
// the reason. Other errors (an invalid answer, a rejected input) are not
// retried: the same input would fail the same way.
//
// Retries are not counted as queries, so results.json does not depend on
// whether a transient crash happened.
type retrying struct {
	clf     model.Classifier
	retries int
	log     *slog.Logger

	mu      sync.Mutex
	failing int   // calls in a row that failed after their retries
	gaveUp  error // set once failing reaches giveUpAfter
}

var (
	_ model.Classifier = (*retrying)(nil)
	_ model.Gradienter = (*retrying)(nil)
)

func newRetrying(clf model.Classifier, retries int, log *slog.Logger) *retrying {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &retrying{clf: clf, retries: max(retries, 0), log: log}
}

// Info implements model.Classifier.
func (r *retrying) Info() model.Info { return r.clf.Info() }

// Predict implements model.Classifier.
func (r *retrying) Predict(ctx context.Context, signals [][]float64) (out [][]float64, err error) {
	err = r.do(ctx, "predict", func() error {
		var e error
		out, e = r.clf.Predict(ctx, signals)
		return e
	})
	return out, err
}

// InputGradient implements model.Gradienter.
func (r *retrying) InputGradient(ctx context.Context, signals [][]float64, labels []int, loss model.Loss) (grads, scores [][]float64, err error) {
	g, ok := r.clf.(model.Gradienter)
	if !ok {
		return nil, nil, errors.New("model offers no input gradient")
	}
	err = r.do(ctx, "input gradient", func() error {
		var e error
		grads, scores, e = g.InputGradient(ctx, signals, labels, loss)
		return e
	})
	return grads, scores, err
}

// Close closes the wrapped classifier when it can be closed.
func (r *retrying) Close() error {
	if c, ok := r.clf.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

func retryable(err error) bool {
	return errors.Is(err, host.ErrCrashed) || errors.Is(err, host.ErrTimeout)
}

// pluginDown reports whether err says the plugin process is not serving
// (it crashed, hung, or failed to restart), as opposed to an answer about
// one input (invalid, rejected, failed) from a live plugin.
func pluginDown(err error) bool {
	for _, alive := range []error{host.ErrInvalidAnswer, host.ErrRejected, host.ErrFailed, host.ErrNoGradient} {
		if errors.Is(err, alive) {
			return false
		}
	}
	return true
}

func (r *retrying) do(ctx context.Context, op string, call func() error) error {
	r.mu.Lock()
	gaveUp := r.gaveUp
	r.mu.Unlock()
	if gaveUp != nil {
		return gaveUp
	}
	var err error
	for attempt := 0; ; attempt++ {
		err = call()
		if err == nil || ctx.Err() != nil || !retryable(err) {
			break
		}
		if attempt == r.retries {
			err = fmt.Errorf("%w (failed %d times; model.retries is %d)", err, attempt+1, r.retries)
			break
		}
		r.log.Warn("plugin call failed; retrying", "op", op, "attempt", attempt+1, "retries", r.retries, "err", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err == nil:
		r.failing = 0
	case ctx.Err() == nil && pluginDown(err):
		r.failing++
		if r.failing >= giveUpAfter && r.gaveUp == nil {
			r.gaveUp = fmt.Errorf("gave up on the plugin after %d failed calls in a row (last: %w)", r.failing, err)
			r.log.Error("giving up on the plugin for the rest of the run; remaining records are errored", "err", err)
		}
	}
	return err
}
