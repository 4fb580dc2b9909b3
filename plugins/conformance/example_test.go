package conformance_test

import (
	"context"
	"fmt"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/conformance"
)

// meanModel is an in-process classifier: "hi" when the mean is positive.
type meanModel struct{}

func (meanModel) Info() model.Info {
	return model.Info{Name: "mean", Version: "1", Classes: []string{"lo", "hi"},
		SampleRate: 300, Gain: 1000, MinLength: 300, MaxLength: 18000, Scores: model.Logits}
}

func (meanModel) Predict(_ context.Context, x [][]float64) ([][]float64, error) {
	if len(x) == 0 {
		return nil, fmt.Errorf("empty batch")
	}
	out := make([][]float64, len(x))
	for i, s := range x {
		if len(s) < 300 || len(s) > 18000 {
			return nil, fmt.Errorf("signal %d: %d samples", i, len(s))
		}
		var m float64
		for _, v := range s {
			if v != v {
				return nil, fmt.Errorf("signal %d: NaN", i)
			}
			m += v / float64(len(s))
		}
		out[i] = []float64{-m / 1000, m / 1000}
	}
	return out, nil
}

// Check works on any model.Classifier: an in-process model here, a plugin
// behind plugins/host in `ecgrobust plugin check`.
func ExampleCheck() {
	r := conformance.Check(context.Background(), meanModel{}, conformance.Options{Repeats: 1})
	for _, it := range r.Items {
		if it.Status != conformance.Info {
			fmt.Println(it.Status, it.Name)
		}
	}
	fmt.Println("passed:", r.Passed)
	// Output:
	// pass describe
	// pass predict
	// pass deterministic
	// pass batch invariance
	// pass rejects wrong length
	// pass rejects empty batch
	// pass rejects NaN input
	// skip gradient
	// passed: true
}
