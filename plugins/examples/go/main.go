// Command example-go is a whole ecgrobust plugin: see README.md.
package main

import (
	"context"

	"github.com/ecgrobust/ecgrobust/plugins/sdk"
)

type classifier struct{}

func (classifier) Info() sdk.Info {
	return sdk.Info{
		Name: "example-go", Version: "1.0.0",
		Classes:    []string{"N", "A", "O", "~"},
		SampleRate: 300, Gain: 1000, // Hz, adu per mV
		MinLength: 18000, MaxLength: 18000,
		Scores: sdk.Logits,
	}
}

func (classifier) Predict(_ context.Context, x [][]float32) ([][]float32, error) {
	return predict(x), nil
}

func (classifier) InputGradient(_ context.Context, x [][]float32, labels []int, loss sdk.Loss) (grads, scores [][]float32, err error) {
	return gradient(x, labels, loss), predict(x), nil
}

func main() { sdk.Serve(classifier{}) }
