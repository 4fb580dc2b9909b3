package host

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ecgrobust/ecgrobust/harness/model"
)

// Pool runs several instances of one plugin for parallel work. It
// implements model.Classifier and model.Gradienter: a call takes a free
// instance, and a batch of several signals is split across all instances
// and run in parallel (classifiers must be batch-invariant, which
// `ecgrobust plugin check` verifies).
type Pool struct {
	plugins []*Plugin
	free    chan *Plugin
}

var (
	_ model.Classifier = (*Pool)(nil)
	_ model.Gradienter = (*Pool)(nil)
)

// OpenPool starts n instances of the plugin cfg describes, each with its
// own process, named Name#1…Name#n in logs. On error it stops those
// already started.
func OpenPool(ctx context.Context, cfg Config, n int) (*Pool, error) {
	if n < 1 {
		return nil, fmt.Errorf("host: pool of %d instances, want at least 1", n)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	base, log := cfg.Name, cfg.Logger
	pool := &Pool{free: make(chan *Plugin, n)}
	for i := range n {
		c := cfg
		if n > 1 {
			c.Name = fmt.Sprintf("%s#%d", base, i+1)
		}
		c.Logger = log.With("instance", i+1)
		p, err := Open(ctx, c)
		if err != nil {
			pool.Close()
			return nil, err
		}
		if i > 0 && !sameInfo(p.Info(), pool.plugins[0].Info()) {
			p.Close()
			pool.Close()
			return nil, &Error{Plugin: c.Name, Op: "start", Kind: ErrIncompatible,
				Err: errors.New("instances describe different models"), Fix: "a plugin's Describe answer must not change between runs"}
		}
		pool.plugins = append(pool.plugins, p)
		pool.free <- p
	}
	return pool, nil
}

// Size returns the number of instances.
func (pool *Pool) Size() int { return len(pool.plugins) }

// Info returns the plugin's description.
func (pool *Pool) Info() model.Info { return pool.plugins[0].Info() }

// Counts returns the queries sent to all instances.
func (pool *Pool) Counts() Counts {
	var c Counts
	for _, p := range pool.plugins {
		c = c.Add(p.Counts())
	}
	return c
}

// Close stops every instance.
func (pool *Pool) Close() error {
	for _, p := range pool.plugins {
		p.Close()
	}
	return nil
}

// parts splits n signals into at most size contiguous ranges.
func parts(n, size int) [][2]int {
	k := max(1, min(n, size))
	out := make([][2]int, 0, k)
	for i := range k {
		out = append(out, [2]int{i * n / k, (i + 1) * n / k})
	}
	return out
}

// fanOut runs f on each part with its own free instance and returns the
// first error in part order.
func (pool *Pool) fanOut(ctx context.Context, n int, f func(p *Plugin, lo, hi int) error) error {
	ps := parts(n, pool.Size())
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, r := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p *Plugin
			select {
			case p = <-pool.free:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { pool.free <- p }()
			errs[i] = f(p, r[0], r[1])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Predict implements model.Classifier, splitting the batch across free
// instances.
func (pool *Pool) Predict(ctx context.Context, signals [][]float64) ([][]float64, error) {
	out := make([][]float64, len(signals))
	err := pool.fanOut(ctx, len(signals), func(p *Plugin, lo, hi int) error {
		s, err := p.Predict(ctx, signals[lo:hi])
		copy(out[lo:hi], s)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// InputGradient implements model.Gradienter, splitting the batch across
// free instances.
func (pool *Pool) InputGradient(ctx context.Context, signals [][]float64, labels []int, loss model.Loss) (grads, scores [][]float64, err error) {
	if len(labels) != len(signals) {
		return nil, nil, fmt.Errorf("host: input gradient: %d labels for %d signals", len(labels), len(signals))
	}
	grads = make([][]float64, len(signals))
	scores = make([][]float64, len(signals))
	err = pool.fanOut(ctx, len(signals), func(p *Plugin, lo, hi int) error {
		g, s, err := p.InputGradient(ctx, signals[lo:hi], labels[lo:hi], loss)
		copy(grads[lo:hi], g)
		copy(scores[lo:hi], s)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return grads, scores, nil
}
