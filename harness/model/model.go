package model

import (
	"context"
	"fmt"
	"math"
)

// ScoreKind says what a classifier's scores are.
type ScoreKind int

const (
	// Logits are unnormalised scores; softmax gives probabilities.
	Logits ScoreKind = iota
	// Probabilities are in [0, 1] and sum to 1 per signal.
	Probabilities
)

func (k ScoreKind) String() string {
	switch k {
	case Logits:
		return "logits"
	case Probabilities:
		return "probabilities"
	}
	return fmt.Sprintf("ScoreKind(%d)", int(k))
}

// Info describes a classifier.
type Info struct {
	// Name and Version identify the model.
	Name, Version string
	// Classes are the class labels in score order.
	Classes []string
	// SampleRate is the rate in Hz the classifier expects.
	SampleRate float64
	// Gain is the amplitude scale in adu per mV the classifier expects.
	Gain float64
	// MinLength and MaxLength bound the accepted input length in samples;
	// they are equal for a fixed-length model.
	MinLength, MaxLength int
	// MaxBatch is the largest batch a single call accepts; 0 means no limit.
	MaxBatch int
	// Scores says whether Predict returns logits or probabilities.
	Scores ScoreKind
	// InputGradient is true when the classifier implements Gradienter.
	InputGradient bool
}

// Classifier scores batches of signals.
type Classifier interface {
	// Info describes the classifier. It is cheap and constant.
	Info() Info
	// Predict returns one score vector per signal, in Info.Classes order.
	// Predict must not modify signals.
	Predict(ctx context.Context, signals [][]float64) ([][]float64, error)
}

// Loss selects the function whose input gradient Gradienter returns.
type Loss int

const (
	// CrossEntropy is -log softmax(z)_y.
	CrossEntropy Loss = iota
	// LogitMargin is z_y - max_{j≠y} z_j.
	LogitMargin
)

func (l Loss) String() string {
	switch l {
	case CrossEntropy:
		return "cross_entropy"
	case LogitMargin:
		return "logit_margin"
	}
	return fmt.Sprintf("Loss(%d)", int(l))
}

// Gradienter is implemented by white-box classifiers.
type Gradienter interface {
	// InputGradient returns d loss(f(x), labels[i]) / d x for each signal
	// (same length as the signal, per adu) and the scores of f(x), as
	// Predict would return them. labels index Info.Classes.
	// InputGradient must not modify signals.
	InputGradient(ctx context.Context, signals [][]float64, labels []int, loss Loss) (grads, scores [][]float64, err error)
}

// Softmax writes the softmax of logits into dst and returns it. If dst is
// nil a new slice is allocated. It is stable for large logits.
func Softmax(dst, logits []float64) []float64 {
	if dst == nil {
		dst = make([]float64, len(logits))
	}
	m := math.Inf(-1)
	for _, z := range logits {
		m = math.Max(m, z)
	}
	var sum float64
	for i, z := range logits {
		dst[i] = math.Exp(z - m)
		sum += dst[i]
	}
	for i := range dst {
		dst[i] /= sum
	}
	return dst
}

// ToProbabilities returns scores as probabilities: a softmax for Logits, a
// copy otherwise.
func ToProbabilities(scores []float64, kind ScoreKind) []float64 {
	if kind == Logits {
		return Softmax(nil, scores)
	}
	return append([]float64(nil), scores...)
}

// Argmax returns the index of the largest score (the first on ties), or -1
// for an empty slice.
func Argmax(scores []float64) int {
	best := -1
	for i, s := range scores {
		if best < 0 || s > scores[best] {
			best = i
		}
	}
	return best
}
