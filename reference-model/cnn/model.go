package cnn

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/model"
)

// Input contract of the reference model.
const (
	// InputLength is the number of samples per signal (60 s, Han et al. 2020).
	InputLength = ecg.Han2020Length
	// SampleRate is the expected sample rate in Hz.
	SampleRate = 300
	// Gain is the expected amplitude scale in adu per mV; the network sees
	// mV.
	Gain = 1000
	// chunk is the number of signals run through the network at once.
	chunk = 32
)

// Model is the reference CNN in process. It implements [model.Classifier]
// and [model.Gradienter] in float32 and is safe for concurrent use: each
// call takes its own workspace from a pool and spreads its signals over
// workers goroutines. A signal's scores and gradient do not depend on the
// other signals of the batch or on the number of workers.
//
// Signals are read at float32 precision and gradients are rounded to
// float32 per adu, as the plugin protocol carries them, so the model gives
// the same bits in process and through reference-model/cmd/plugin.
type Model struct {
	w       *Weights
	p       *params[float32]
	name    string
	version string
	workers int
	pool    sync.Pool
}

// New returns the model for w. name and version go into Info; workers is
// the number of goroutines per call (0: GOMAXPROCS).
func New(w *Weights, name, version string, workers int) (*Model, error) {
	if err := w.Arch.Validate(); err != nil {
		return nil, fmt.Errorf("new model: %w", err)
	}
	if w.Arch.Classes != len(ecg.CinCClasses) {
		return nil, fmt.Errorf("new model: %d classes, want %d", w.Arch.Classes, len(ecg.CinCClasses))
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	m := &Model{w: w, p: paramsFrom[float32](w), name: name, version: version, workers: workers}
	m.pool.New = func() any { return newEngine(m.p, m.workers) }
	return m, nil
}

// Weights returns the weights m was built from; callers must not modify them.
func (m *Model) Weights() *Weights { return m.w }

// Info implements [model.Classifier].
func (m *Model) Info() model.Info {
	return model.Info{
		Name:          m.name,
		Version:       m.version,
		Classes:       append([]string(nil), ecg.CinCClasses...),
		SampleRate:    SampleRate,
		Gain:          Gain,
		MinLength:     InputLength,
		MaxLength:     InputLength,
		Scores:        model.Logits,
		InputGradient: true,
	}
}

// ErrInput is returned (wrapped) for signals the model cannot score.
var ErrInput = errors.New("cnn: bad input")

func checkSignals(signals [][]float64) error {
	for i, s := range signals {
		if len(s) != InputLength {
			return fmt.Errorf("%w: signal %d has %d samples, want %d", ErrInput, i, len(s), InputLength)
		}
		for j, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: signal %d sample %d is %v", ErrInput, i, j, v)
			}
		}
	}
	return nil
}

// Predict implements [model.Classifier]: logits for N, A, O, ~.
func (m *Model) Predict(ctx context.Context, signals [][]float64) ([][]float64, error) {
	_, scores, err := m.run(ctx, signals, nil, 0, false)
	return scores, err
}

// InputGradient implements [model.Gradienter]: the exact gradient (per adu)
// of loss at labels through the float32 network, and the logits.
func (m *Model) InputGradient(ctx context.Context, signals [][]float64, labels []int, loss model.Loss) (grads, scores [][]float64, err error) {
	if len(labels) != len(signals) {
		return nil, nil, fmt.Errorf("%w: %d labels for %d signals", ErrInput, len(labels), len(signals))
	}
	for i, y := range labels {
		if y < 0 || y >= len(ecg.CinCClasses) {
			return nil, nil, fmt.Errorf("%w: label %d of signal %d outside [0, %d)", ErrInput, y, i, len(ecg.CinCClasses))
		}
	}
	if loss != model.CrossEntropy && loss != model.LogitMargin {
		return nil, nil, fmt.Errorf("%w: unknown loss %v", ErrInput, loss)
	}
	return m.run(ctx, signals, labels, loss, true)
}

func (m *Model) run(ctx context.Context, signals [][]float64, labels []int, loss model.Loss, grad bool) (grads, scores [][]float64, err error) {
	if err := checkSignals(signals); err != nil {
		return nil, nil, err
	}
	e := m.pool.Get().(*engine[float32])
	defer m.pool.Put(e)
	scores = make([][]float64, len(signals))
	if grad {
		grads = make([][]float64, len(signals))
	}
	inputs := make([][]float32, 0, chunk)
	for lo := 0; lo < len(signals); lo += chunk {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("cnn: %w", err)
		}
		hi := min(lo+chunk, len(signals))
		inputs = inputs[:0]
		for _, s := range signals[lo:hi] {
			x := make([]float32, len(s))
			for j, v := range s {
				x[j] = float32(float64(float32(v)) / Gain)
			}
			inputs = append(inputs, x)
		}
		runBatch(e, inputs, labels, lo, loss, grad, grads, scores)
	}
	return grads, scores, nil
}

// runBatch runs one chunk through e, filling scores[lo:] (and grads).
func runBatch[T float](e *engine[T], inputs [][]T, labels []int, lo int, loss model.Loss, grad bool, grads, scores [][]float64) {
	e.forward(inputs, false)
	bs := len(inputs)
	for s := 0; s < bs; s++ {
		sm := e.samples[s]
		z := make([]float64, len(sm.logits))
		for k, v := range sm.logits {
			z[k] = float64(v)
		}
		scores[lo+s] = z
		if grad {
			d := lossGrad(z, labels[lo+s], loss)
			for k, v := range d {
				sm.dlog[k] = T(v)
			}
		}
	}
	if !grad {
		return
	}
	e.backward(bs, false, true)
	for s := 0; s < bs; s++ {
		g := make([]float64, e.n)
		for j, v := range e.samples[s].dx[0][:e.n] {
			g[j] = float64(T(float64(v) / Gain))
		}
		grads[lo+s] = g
	}
}

// lossGrad returns d loss / d logits.
func lossGrad(z []float64, y int, loss model.Loss) []float64 {
	d := make([]float64, len(z))
	switch loss {
	case model.CrossEntropy:
		model.Softmax(d, z)
		d[y]--
	case model.LogitMargin:
		j := -1
		for k := range z {
			if k != y && (j < 0 || z[k] > z[j]) {
				j = k
			}
		}
		d[y], d[j] = 1, -1
	}
	return d
}

// Evaluate scores examples with w and returns the metrics and the predicted
// class of each example.
func Evaluate(ctx context.Context, w *Weights, examples []Example, workers int) (Metrics, []int, error) {
	e := newEngine(paramsFrom[float32](w), workers)
	truth := make([]int, len(examples))
	pred := make([]int, len(examples))
	var inputs [][]float32
	for lo := 0; lo < len(examples); lo += chunk {
		if err := ctx.Err(); err != nil {
			return Metrics{}, nil, fmt.Errorf("evaluate: %w", err)
		}
		hi := min(lo+chunk, len(examples))
		inputs = inputs[:0]
		for _, ex := range examples[lo:hi] {
			inputs = append(inputs, ex.X)
		}
		e.forward(inputs, false)
		for s := range inputs {
			truth[lo+s] = examples[lo+s].Label
			best := 0
			for k, v := range e.samples[s].logits {
				if v > e.samples[s].logits[best] {
					best = k
				}
			}
			pred[lo+s] = best
		}
	}
	return Score(truth, pred), pred, nil
}
