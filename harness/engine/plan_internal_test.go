package engine

import (
	"reflect"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/model/modeltest"
	"github.com/ecgrobust/ecgrobust/harness/spec"
)

// TestSearchPlan checks the search a spec's gradient: search runs: the
// tree from 0.2 of the record down to 4 samples, then the edge stage with
// 2-sample moves, judged by the spec's default loss, cross-entropy, and
// in the edge stage by the logit margin (BENCHMARKS.md, "Finer
// boundaries", "The last stage's loss").
func TestSearchPlan(t *testing.T) {
	s, err := spec.Load("../attack/testdata/bbstudy-cnn-search.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plans, err := makePlans(s, modeltest.Analytic{}.Info(), true, false, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []attack.Search
	for _, p := range plans {
		if m, ok := p.method.(attack.Search); ok {
			m.Smoother = nil
			got = append(got, m)
		}
	}
	want := attack.Search{EpsilonUV: 10, Loss: model.CrossEntropy, InitialFraction: 0.2, MinWindow: 4, Edges: true, EdgeStep: 2, EdgeMargin: true}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("searches %+v; want one, %+v", got, want)
	}
}
