package sdk_test

import (
	"context"

	"github.com/ecgrobust/ecgrobust/plugins/sdk"
)

// threshold calls a signal "A" when its mean amplitude is above zero.
type threshold struct{}

func (threshold) Info() sdk.Info {
	return sdk.Info{
		Name: "threshold", Version: "1.0.0",
		Classes:    []string{"N", "A"},
		SampleRate: 300, Gain: 1000,
		MinLength: 300, MaxLength: 18000,
		Scores: sdk.Logits,
	}
}

func (threshold) Predict(_ context.Context, signals [][]float32) ([][]float32, error) {
	out := make([][]float32, len(signals))
	for i, x := range signals {
		var mean float32
		for _, v := range x {
			mean += v / float32(len(x))
		}
		out[i] = []float32{-mean / 1000, mean / 1000}
	}
	return out, nil
}

// A plugin's whole main: implement sdk.Classifier and call sdk.Serve.
func Example() {
	sdk.Serve(threshold{})
}
