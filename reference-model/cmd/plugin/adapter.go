package main

import (
	"context"
	"fmt"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/sdk"
	"github.com/ecgrobust/ecgrobust/reference-model/cnn"
)

// adapter serves a *cnn.Model through the SDK's float32 interfaces. Every
// conversion is exact: float32 signals widen to float64, and the model's
// scores and gradients are float32 values held in float64.
type adapter struct{ m *cnn.Model }

func (a adapter) Info() sdk.Info {
	i := a.m.Info()
	return sdk.Info{
		Name: i.Name, Version: i.Version, Classes: i.Classes,
		SampleRate: i.SampleRate, Gain: i.Gain,
		MinLength: i.MinLength, MaxLength: i.MaxLength, MaxBatch: i.MaxBatch,
		Scores: sdk.Logits,
	}
}

func (a adapter) Predict(ctx context.Context, signals [][]float32) ([][]float32, error) {
	scores, err := a.m.Predict(ctx, widen(signals))
	if err != nil {
		return nil, fmt.Errorf("predict: %w", err)
	}
	return narrow(scores), nil
}

func (a adapter) InputGradient(ctx context.Context, signals [][]float32, labels []int, loss sdk.Loss) (grads, scores [][]float32, err error) {
	var l model.Loss
	switch loss {
	case sdk.CrossEntropy:
		l = model.CrossEntropy
	case sdk.LogitMargin:
		l = model.LogitMargin
	default:
		return nil, nil, sdk.InvalidInput("loss %v is not supported", loss)
	}
	g, s, err := a.m.InputGradient(ctx, widen(signals), labels, l)
	if err != nil {
		return nil, nil, fmt.Errorf("input gradient: %w", err)
	}
	return narrow(g), narrow(s), nil
}

func widen(x [][]float32) [][]float64 {
	out := make([][]float64, len(x))
	for i, s := range x {
		out[i] = make([]float64, len(s))
		for j, v := range s {
			out[i][j] = float64(v)
		}
	}
	return out
}

func narrow(x [][]float64) [][]float32 {
	out := make([][]float32, len(x))
	for i, s := range x {
		out[i] = make([]float32, len(s))
		for j, v := range s {
			out[i][j] = float32(v)
		}
	}
	return out
}
