package conformance

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/host"
)

// inProcess is a small in-process classifier: logits from the mean, with
// switchable flaws, to test Check without any plugin.
type inProcess struct {
	acceptAll bool // accepts bad input instead of rejecting it
	batchDep  bool // scores depend on the batch size
	probs     bool // returns probabilities
}

func (m inProcess) Info() model.Info {
	info := model.Info{Name: "in-process", Version: "1", Classes: []string{"lo", "hi"}, SampleRate: 250, Gain: 200,
		MinLength: 500, MaxLength: 3000, MaxBatch: 3, Scores: model.Logits, InputGradient: true}
	if m.probs {
		info.Scores = model.Probabilities
	}
	return info
}

func (m inProcess) Predict(_ context.Context, x [][]float64) ([][]float64, error) {
	if !m.acceptAll {
		if len(x) == 0 {
			return nil, errors.New("empty batch")
		}
		for _, s := range x {
			if len(s) < 500 || len(s) > 3000 {
				return nil, errors.New("bad length")
			}
			for _, v := range s {
				if math.IsNaN(v) {
					return nil, errors.New("NaN")
				}
			}
		}
	}
	out := make([][]float64, len(x))
	for i, s := range x {
		var mean float64
		for _, v := range s {
			mean += v / float64(len(s)) / 200
		}
		if m.batchDep {
			mean += 0.01 * float64(len(x))
		}
		out[i] = []float64{-mean, mean}
		if m.probs {
			out[i] = model.Softmax(nil, out[i])
		}
	}
	return out, nil
}

// InputGradient: d/dx of CE or margin for z = (-mean, mean).
func (m inProcess) InputGradient(ctx context.Context, x [][]float64, labels []int, loss model.Loss) ([][]float64, [][]float64, error) {
	scores, err := m.Predict(ctx, x)
	if err != nil {
		return nil, nil, err
	}
	grads := make([][]float64, len(x))
	for i, s := range x {
		z := scores[i]
		if m.probs {
			z = []float64{math.Log(z[0]), math.Log(z[1])}
		}
		var dz [2]float64
		if loss == model.LogitMargin {
			dz[labels[i]], dz[1-labels[i]] = 1, -1
		} else {
			p := model.Softmax(nil, z)
			dz = [2]float64{p[0], p[1]}
			dz[labels[i]]--
		}
		g := (dz[1] - dz[0]) / float64(len(s)) / 200 // dz1/dx = +1/(n·gain), dz0/dx = −1/(n·gain)
		grads[i] = make([]float64, len(s))
		for j := range grads[i] {
			grads[i][j] = g
		}
	}
	return grads, scores, nil
}

func TestCheckInProcess(t *testing.T) {
	tests := []struct {
		name   string
		m      inProcess
		failed []string
	}{
		{"good", inProcess{}, nil},
		{"probabilities", inProcess{probs: true}, nil},
		{"accepts bad input", inProcess{acceptAll: true}, []string{"rejects wrong length", "rejects empty batch", "rejects NaN input"}},
		{"batch dependent", inProcess{batchDep: true}, []string{"batch invariance", "gradient cross_entropy", "gradient logit_margin"}}, // its gradient scores differ from Predict's too
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(context.Background(), tt.m, Options{Repeats: 1})
			var got []string
			for _, it := range r.Failed() {
				got = append(got, it.Name)
			}
			if strings.Join(got, ",") != strings.Join(tt.failed, ",") {
				t.Errorf("failed %q, want %q\n%+v", got, tt.failed, r.Items)
			}
			if r.Passed != (len(tt.failed) == 0) || r.Target != "in-process" {
				t.Errorf("Passed = %v, Target = %q", r.Passed, r.Target)
			}
			if r.Predict == nil || r.Predict.Batch != 3 {
				t.Errorf("latency measured on %+v, want a batch of MaxBatch 3", r.Predict)
			}
		})
	}
}

func TestCheckDeterministicSignals(t *testing.T) {
	info := inProcess{}.Info()
	a := testSignals(info, 1000, 4, 9)
	b := testSignals(info, 1000, 4, 9)
	c := testSignals(info, 1000, 4, 10)
	if maxDiff(a, b) != 0 {
		t.Error("same seed, different test signals")
	}
	if maxDiff(a, c) == 0 {
		t.Error("different seeds, same test signals")
	}
}

func TestCheckTransportStatus(t *testing.T) {
	tests := []struct {
		name   string
		in     host.Transport
		mode   string
		status Status
		detail string
	}{
		{"in use", host.Transport{Declared: true, Offered: true, SharedMemory: true}, SharedMemory, Pass, "mapped the region"},
		{"doorbell", host.Transport{Declared: true, Offered: true, SharedMemory: true, Doorbell: true}, SharedMemory, Pass, "Predict calls use the doorbell"},
		{"not declared", host.Transport{}, BytesInMessages, Info, "does not declare"},
		{"map failed", host.Transport{Declared: true, Offered: true, Fallback: "mapping the region failed: boom"}, BytesInMessages, Fail, "host fell back: mapping the region failed: boom"},
		{"not offered", host.Transport{Declared: true, Fallback: "this system has no shared-memory transport (Linux only)"}, BytesInMessages, Info, "Linux only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, it := checkTransport(tt.in)
			if tr.Mode != tt.mode || tr.Declared != tt.in.Declared || tr.Fallback != tt.in.Fallback || tr.Doorbell != tt.in.Doorbell {
				t.Errorf("transport %+v for %+v", tr, tt.in)
			}
			if it.Name != "transport" || it.Status != tt.status || !strings.Contains(it.Detail, tt.detail) || !strings.HasPrefix(it.Detail, tt.mode) {
				t.Errorf("item %+v, want %s with %q", it, tt.status, tt.detail)
			}
		})
	}
}

func TestRelDiff(t *testing.T) {
	a := [][]float64{{1, -2}, {0, 0}}
	if d := relDiff(a, [][]float64{{1, -2}, {0, 0}}); d != 0 {
		t.Errorf("equal: %g", d)
	}
	if d := relDiff(a, [][]float64{{1, -2.002}, {0, 0}}); math.Abs(d-1e-3) > 1e-12 {
		t.Errorf("relative to the signal's peak: %g, want 1e-3", d)
	}
	if d := relDiff(a, [][]float64{{1, -2}, {0, 1e-9}}); !math.IsInf(d, 1) {
		t.Errorf("nonzero against a zero gradient: %g, want +Inf", d)
	}
}
