package main

import (
	"context"
	"fmt"
	"log"
	"os"

	"gonum.org/v1/gonum/floats"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/reference-model/cnn"
)

// transfer is a diagnostic classifier: the target's Predict, and input
// gradients from a surrogate model (scores still from the target, so that
// success and early stop are the target's). White-box SAP through it is
// a pure transfer attack: no gradient information about the target at all.
type transfer struct {
	model.Classifier                  // the target
	surrogate        model.Gradienter // gradients
}

func (t transfer) InputGradient(ctx context.Context, signals [][]float64, labels []int, loss model.Loss) ([][]float64, [][]float64, error) {
	g, _, err := t.surrogate.InputGradient(ctx, signals, labels, loss)
	if err != nil {
		return nil, nil, err
	}
	sc, err := t.Classifier.Predict(ctx, signals)
	return g, sc, err
}

// loadModel reads a weights file (reference-model/cmd/train -out) as a model.
func loadModel(path string) (*cnn.Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w, err := cnn.ReadWeights(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cnn.New(w, "surrogate", path, 0)
}

// cosines prints, per attacked record, the cosine of the smoothed
// gradients S·g of target and surrogate at the clean record, and their
// mean.
func cosines(ctx context.Context, target, surrogate model.Gradienter, items []attack.Item) {
	s := attack.DefaultSmoother(300)
	var sum float64
	for _, it := range items {
		x := [][]float64{it.Record.Signal.Samples}
		gt, _, err := target.InputGradient(ctx, x, []int{it.Label}, model.CrossEntropy)
		if err != nil {
			log.Fatal(err)
		}
		gs, _, err := surrogate.InputGradient(ctx, x, []int{it.Label}, model.CrossEntropy)
		if err != nil {
			log.Fatal(err)
		}
		a, b := s.Apply(nil, gt[0]), s.Apply(nil, gs[0])
		c := floats.Dot(a, b) / (floats.Norm(a, 2) * floats.Norm(b, 2))
		sum += c
		fmt.Printf("%s %.3f\n", it.Record.ID, c)
	}
	fmt.Printf("mean cosine %.3f over %d records\n", sum/float64(len(items)), len(items))
}

// surrogateStart runs white-box SAP (paper schedule, no early stop) on the
// surrogate CNN in the weights file and returns each record's perturbation
// (adversarial minus clean, adu), for attack.Search's Start.
func surrogateStart(ctx context.Context, weights string, items []attack.Item) func(attack.Item) []float64 {
	sur, err := loadModel(weights)
	if err != nil {
		log.Fatal(err)
	}
	out, err := attack.SAP{}.Attack(ctx, attack.NewOracle(sur, attack.WhiteBox{}, items, 0))
	if err != nil {
		log.Fatal(err)
	}
	d := map[string][]float64{}
	flipped := 0
	for i, o := range out {
		x := items[i].Record.Signal.Samples
		if o.Adversarial == nil {
			continue
		}
		if o.Success {
			flipped++
		}
		di := make([]float64, len(x))
		floats.SubTo(di, o.Adversarial, x)
		d[items[i].Record.ID] = di
	}
	fmt.Printf("surrogate SAP flipped %d of %d on the surrogate\n", flipped, len(items))
	return func(it attack.Item) []float64 { return d[it.Record.ID] }
}
