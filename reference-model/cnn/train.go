package cnn

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/model"
)

// kindCheckpoint marks a training checkpoint file.
const kindCheckpoint = "ecgrobust-cnn-checkpoint/v1"

// TrainConfig fixes a training run. The same configuration, data and seed
// give the same weights bit for bit, whatever the number of workers.
type TrainConfig struct {
	// Arch is the network to train.
	Arch Arch `json:"arch"`
	// Seed seeds initialisation, the hold-out draw, shuffling and
	// augmentation (epoch e uses PCG(Seed, e+1)).
	Seed uint64 `json:"seed"`
	// Epochs is the number of passes over the training records.
	Epochs int `json:"epochs"`
	// BatchSize is the number of crops per Adam step.
	BatchSize int `json:"batch_size"`
	// LR is Adam's initial step size; it is multiplied by LRDecay every
	// DecayEvery epochs.
	LR         float64 `json:"lr"`
	LRDecay    float64 `json:"lr_decay"`
	DecayEvery int     `json:"decay_every"`
	// WeightDecay is decoupled (AdamW) decay of convolution and linear
	// weights, per step, relative to the step size.
	WeightDecay float64 `json:"weight_decay"`
	// Crop is the length in samples of the random window each training
	// record contributes per epoch (0: the whole padded record).
	Crop int `json:"crop"`
	// ClassWeightPower weights the loss of class c by (1/frequency_c)^p,
	// normalised to mean 1 over the training records.
	ClassWeightPower float64 `json:"class_weight_power"`
	// AmpMin and AmpMax bound the random amplitude scaling.
	AmpMin float64 `json:"amp_min"`
	AmpMax float64 `json:"amp_max"`
	// BNMomentum is the weight of the batch statistics in the running
	// mean and variance.
	BNMomentum float64 `json:"bn_momentum"`
}

// DefaultTrainConfig is the configuration of the committed weights.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{
		Arch:             DefaultArch(),
		Seed:             2017,
		Epochs:           24,
		BatchSize:        32,
		LR:               1e-3,
		LRDecay:          0.3,
		DecayEvery:       8,
		WeightDecay:      1e-4,
		Crop:             9000,
		ClassWeightPower: 0.5,
		AmpMin:           0.8,
		AmpMax:           1.2,
		BNMomentum:       0.1,
	}
}

// Example is one training or evaluation record, preprocessed as Han et al.
// 2020 (padded to a fixed length) and scaled to mV.
type Example struct {
	ID    string
	X     []float32
	Valid ecg.Span
	Label int // index in ecg.CinCClasses
}

// EpochLog records one finished epoch.
type EpochLog struct {
	Epoch    int     `json:"epoch"`
	LR       float64 `json:"lr"`
	Loss     float64 `json:"train_loss"`
	Seconds  float64 `json:"seconds"`
	Holdout  Metrics `json:"holdout"`
	Selected bool    `json:"selected"`
}

// Trainer trains a network with batch normalisation and Adam. It keeps the
// weights of the epoch with the best hold-out macro-F1 (N, A, O).
type Trainer struct {
	Config TrainConfig
	// Epoch is the number of finished epochs.
	Epoch   int
	History []EpochLog
	// Best are the selected inference weights (nil before the first epoch).
	Best *Weights

	p               *params[float32]
	runMean, runVar [][]float32
	adamM, adamV    [][]float32
	step            int
	eng             *engine[float32]
	workers         int
	classW          []float64
}

// NewTrainer initialises a network from cfg.Seed (He-normal convolutions,
// unit batch-norm scales, zero shifts).
func NewTrainer(cfg TrainConfig, workers int) (*Trainer, error) {
	if err := cfg.Arch.Validate(); err != nil {
		return nil, err
	}
	t := &Trainer{Config: cfg, workers: workers}
	a := cfg.Arch
	t.p = newParams[float32](a, true)
	rng := rand.New(rand.NewPCG(cfg.Seed, 0))
	for i, l := range a.Layers {
		sd := math.Sqrt(2 / float64(a.in(i)*l.Kernel))
		for j := range t.p.w[i] {
			t.p.w[i][j] = float32(sd * rng.NormFloat64())
		}
		for j := range t.p.gamma[i] {
			t.p.gamma[i][j] = 1
		}
		t.runMean = append(t.runMean, make([]float32, l.Out))
		v := make([]float32, l.Out)
		for j := range v {
			v[j] = 1
		}
		t.runVar = append(t.runVar, v)
	}
	c := a.Layers[len(a.Layers)-1].Out
	sd := math.Sqrt(1 / float64(c))
	for j := range t.p.fcW {
		t.p.fcW[j] = float32(sd * rng.NormFloat64())
	}
	for _, s := range t.trainables() {
		t.adamM = append(t.adamM, make([]float32, len(s)))
		t.adamV = append(t.adamV, make([]float32, len(s)))
	}
	return t, nil
}

// trainables lists the parameter slices Adam updates, in a fixed order.
func (t *Trainer) trainables() [][]float32 {
	var s [][]float32
	for i := range t.p.arch.Layers {
		s = append(s, t.p.w[i], t.p.gamma[i], t.p.beta[i])
	}
	return append(s, t.p.fcW, t.p.fcB)
}

// decays reports whether trainable j gets weight decay.
func (t *Trainer) decays(j int) bool {
	n := len(t.p.arch.Layers)
	return (j < 3*n && j%3 == 0) || j == 3*n
}

// lr returns the step size of epoch e (0-based).
func (c TrainConfig) lr(e int) float64 {
	if c.DecayEvery <= 0 {
		return c.LR
	}
	return c.LR * math.Pow(c.LRDecay, float64(e/c.DecayEvery))
}

// SplitHoldout returns a seeded, class-stratified draw of n of examples for
// model selection and the rest for training, both in their original order.
func SplitHoldout(ex []Example, n int, seed uint64) (train, holdout []Example) {
	rng := rand.New(rand.NewPCG(seed, 1<<32))
	perm := rng.Perm(len(ex))
	pick := make([]bool, len(ex))
	byClass := map[int]int{}
	for _, e := range ex {
		byClass[e.Label]++
	}
	quota := map[int]int{}
	for c, k := range byClass {
		quota[c] = int(math.Round(float64(k) * float64(n) / float64(len(ex))))
	}
	for _, i := range perm {
		if quota[ex[i].Label] > 0 {
			quota[ex[i].Label]--
			pick[i] = true
		}
	}
	for i, e := range ex {
		if pick[i] {
			holdout = append(holdout, e)
		} else {
			train = append(train, e)
		}
	}
	return train, holdout
}

// TrainEpoch runs one epoch over train, then scores holdout and keeps the
// weights if they are the best so far. progress, if not nil, is called
// after every step.
func (t *Trainer) TrainEpoch(ctx context.Context, train, holdout []Example, progress func(step, steps int, loss float64)) (EpochLog, error) {
	cfg := t.Config
	start := time.Now()
	if t.classW == nil {
		t.classW = classWeights(train, cfg.ClassWeightPower)
	}
	if t.eng == nil {
		t.eng = newEngine(t.p, t.workers)
	}
	e := t.Epoch
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(e)+1))
	order := rng.Perm(len(train))
	lr := cfg.lr(e)
	bs := cfg.BatchSize
	steps := len(train) / bs // the last partial batch is dropped
	crop := cfg.Crop
	if crop <= 0 || crop > len(train[0].X) {
		crop = len(train[0].X)
	}
	inputs := make([][]float32, bs)
	for i := range inputs {
		inputs[i] = make([]float32, crop)
	}
	labels := make([]int, bs)
	var lossSum float64
	for st := 0; st < steps; st++ {
		if err := ctx.Err(); err != nil {
			return EpochLog{}, fmt.Errorf("train epoch %d: %w", e+1, err)
		}
		for s := 0; s < bs; s++ {
			ex := train[order[st*bs+s]]
			labels[s] = ex.Label
			off := cropStart(ex, crop, rng)
			amp := float32(cfg.AmpMin + (cfg.AmpMax-cfg.AmpMin)*rng.Float64())
			for i, v := range ex.X[off : off+crop] {
				inputs[s][i] = v * amp
			}
		}
		lossSum += t.step1(inputs, labels, lr)
		if progress != nil {
			progress(st+1, steps, lossSum/float64(st+1))
		}
	}
	t.Epoch++
	w := t.Weights()
	m, _, err := Evaluate(ctx, w, holdout, t.workers)
	if err != nil {
		return EpochLog{}, fmt.Errorf("score hold-out: %w", err)
	}
	log := EpochLog{Epoch: t.Epoch, LR: lr, Loss: lossSum / float64(max(steps, 1)), Seconds: time.Since(start).Seconds(), Holdout: m}
	best := -1.0
	for _, h := range t.History {
		if h.Selected {
			best = h.Holdout.MacroF1NAO
		}
	}
	if m.MacroF1NAO > best {
		for i := range t.History {
			t.History[i].Selected = false
		}
		log.Selected = true
		t.Best = w
	}
	t.History = append(t.History, log)
	return log, nil
}

// cropStart picks where a crop of n samples starts. The crop covers the
// recorded span as far as it can, shifted at random by up to n/4 either
// way, so that crops of long recordings sometimes include the zero padding
// that every full-length input of a shorter recording has.
func cropStart(ex Example, n int, rng *rand.Rand) int {
	L := len(ex.X)
	if n >= L {
		return 0
	}
	vs := ex.Valid
	if vs == (ecg.Span{}) {
		vs = ecg.Span{Start: 0, End: L}
	}
	lo := min(vs.Start, vs.End-n) - n/4
	hi := max(vs.Start, vs.End-n) + n/4
	lo, hi = max(lo, 0), min(hi, L-n)
	if hi <= lo {
		return max(0, min(lo, L-n))
	}
	return lo + rng.IntN(hi-lo+1)
}

func classWeights(ex []Example, pow float64) []float64 {
	k := len(ecg.CinCClasses)
	cnt := make([]float64, k)
	for _, e := range ex {
		cnt[e.Label]++
	}
	w := make([]float64, k)
	var mean float64
	for c := range w {
		if cnt[c] > 0 {
			w[c] = math.Pow(float64(len(ex))/cnt[c], pow)
			mean += w[c] * cnt[c]
		}
	}
	mean /= float64(len(ex))
	for c := range w {
		w[c] /= mean
	}
	return w
}

// step1 runs one Adam step on a batch and returns the weighted loss.
func (t *Trainer) step1(inputs [][]float32, labels []int, lr float64) float64 {
	cfg := t.Config
	eng := t.eng
	bs := len(inputs)
	eng.forward(inputs, true)
	var wsum float64
	for _, y := range labels {
		wsum += t.classW[y]
	}
	var loss float64
	prob := make([]float64, cfg.Arch.Classes)
	z := make([]float64, cfg.Arch.Classes)
	for s := 0; s < bs; s++ {
		sm := eng.samples[s]
		for k, v := range sm.logits {
			z[k] = float64(v)
		}
		model.Softmax(prob, z)
		y := labels[s]
		ws := t.classW[y] / wsum
		loss += -ws * math.Log(math.Max(prob[y], 1e-30))
		for k := range prob {
			g := prob[k]
			if k == y {
				g--
			}
			sm.dlog[k] = float32(ws * g)
		}
	}
	gGamma, gBeta := eng.backward(bs, true, false)
	// Reduce per-sample gradients in sample order.
	tr := t.trainables()
	n := len(cfg.Arch.Layers)
	grads := make([][]float32, len(tr))
	eng.parallel(len(tr), func(j int) {
		g := make([]float32, len(tr[j]))
		switch {
		case j == 3*n:
			for s := 0; s < bs; s++ {
				for i, v := range eng.samples[s].gfcW {
					g[i] += v
				}
			}
		case j == 3*n+1:
			for s := 0; s < bs; s++ {
				for i, v := range eng.samples[s].gfcB {
					g[i] += v
				}
			}
		case j%3 == 0:
			for s := 0; s < bs; s++ {
				for i, v := range eng.samples[s].gw[j/3] {
					g[i] += v
				}
			}
		case j%3 == 1:
			for i, v := range gGamma[j/3] {
				g[i] = float32(v)
			}
		default:
			for i, v := range gBeta[j/3] {
				g[i] = float32(v)
			}
		}
		grads[j] = g
	})
	t.step++
	const b1, b2, eps = 0.9, 0.999, 1e-8
	c1 := 1 - math.Pow(b1, float64(t.step))
	c2 := 1 - math.Pow(b2, float64(t.step))
	eng.parallel(len(tr), func(j int) {
		p, g, m, v := tr[j], grads[j], t.adamM[j], t.adamV[j]
		wd := 0.0
		if t.decays(j) {
			wd = cfg.WeightDecay
		}
		for i := range p {
			gi := float64(g[i])
			mi := b1*float64(m[i]) + (1-b1)*gi
			vi := b2*float64(v[i]) + (1-b2)*gi*gi
			m[i], v[i] = float32(mi), float32(vi)
			upd := (mi / c1) / (math.Sqrt(vi/c2) + eps)
			p[i] = float32(float64(p[i]) - lr*(upd+wd*float64(p[i])))
		}
	})
	for i := range cfg.Arch.Layers {
		cnt := float64(bs * eng.lens[i])
		mo := cfg.BNMomentum
		for co := range t.runMean[i] {
			is := eng.invstd[i][co]
			v := 1/(is*is) - bnEps
			v *= cnt / math.Max(cnt-1, 1)
			t.runMean[i][co] = float32((1-mo)*float64(t.runMean[i][co]) + mo*eng.mean[i][co])
			t.runVar[i][co] = float32((1-mo)*float64(t.runVar[i][co]) + mo*v)
		}
	}
	eng.refresh()
	return loss
}

// Weights returns the current network in inference form, with batch
// normalisation folded into the convolutions using the running statistics.
func (t *Trainer) Weights() *Weights {
	a := t.Config.Arch
	w := &Weights{Arch: a}
	for i, l := range a.Layers {
		in := a.in(i)
		cw := make([]float32, len(t.p.w[i]))
		cb := make([]float32, l.Out)
		for co := 0; co < l.Out; co++ {
			s := float64(t.p.gamma[i][co]) / math.Sqrt(float64(t.runVar[i][co])+bnEps)
			for j := co * in * l.Kernel; j < (co+1)*in*l.Kernel; j++ {
				cw[j] = float32(float64(t.p.w[i][j]) * s)
			}
			cb[co] = float32(float64(t.p.beta[i][co]) - s*float64(t.runMean[i][co]))
		}
		w.Conv, w.Bias = append(w.Conv, cw), append(w.Bias, cb)
	}
	w.FC = append([]float32(nil), t.p.fcW...)
	w.FCBias = append([]float32(nil), t.p.fcB...)
	return w
}

type checkpointMeta struct {
	Config  TrainConfig `json:"config"`
	Epoch   int         `json:"epoch"`
	Step    int         `json:"step"`
	History []EpochLog  `json:"history"`
	HasBest bool        `json:"has_best"`
}

// Save writes a checkpoint from which [LoadTrainer] resumes exactly.
func (t *Trainer) Save(w io.Writer) error {
	meta, err := json.Marshal(checkpointMeta{Config: t.Config, Epoch: t.Epoch, Step: t.step, History: t.History, HasBest: t.Best != nil})
	if err != nil {
		return fmt.Errorf("encode checkpoint meta: %w", err)
	}
	f := &tensorFile{Kind: kindCheckpoint, Arch: t.Config.Arch, Meta: meta}
	for j, s := range t.trainables() {
		f.add(fmt.Sprintf("param%d", j), s, len(s))
		f.add(fmt.Sprintf("adam_m%d", j), t.adamM[j], len(s))
		f.add(fmt.Sprintf("adam_v%d", j), t.adamV[j], len(s))
	}
	for i := range t.runMean {
		f.add(fmt.Sprintf("bn%d.mean", i), t.runMean[i], len(t.runMean[i]))
		f.add(fmt.Sprintf("bn%d.var", i), t.runVar[i], len(t.runVar[i]))
	}
	if t.Best != nil {
		for i := range t.Best.Conv {
			f.add(fmt.Sprintf("best.conv%d.weight", i), t.Best.Conv[i], len(t.Best.Conv[i]))
			f.add(fmt.Sprintf("best.conv%d.bias", i), t.Best.Bias[i], len(t.Best.Bias[i]))
		}
		f.add("best.fc.weight", t.Best.FC, len(t.Best.FC))
		f.add("best.fc.bias", t.Best.FCBias, len(t.Best.FCBias))
	}
	return f.write(w)
}

// LoadTrainer resumes from a checkpoint written by [Trainer.Save].
func LoadTrainer(r io.Reader, workers int) (*Trainer, error) {
	f, err := readTensorFile(r)
	if err != nil {
		return nil, err
	}
	if f.Kind != kindCheckpoint {
		return nil, fmt.Errorf("%w: kind %q, want %q", ErrFormat, f.Kind, kindCheckpoint)
	}
	var meta checkpointMeta
	if err := json.Unmarshal(f.Meta, &meta); err != nil {
		return nil, fmt.Errorf("%w: checkpoint meta: %v", ErrFormat, err)
	}
	t, err := NewTrainer(meta.Config, workers)
	if err != nil {
		return nil, err
	}
	t.Epoch, t.step, t.History = meta.Epoch, meta.Step, meta.History
	load := func(dst []float32, name string) error {
		src, err := f.tensor(name, len(dst))
		if err != nil {
			return fmt.Errorf("%w: %v", ErrFormat, err)
		}
		copy(dst, src)
		return nil
	}
	for j, s := range t.trainables() {
		for _, x := range []struct {
			d []float32
			n string
		}{{s, "param"}, {t.adamM[j], "adam_m"}, {t.adamV[j], "adam_v"}} {
			if err := load(x.d, fmt.Sprintf("%s%d", x.n, j)); err != nil {
				return nil, err
			}
		}
	}
	for i := range t.runMean {
		if err := load(t.runMean[i], fmt.Sprintf("bn%d.mean", i)); err != nil {
			return nil, err
		}
		if err := load(t.runVar[i], fmt.Sprintf("bn%d.var", i)); err != nil {
			return nil, err
		}
	}
	if meta.HasBest {
		b := t.Weights() // right shapes; values replaced below
		for i := range b.Conv {
			if err := load(b.Conv[i], fmt.Sprintf("best.conv%d.weight", i)); err != nil {
				return nil, err
			}
			if err := load(b.Bias[i], fmt.Sprintf("best.conv%d.bias", i)); err != nil {
				return nil, err
			}
		}
		if err := load(b.FC, "best.fc.weight"); err != nil {
			return nil, err
		}
		if err := load(b.FCBias, "best.fc.bias"); err != nil {
			return nil, err
		}
		t.Best = b
	}
	return t, nil
}
