package attack_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/model/modeltest"
)

func BenchmarkSmootherApply(b *testing.B) {
	s := attack.DefaultSmoother(300)
	x := make([]float64, 18000)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	dst := make([]float64, len(x))
	for b.Loop() {
		s.Apply(dst, x)
	}
}

// BenchmarkSAP is the harness's own cost of one white-box SAP run (20 PGD
// + 40 SAP steps) on a 60 s record, with the near-free analytic model.
func BenchmarkSAP(b *testing.B) {
	ctx := context.Background()
	r := modeltest.Records(1, 18000, 3)[0]
	s, _ := modeltest.Analytic{}.Predict(ctx, [][]float64{r.Signal.Samples})
	for b.Loop() {
		it := []attack.Item{{Record: r, Label: model.Argmax(s[0]), Target: -1, Rand: rand.New(rand.NewPCG(1, 1))}}
		if _, err := (attack.SAP{}).Attack(ctx, attack.NewOracle(modeltest.Analytic{}, nil, it, 0)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFiniteDifferenceEstimate is one black-box gradient estimate
// (q = 40 antithetic pairs, 81 queries) on a 60 s record.
func BenchmarkFiniteDifferenceEstimate(b *testing.B) {
	ctx := context.Background()
	r := modeltest.Records(1, 18000, 3)[0]
	fd := attack.FiniteDifference{Directions: 40, Downsample: 8}
	for b.Loop() {
		it := []attack.Item{{Record: r, Label: 0, Target: -1, Rand: rand.New(rand.NewPCG(1, 1))}}
		o := attack.NewOracle(modeltest.Analytic{}, fd, it, 0)
		if _, _, err := o.Gradient(ctx, []int{0}, [][]float64{r.Signal.Samples}, []int{0}, model.CrossEntropy); err != nil {
			b.Fatal(err)
		}
	}
}
