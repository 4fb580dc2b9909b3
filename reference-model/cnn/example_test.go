package cnn_test

import (
	"context"
	"fmt"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/demo"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/reference-model/cnn"
)

// Score four records of the demo sample with the embedded weights and take
// the input gradient of the cross-entropy at their reference labels. The
// predicted class of signal i is ecg.CinCClasses[model.Argmax(scores[i])].
func ExampleReference() {
	m, err := cnn.Reference(0)
	if err != nil {
		panic(err)
	}
	recs, err := demo.Records()
	if err != nil {
		panic(err)
	}
	var signals [][]float64
	var labels []int
	for _, r := range recs[:4] {
		r = ecg.Han2020(r) // 18,000 samples, recording centred
		signals = append(signals, r.Signal.Samples)
		for k, c := range ecg.CinCClasses {
			if c == r.Label {
				labels = append(labels, k)
			}
		}
	}
	grads, scores, err := m.InputGradient(context.Background(), signals, labels, model.CrossEntropy)
	if err != nil {
		panic(err)
	}
	info := m.Info()
	fmt.Println(info.Name, info.Classes, info.Scores)
	for i, r := range recs[:4] {
		fmt.Printf("%s: %d logits, gradient of %d samples in adu\n", r.ID, len(scores[i]), len(grads[i]))
	}
	// Output:
	// ecgrobust-reference-cnn [N A O ~] logits
	// A00016: 4 logits, gradient of 18000 samples in adu
	// A00074: 4 logits, gradient of 18000 samples in adu
	// A00205: 4 logits, gradient of 18000 samples in adu
	// A00264: 4 logits, gradient of 18000 samples in adu
}
