package cnn

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

func tinyConfig() TrainConfig {
	c := DefaultTrainConfig()
	c.Arch = Arch{Layers: []LayerSpec{{16, 5, 2}, {16, 4, 1}}, Classes: 4}
	c.BatchSize, c.Crop, c.Epochs, c.DecayEvery = 4, 120, 3, 2
	return c
}

func flat(w *Weights) []float32 {
	var out []float32
	for i := range w.Conv {
		out = append(append(out, w.Conv[i]...), w.Bias[i]...)
	}
	return append(append(out, w.FC...), w.FCBias...)
}

// TestTrainDeterministicResumable trains three epochs straight through with
// one worker, and again with three workers interrupted by a checkpoint after
// the first epoch: the weights must agree bit for bit.
func TestTrainDeterministicResumable(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	ex := synthExamples(14, 200, rng)
	train, hold := SplitHoldout(ex, 4, 1)
	ctx := context.Background()
	a, err := NewTrainer(tinyConfig(), 1)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := a.TrainEpoch(ctx, train, hold, nil); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := NewTrainer(tinyConfig(), 9) // 9 workers, batch 4: each sample is cut in two
	if _, err := b.TrainEpoch(ctx, train, hold, nil); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := b.Save(&buf); err != nil {
		t.Fatal(err)
	}
	b, err = LoadTrainer(&buf, 9)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := b.TrainEpoch(ctx, train, hold, nil); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(flat(a.Weights()), flat(b.Weights())) {
		t.Error("weights differ between the straight and the resumed, differently parallel run")
	}
	if !slices.Equal(flat(a.Best), flat(b.Best)) || len(a.History) != 3 || len(b.History) != 3 {
		t.Error("selected weights or history differ")
	}
	if flat(a.Weights())[0] == flat(mustTrainer(t).Weights())[0] {
		t.Error("training did not change the weights")
	}
}

func mustTrainer(t *testing.T) *Trainer {
	tr, err := NewTrainer(tinyConfig(), 1)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestWeightsRoundTrip(t *testing.T) {
	w := mustTrainer(t).Weights()
	w.Meta = []byte(`{"seed":1}`)
	var buf bytes.Buffer
	if err := w.Write(&buf); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	got, err := ReadWeights(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(flat(got), flat(w)) || string(got.Meta) != `{"seed":1}` {
		t.Error("weights changed in a write/read round trip")
	}
	bad := slices.Clone(b)
	bad[len(bad)-1] ^= 1
	if _, err := ReadWeights(bytes.NewReader(bad)); !errors.Is(err, ErrFormat) {
		t.Errorf("flipped data bit: error %v, want ErrFormat", err)
	}
	if _, err := ReadWeights(bytes.NewReader(b[:len(b)-3])); !errors.Is(err, ErrFormat) {
		t.Errorf("truncated file: error %v, want ErrFormat", err)
	}
	if _, err := LoadTrainer(bytes.NewReader(b), 1); !errors.Is(err, ErrFormat) {
		t.Errorf("weights read as a checkpoint: error %v, want ErrFormat", err)
	}
}

func FuzzReadWeights(f *testing.F) {
	var buf bytes.Buffer
	w := &Weights{Arch: Arch{Layers: []LayerSpec{{16, 1, 1}}, Classes: 2}, Conv: [][]float32{make([]float32, 16)}, Bias: [][]float32{make([]float32, 16)}, FC: make([]float32, 32), FCBias: make([]float32, 2)}
	if err := w.Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("ECGW\x02\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := ReadWeights(bytes.NewReader(b))
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		if _, err := New(w, "fuzz", "0", 1); err != nil && w.Arch.Classes == 4 {
			t.Fatalf("valid weights rejected by New: %v", err)
		}
	})
}
