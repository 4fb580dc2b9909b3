package host

import (
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

// FuzzAnswers decodes arbitrary bytes as plugin answers and validates them:
// no panic, and whatever passes has the right shape and finite numbers.
func FuzzAnswers(f *testing.F) {
	good, _ := proto.Marshal(&pluginpb.InputGradientResponse{
		Gradients: []*pluginpb.Signal{{Samples: wire.AppendFloat32(nil, []float32{1, 2, 3}), Length: 3}},
		Scores:    []*pluginpb.Scores{{Values: []float32{0.25, 0.25, 0.25, 0.25}}},
	})
	f.Add(good, false)
	f.Add(good, true)
	f.Add([]byte{0x0a, 0x02, 0x0a, 0x00}, true)
	f.Fuzz(func(t *testing.T, b []byte, probs bool) {
		info := model.Info{Name: "fuzz", Classes: []string{"N", "A", "O", "~"}, Scores: model.Logits}
		if probs {
			info.Scores = model.Probabilities
		}
		p := &Plugin{cfg: Config{Name: "fuzz"}, info: info}
		var resp pluginpb.InputGradientResponse
		if proto.Unmarshal(b, &resp) != nil {
			return
		}
		n := len(resp.GetScores())
		if scores, err := p.checkScores("predict", resp.GetScores(), n, 0); err == nil {
			for _, s := range scores {
				if len(s) != 4 {
					t.Fatalf("accepted %d scores for 4 classes", len(s))
				}
				var sum float64
				for _, v := range s {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("accepted score %v", v)
					}
					sum += v
				}
				if probs && math.Abs(sum-1) > ProbabilityTolerance {
					t.Fatalf("accepted probabilities summing to %v", sum)
				}
			}
		}
		signals := make([][]float64, len(resp.GetGradients()))
		for i := range signals {
			signals[i] = make([]float64, 3)
		}
		if grads, err := p.checkGradients(resp.GetGradients(), signals, 0); err == nil {
			for _, g := range grads {
				if len(g) != 3 {
					t.Fatalf("accepted a gradient of length %d for 3 samples", len(g))
				}
			}
		}
	})
}
