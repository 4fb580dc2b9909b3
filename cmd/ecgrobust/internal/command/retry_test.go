package command

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/host"
)

// crashing fails the calls for which fail returns an error.
type crashing struct {
	calls int
	fail  func(call int) error
}

func (c *crashing) Info() model.Info { return model.Info{Name: "crashing"} }
func (c *crashing) Predict(_ context.Context, x [][]float64) ([][]float64, error) {
	c.calls++
	if err := c.fail(c.calls); err != nil {
		return nil, err
	}
	return [][]float64{{1, 0}}, nil
}

func crash(string) error { return &host.Error{Plugin: "p", Op: "predict", Kind: host.ErrCrashed} }

func TestRetrying(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		retries   int
		fail      func(int) error
		wantCalls int
		wantErr   string
	}{
		{"transient crash retried", 2, func(n int) error {
			if n == 1 {
				return crash("")
			}
			return nil
		}, 2, ""},
		{"persistent crash errored", 2, func(int) error { return crash("") }, 3, "failed 3 times; model.retries is 2"},
		{"no retries", 0, func(int) error { return crash("") }, 1, "model.retries is 0"},
		{"invalid answer not retried", 2, func(int) error {
			return &host.Error{Plugin: "p", Op: "predict", Kind: host.ErrInvalidAnswer}
		}, 1, "invalid plugin answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &crashing{fail: tt.fail}
			r := newRetrying(c, tt.retries, nil)
			_, err := r.Predict(ctx, [][]float64{{0}})
			if c.calls != tt.wantCalls {
				t.Errorf("calls = %d, want %d", c.calls, tt.wantCalls)
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestRetryingGivesUp(t *testing.T) {
	c := &crashing{fail: func(int) error { return crash("") }}
	r := newRetrying(c, 1, nil)
	for range giveUpAfter {
		if _, err := r.Predict(context.Background(), nil); !errors.Is(err, host.ErrCrashed) {
			t.Fatalf("err = %v, want a crash", err)
		}
	}
	before := c.calls
	_, err := r.Predict(context.Background(), nil)
	if c.calls != before || err == nil || !strings.Contains(err.Error(), "gave up on the plugin after 8 failed calls") {
		t.Errorf("after %d failed calls: err = %v, plugin called again: %v", giveUpAfter, err, c.calls != before)
	}
}

func TestRetryingGivesUpOnFailedRestarts(t *testing.T) {
	c := &crashing{fail: func(n int) error {
		if n == 1 {
			return crash("")
		}
		return &host.Error{Plugin: "p", Op: "start", Kind: host.ErrHandshake}
	}}
	r := newRetrying(c, 0, nil)
	for range giveUpAfter + 3 {
		r.Predict(context.Background(), nil)
	}
	if c.calls != giveUpAfter {
		t.Errorf("a plugin that cannot restart was called %d times, want %d", c.calls, giveUpAfter)
	}
	// Answers about one input from a live plugin never give it up.
	c = &crashing{fail: func(int) error { return &host.Error{Plugin: "p", Op: "predict", Kind: host.ErrRejected} }}
	r = newRetrying(c, 2, nil)
	for range 2 * giveUpAfter {
		r.Predict(context.Background(), nil)
	}
	if c.calls != 2*giveUpAfter {
		t.Errorf("rejected inputs: plugin called %d times, want %d", c.calls, 2*giveUpAfter)
	}
}
