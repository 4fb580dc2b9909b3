package conformance

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/ecg/ecgtest"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/host"
)

// Options tune the battery. Zero fields take the defaults noted.
type Options struct {
	// Target names what is checked in the report, e.g. the plugin's path
	// (default: the model's name).
	Target string
	// Signals is the number of synthetic test signals (default 4).
	Signals int
	// Length is the test signal length in samples (default 18,000, clamped
	// to the classifier's accepted range).
	Length int
	// Seed fixes the test signals and gradient directions (default 1).
	Seed uint64
	// Directions is the number of random smooth directions per signal for
	// the gradient check (default 4).
	Directions int
	// StepMicrovolts is the central-difference step along a direction of
	// unit peak amplitude, in µV. Zero tries 0.5, 2 and 8 µV and keeps the
	// best agreement: small steps suit piecewise-linear (ReLU) networks,
	// larger ones models whose float32 scores are noisy.
	StepMicrovolts float64
	// MinCosine is the least cosine between analytic and finite-difference
	// directional derivatives (default 0.99).
	MinCosine float64
	// BatchTolerance bounds |batch − single| score differences (default 1e-5).
	BatchTolerance float64
	// Repeats is the number of timed calls per latency figure (default 3).
	Repeats int
}

func (o Options) withDefaults() Options {
	if o.Signals <= 0 {
		o.Signals = 4
	}
	if o.Length <= 0 {
		o.Length = 18000
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Directions <= 0 {
		o.Directions = 4
	}
	if o.MinCosine <= 0 {
		o.MinCosine = 0.99
	}
	if o.BatchTolerance <= 0 {
		o.BatchTolerance = 1e-5
	}
	if o.Repeats <= 0 {
		o.Repeats = 3
	}
	return o
}

// determinismTolerance bounds repeat-to-repeat score differences: float32
// rounding, nothing more.
const determinismTolerance = 1e-6

func figure(v float64) *float64 { return &v }

// Check runs the battery against c and returns the report; it never
// panics on a misbehaving classifier. The checks: a sane description; finite, well-shaped scores (probabilities
// summing to 1 when declared); determinism on repeat; batch answers equal
// single answers; wrong length, empty batch and NaN input rejected with an
// error, not a crash; for gradient models, agreement with central finite
// differences along smooth random directions; latency per call and signal.
// For a *host.Plugin also the transport, and the agreement of answers
// through shared memory with answers in bytes (see the package doc).
func Check(ctx context.Context, c model.Classifier, opts Options) Report {
	opts = opts.withDefaults()
	info := c.Info()
	if opts.Target == "" {
		opts.Target = info.Name
	}
	r := Report{Target: opts.Target, Model: info, Passed: true}
	if err := info.Validate(); err != nil {
		r.add(Item{Name: "describe", Status: Fail, Detail: err.Error()})
		return r
	}
	r.add(Item{Name: "describe", Status: Pass, Detail: "name, classes, rate, gain, lengths and batch limit are sane"})
	tp, isPlugin := c.(transporter)
	var tr Transport
	if isPlugin {
		var it Item
		tr, it = checkTransport(tp.Transport())
		r.Transport = &tr
		r.add(it)
	}

	n := min(max(opts.Length, info.MinLength), info.MaxLength)
	x := testSignals(info, n, opts.Signals, opts.Seed)
	first, err := predict(ctx, c, info, x)
	if err == nil {
		err = checkScores(info, first, len(x))
	}
	if err != nil {
		r.add(Item{Name: "predict", Status: Fail, Detail: err.Error()})
		return r
	}
	r.add(Item{Name: "predict", Status: Pass, Detail: fmt.Sprintf("%d synthetic signals × %d samples: %d %v each, finite",
		len(x), n, len(info.Classes), info.Scores)})

	r.add(checkDeterminism(ctx, c, info, x, first))
	r.add(checkBatch(ctx, c, x, first, opts.BatchTolerance))
	for _, it := range checkRejects(ctx, c, info, x[0]) {
		r.add(it)
	}
	if g, ok := c.(model.Gradienter); ok && info.InputGradient {
		for _, loss := range []model.Loss{model.CrossEntropy, model.LogitMargin} {
			r.add(checkGradient(ctx, c, g, info, x, first, loss, opts))
		}
	} else {
		r.add(Item{Name: "gradient", Status: Skip, Detail: "no input_gradient capability: attacks will estimate gradients by finite differences"})
	}
	if isPlugin {
		it := checkPaths(ctx, c, tp, tr, info, x)
		if it.Status == Fail && slices.ContainsFunc(r.Items, func(d Item) bool { return d.Name == "deterministic" && d.Status == Fail }) {
			it.Detail += " (the plugin is not deterministic either: see deterministic)"
		}
		r.add(it)
	}
	r.Predict, r.Gradient = latency(ctx, c, info, x, opts.Repeats)
	if isPlugin {
		setTransport(tr.Mode, r.Predict, r.Gradient)
		if tr.Mode == SharedMemory {
			_ = withTransport(tp, false, func() error {
				r.PredictBytes, r.GradientBytes = latency(ctx, c, info, x, opts.Repeats)
				return nil
			})
			setTransport(BytesInMessages, r.PredictBytes, r.GradientBytes)
		}
	}
	if it, ok := latencyItem("latency predict", r.Predict, r.PredictBytes); ok {
		r.add(it)
	}
	if it, ok := latencyItem("latency gradient", r.Gradient, r.GradientBytes); ok {
		r.add(it)
	}
	return r
}

// setTransport records the transport mode of measured latencies.
func setTransport(mode string, ls ...*Latency) {
	for _, l := range ls {
		if l != nil {
			l.Transport = mode
		}
	}
}

// latencyItem reports l and, when measured, the same calls with bytes in
// the messages; ok is false when l was not measured.
func latencyItem(name string, l, bytes *Latency) (it Item, ok bool) {
	if l == nil {
		return Item{}, false
	}
	detail := fmt.Sprintf("%.2f ms per call of %d, %.2f ms per signal (median of %d)", l.PerCallMS, l.Batch, l.PerSignalMS, l.Repeats)
	if l.Transport != "" {
		detail += " with " + l.Transport
	}
	if bytes != nil {
		detail += fmt.Sprintf("; %.2f ms per call, %.2f ms per signal with %s", bytes.PerCallMS, bytes.PerSignalMS, bytes.Transport)
		if l.PerCallMS > 0 {
			detail += fmt.Sprintf(" (%.2f× the time)", bytes.PerCallMS/l.PerCallMS)
		}
	}
	return Item{Name: name, Status: Info, Figure: figure(l.PerCallMS), Detail: detail}, true
}

// checkScores validates scores like the host does, for in-process
// classifiers that have no host in front of them.
func checkScores(info model.Info, scores [][]float64, n int) error {
	if len(scores) != n {
		return fmt.Errorf("%d score vectors for %d signals", len(scores), n)
	}
	for i, s := range scores {
		if len(s) != len(info.Classes) {
			return fmt.Errorf("signal %d: %d scores for %d classes", i, len(s), len(info.Classes))
		}
		var sum float64
		for j, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("signal %d class %q: score %v", i, info.Classes[j], v)
			}
			if info.Scores == model.Probabilities && (v < -1e-6 || v > 1+1e-6) {
				return fmt.Errorf("signal %d class %q: probability %v outside [0, 1]", i, info.Classes[j], v)
			}
			sum += v
		}
		if info.Scores == model.Probabilities && math.Abs(sum-1) > host.ProbabilityTolerance {
			return fmt.Errorf("signal %d: probabilities sum to %.6f", i, sum)
		}
	}
	return nil
}

// testSignals makes n-sample synthetic ECGs at the classifier's rate and
// gain, from ecgtest: regular, AF-like, bradycardic with wander, noisy.
func testSignals(info model.Info, n, count int, seed uint64) [][]float64 {
	kinds := []ecgtest.Config{
		{HeartRate: 70, NoiseMicrovolts: 10},
		{HeartRate: 110, AF: true, NoiseMicrovolts: 10},
		{HeartRate: 40, WanderMicrovolts: 150, NoiseMicrovolts: 10},
		{HeartRate: 80, NoiseMicrovolts: 400, WanderMicrovolts: 300},
	}
	out := make([][]float64, count)
	for i := range out {
		cfg := kinds[i%len(kinds)]
		cfg.Rate, cfg.Gain = info.SampleRate, info.Gain
		cfg.Seconds = float64(n)/info.SampleRate + 1
		cfg.Seed = seed + uint64(i)
		s := ecgtest.Generate(cfg).Signal.Samples
		out[i] = slices.Clone(s[:min(n, len(s))])
		for len(out[i]) < n { // guard against rounding in Seconds
			out[i] = append(out[i], 0)
		}
	}
	return out
}

// predict calls c in batches of at most info.MaxBatch.
func predict(ctx context.Context, c model.Classifier, info model.Info, x [][]float64) ([][]float64, error) {
	if info.MaxBatch <= 0 || len(x) <= info.MaxBatch {
		return c.Predict(ctx, x)
	}
	out := make([][]float64, 0, len(x))
	for lo := 0; lo < len(x); lo += info.MaxBatch {
		s, err := c.Predict(ctx, x[lo:min(lo+info.MaxBatch, len(x))])
		if err != nil {
			return nil, err
		}
		out = append(out, s...)
	}
	if len(out) != len(x) {
		return nil, fmt.Errorf("%d answers for %d signals", len(out), len(x))
	}
	return out, nil
}

func maxDiff(a, b [][]float64) float64 {
	var d float64
	for i := range a {
		for j := range a[i] {
			d = math.Max(d, math.Abs(a[i][j]-b[i][j]))
		}
	}
	return d
}

func checkDeterminism(ctx context.Context, c model.Classifier, info model.Info, x, first [][]float64) Item {
	const name = "deterministic"
	again, err := predict(ctx, c, info, x)
	if err == nil && len(again) != len(first) {
		err = fmt.Errorf("%d answers, then %d", len(first), len(again))
	}
	if err != nil {
		return Item{Name: name, Status: Fail, Detail: "repeat call failed: " + err.Error()}
	}
	d := maxDiff(first, again)
	st := Pass
	if d > determinismTolerance {
		st = Fail
	}
	return Item{Name: name, Status: st, Figure: figure(d), Detail: fmt.Sprintf("same input twice: max |Δscore| = %.3g (≤ %g)", d, determinismTolerance)}
}

func checkBatch(ctx context.Context, c model.Classifier, x, batch [][]float64, tol float64) Item {
	const name = "batch invariance"
	single := make([][]float64, len(x))
	for i := range x {
		s, err := c.Predict(ctx, x[i:i+1])
		if err == nil && len(s) != 1 {
			err = fmt.Errorf("%d answers for one signal", len(s))
		}
		if err != nil {
			return Item{Name: name, Status: Fail, Detail: fmt.Sprintf("signal %d alone: %v", i, err)}
		}
		single[i] = s[0]
	}
	d := maxDiff(batch, single)
	st := Pass
	if d > tol {
		st = Fail
	}
	return Item{Name: name, Status: st, Figure: figure(d), Detail: fmt.Sprintf("batch of %d vs one by one: max |Δscore| = %.3g (≤ %g)", len(x), d, tol)}
}

// checkRejects sends bad input, wants an error, and then a good call.
func checkRejects(ctx context.Context, c model.Classifier, info model.Info, good []float64) []Item {
	short := good[:0:0]
	if info.MinLength > 1 {
		short = good[:info.MinLength-1]
	}
	wrong := short
	if info.MaxLength <= 1<<20 || info.MinLength <= 1 { // else: no practical upper bound, test the lower one
		wrong = append(slices.Clone(good), make([]float64, info.MaxLength+1-len(good))...)
	}
	nan := slices.Clone(good)
	nan[len(nan)/2] = math.NaN()
	cases := []struct {
		name  string
		input [][]float64
	}{
		{"rejects wrong length", [][]float64{wrong}},
		{"rejects empty batch", [][]float64{}},
		{"rejects NaN input", [][]float64{nan}},
	}
	var out []Item
	for _, tc := range cases {
		_, err := c.Predict(ctx, tc.input)
		it := Item{Name: tc.name, Status: Pass}
		switch {
		case err == nil:
			it.Status, it.Detail = Fail, "accepted the input; it must return an error (gRPC INVALID_ARGUMENT, sdk.InvalidInput)"
		case errors.Is(err, host.ErrCrashed) || errors.Is(err, host.ErrTimeout):
			it.Status, it.Detail = Fail, "crashed or hung instead of returning an error: "+err.Error()
		default:
			it.Detail = "error: " + err.Error()
		}
		if _, err := c.Predict(ctx, [][]float64{good}); err != nil {
			it.Status, it.Detail = Fail, it.Detail+"; the next good call failed: "+err.Error()
		}
		out = append(out, it)
	}
	return out
}

// lossOf returns the loss of scores at label y. Probabilities are taken
// as softmax of their logarithms.
func lossOf(scores []float64, kind model.ScoreKind, y int, loss model.Loss) float64 {
	z := slices.Clone(scores)
	if kind == model.Probabilities {
		for i, p := range z {
			z[i] = math.Log(math.Max(p, 1e-30))
		}
	}
	if loss == model.LogitMargin {
		other := math.Inf(-1)
		for j, v := range z {
			if j != y {
				other = math.Max(other, v)
			}
		}
		return z[y] - other
	}
	return -math.Log(model.Softmax(nil, z)[y])
}

// direction returns a smooth random direction of peak amplitude 1: a sum
// of a few sines below 2 Hz with random phases and weights.
func direction(n int, rate float64, rng *rand.Rand) []float64 {
	d := make([]float64, n)
	for k := 0; k < 4; k++ {
		f := 0.1 + 1.9*rng.Float64()
		phase := 2 * math.Pi * rng.Float64()
		w := rng.NormFloat64()
		for i := range d {
			d[i] += w * math.Sin(2*math.Pi*f*float64(i)/rate+phase)
		}
	}
	var peak float64
	for _, v := range d {
		peak = math.Max(peak, math.Abs(v))
	}
	for i := range d {
		d[i] /= peak
	}
	return d
}

func checkGradient(ctx context.Context, c model.Classifier, g model.Gradienter, info model.Info, x, scores [][]float64, loss model.Loss, opts Options) Item {
	name := "gradient " + loss.String()
	labels := make([]int, len(x))
	for i := range labels {
		labels[i] = i % len(info.Classes)
	}
	grads, gscores, err := g.InputGradient(ctx, x, labels, loss)
	if err == nil && len(grads) != len(x) {
		err = fmt.Errorf("%d gradients for %d signals", len(grads), len(x))
	}
	if err == nil {
		err = checkScores(info, gscores, len(x))
	}
	if err != nil {
		return Item{Name: name, Status: Fail, Detail: err.Error()}
	}
	for i := range grads {
		if len(grads[i]) != len(x[i]) {
			return Item{Name: name, Status: Fail, Detail: fmt.Sprintf("signal %d: gradient of length %d for %d samples", i, len(grads[i]), len(x[i]))}
		}
	}
	if d := maxDiff(gscores, scores); d > opts.BatchTolerance {
		return Item{Name: name, Status: Fail, Figure: figure(d), Detail: fmt.Sprintf("scores differ from Predict's by %.3g", d)}
	}
	steps := []float64{0.5, 2, 8}
	if opts.StepMicrovolts > 0 {
		steps = []float64{opts.StepMicrovolts}
	}
	best, bestStep, n := math.Inf(-1), 0.0, 0
	for _, step := range steps {
		cos, count, err := fdCosine(ctx, c, info, x, grads, labels, loss, step, opts)
		if err != nil {
			return Item{Name: name, Status: Fail, Detail: err.Error()}
		}
		if cos > best {
			best, bestStep, n = cos, step, count
		}
	}
	st := Pass
	if best < opts.MinCosine {
		st = Fail
	}
	return Item{Name: name, Status: st, Figure: figure(best),
		Detail: fmt.Sprintf("cosine %.5f with central differences (step %g µV) over %d smooth directions (≥ %g)", best, bestStep, n, opts.MinCosine)}
}

// fdCosine compares the directional derivatives ∇L·d with central
// differences of step µV along seeded smooth directions d and returns the
// cosine of the two vectors and their length.
func fdCosine(ctx context.Context, c model.Classifier, info model.Info, x, grads [][]float64, labels []int, loss model.Loss, step float64, opts Options) (float64, int, error) {
	rng := rand.New(rand.NewPCG(opts.Seed, uint64(loss)+7))
	h := step * info.Gain / 1000 // adu
	var analytic, numeric []float64
	var probes [][]float64
	for i := range x {
		for k := 0; k < opts.Directions; k++ {
			d := direction(len(x[i]), info.SampleRate, rng)
			var dot float64
			for j := range d {
				dot += grads[i][j] * d[j]
			}
			analytic = append(analytic, dot)
			plus, minus := slices.Clone(x[i]), slices.Clone(x[i])
			for j := range d {
				plus[j] += h * d[j]
				minus[j] -= h * d[j]
			}
			probes = append(probes, plus, minus)
		}
	}
	ps, err := predict(ctx, c, info, probes)
	if err != nil {
		return 0, 0, fmt.Errorf("predict at the probe points: %w", err)
	}
	for k := range analytic {
		i := k / opts.Directions
		lp := lossOf(ps[2*k], info.Scores, labels[i], loss)
		lm := lossOf(ps[2*k+1], info.Scores, labels[i], loss)
		numeric = append(numeric, (lp-lm)/(2*h))
	}
	var dot, na, nn float64
	for k := range analytic {
		dot += analytic[k] * numeric[k]
		na += analytic[k] * analytic[k]
		nn += numeric[k] * numeric[k]
	}
	if na == 0 && nn == 0 {
		return 1, len(analytic), nil // both flat
	}
	cos := dot / math.Sqrt(na*nn)
	if math.IsNaN(cos) {
		cos = 0
	}
	return cos, len(analytic), nil
}

// latency times Predict (and InputGradient) on one batch.
func latency(ctx context.Context, c model.Classifier, info model.Info, x [][]float64, repeats int) (pred, grad *Latency) {
	b := len(x)
	if info.MaxBatch > 0 {
		b = min(b, info.MaxBatch)
	}
	x = x[:b]
	measure := func(call func() error) *Latency {
		times := make([]float64, 0, repeats)
		for range repeats {
			start := time.Now()
			if call() != nil {
				return nil
			}
			times = append(times, float64(time.Since(start).Microseconds())/1000)
		}
		slices.Sort(times)
		med := times[len(times)/2]
		return &Latency{Batch: b, PerCallMS: med, PerSignalMS: med / float64(b), Repeats: repeats, Samples: len(x[0])}
	}
	pred = measure(func() error { _, err := c.Predict(ctx, x); return err })
	if g, ok := c.(model.Gradienter); ok && info.InputGradient {
		labels := make([]int, b)
		grad = measure(func() error { _, _, err := g.InputGradient(ctx, x, labels, model.CrossEntropy); return err })
	}
	return pred, grad
}
