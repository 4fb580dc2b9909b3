package sdk

import (
	"context"
	"fmt"
	"math"
	"strings"
)

// ScoreKind says what the scores of a Classifier are.
type ScoreKind int

const (
	// Logits are unnormalised scores; softmax gives probabilities.
	Logits ScoreKind = iota
	// Probabilities are in [0, 1] and sum to 1 (± 1e-3) per signal.
	Probabilities
)

// Loss selects the function whose input gradient a Gradienter returns.
// With logits z (for a probability model z = log p) and a label y:
//
//	CrossEntropy: -log softmax(z)_y
//	LogitMargin:  z_y - max_{j≠y} z_j
type Loss int

const (
	CrossEntropy Loss = iota
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

// Info describes a classifier to the harness. It must not change while the
// plugin runs.
type Info struct {
	// Name and Version identify the model, e.g. "acme-af-detector", "2.1.0".
	Name, Version string
	// Classes are the class labels in score order, e.g. N, A, O, ~.
	Classes []string
	// SampleRate is the sample rate in Hz the model expects, e.g. 300.
	SampleRate float64
	// Gain is the amplitude scale in adu per mV the model expects, e.g. 1000.
	Gain float64
	// MinLength and MaxLength bound the accepted signal length in samples;
	// set both to the same value for a fixed-length model.
	MinLength, MaxLength int
	// MaxBatch is the largest batch one call accepts; 0 means no limit.
	MaxBatch int
	// Scores says whether Predict returns logits or probabilities.
	Scores ScoreKind
}

// Validate reports the first problem with info, naming the field.
func (info Info) Validate() error {
	switch {
	case strings.TrimSpace(info.Name) == "":
		return fmt.Errorf("sdk: Info.Name is empty")
	case len(info.Classes) < 2:
		return fmt.Errorf("sdk: Info.Classes has %d labels, want at least 2", len(info.Classes))
	case !(info.SampleRate > 0) || math.IsInf(info.SampleRate, 0):
		return fmt.Errorf("sdk: Info.SampleRate %v Hz is not a positive number", info.SampleRate)
	case !(info.Gain > 0) || math.IsInf(info.Gain, 0):
		return fmt.Errorf("sdk: Info.Gain %v adu/mV is not a positive number", info.Gain)
	case info.MinLength < 1 || info.MaxLength < info.MinLength:
		return fmt.Errorf("sdk: Info.MinLength %d and MaxLength %d: want 1 ≤ MinLength ≤ MaxLength", info.MinLength, info.MaxLength)
	case info.MaxBatch < 0:
		return fmt.Errorf("sdk: Info.MaxBatch %d is negative", info.MaxBatch)
	case info.Scores != Logits && info.Scores != Probabilities:
		return fmt.Errorf("sdk: Info.Scores %d is neither Logits nor Probabilities", info.Scores)
	}
	seen := make(map[string]bool, len(info.Classes))
	for i, c := range info.Classes {
		if c == "" || seen[c] {
			return fmt.Errorf("sdk: Info.Classes[%d] %q is empty or repeated", i, c)
		}
		seen[c] = true
	}
	return nil
}

// Classifier is what a plugin author implements.
//
// The SDK checks every request before Predict sees it: the batch is not
// empty and not above Info.MaxBatch, every signal's length is within
// [Info.MinLength, Info.MaxLength], and every sample is finite. Predict
// and InputGradient are never called concurrently: the SDK lets one call
// at a time in (the harness runs several plugin processes for parallel
// work), so an implementation need not be goroutine-safe.
type Classifier interface {
	// Info describes the classifier. It is called once, at Serve.
	Info() Info
	// Predict returns one score vector of len(Info().Classes) per signal,
	// in order. Signals are in adu at Info().SampleRate and Info().Gain.
	// Predict must not keep or modify signals. ctx carries the host's
	// deadline and cancellation.
	Predict(ctx context.Context, signals [][]float32) ([][]float32, error)
}

// Gradienter is implemented by white-box classifiers. A Classifier that
// also implements Gradienter declares the input_gradient capability.
type Gradienter interface {
	// InputGradient returns d loss(f(x), labels[i]) / d x for each signal
	// (same length as the signal, per adu) and the scores at x, as Predict
	// would return them. labels index Info().Classes and are checked by the
	// SDK. InputGradient must not keep or modify signals.
	InputGradient(ctx context.Context, signals [][]float32, labels []int, loss Loss) (grads, scores [][]float32, err error)
}
