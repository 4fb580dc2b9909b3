package cnn

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/model"
)

func synthExamples(n, length int, rng *rand.Rand) []Example {
	ex := make([]Example, n)
	for i := range ex {
		x := make([]float32, length)
		for j, v := range smooth(length, rng) {
			x[j] = float32(v)
		}
		ex[i] = Example{X: x, Label: i % 4}
	}
	return ex
}

func BenchmarkTrainStep(b *testing.B) {
	cfg := DefaultTrainConfig()
	tr, err := NewTrainer(cfg, 0)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	ex := synthExamples(cfg.BatchSize, cfg.Crop, rng)
	tr.classW = classWeights(ex, 0.5)
	tr.eng = newEngine(tr.p, 0)
	inputs := make([][]float32, len(ex))
	labels := make([]int, len(ex))
	for i, e := range ex {
		inputs[i], labels[i] = e.X, e.Label
	}
	b.ResetTimer()
	for b.Loop() {
		tr.step1(inputs, labels, 1e-3)
	}
	b.ReportMetric(float64(b.N*len(ex))/b.Elapsed().Seconds(), "crops/s")
}

func benchModel(b *testing.B, bs int, grad bool) {
	tr, _ := NewTrainer(DefaultTrainConfig(), 0)
	m, err := New(tr.Weights(), "bench", "0", 0)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	sig := make([][]float64, bs)
	labels := make([]int, bs)
	for i := range sig {
		sig[i] = smooth(InputLength, rng)
		for j := range sig[i] {
			sig[i][j] *= 300
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if grad {
			_, _, err = m.InputGradient(ctx, sig, labels, model.CrossEntropy)
		} else {
			_, err = m.Predict(ctx, sig)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*bs)/b.Elapsed().Seconds(), "records/s")
	e := m.pool.Get().(*engine[float32])
	b.ReportMetric(float64(e.bytes())/(1<<20), "workspace-MiB")
	m.pool.Put(e)
}

func BenchmarkPredict1(b *testing.B)        { benchModel(b, 1, false) }
func BenchmarkPredict32(b *testing.B)       { benchModel(b, 32, false) }
func BenchmarkInputGradient1(b *testing.B)  { benchModel(b, 1, true) }
func BenchmarkInputGradient32(b *testing.B) { benchModel(b, 32, true) }
