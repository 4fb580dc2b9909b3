package host

import (
	"context"
	"slices"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
)

// TestSharedMemoryBitIdentical checks that the example plugin maps the
// region and that both paths give bit-identical scores and gradients.
func TestSharedMemoryBitIdentical(t *testing.T) {
	if !wire.SharedMemorySupported {
		t.Skip("no shared memory on this system")
	}
	p := openT(t, Config{Path: exampleBin})
	if !p.SharedMemory() {
		t.Fatal("the example plugin does not use shared memory")
	}
	x := signals(5, 18000, false)
	labels := []int{0, 1, 2, 3, 0}
	run := func() ([][]float64, [][]float64, [][]float64) {
		s, err := p.Predict(context.Background(), x)
		if err != nil {
			t.Fatal(err)
		}
		g, gs, err := p.InputGradient(context.Background(), x, labels, model.CrossEntropy)
		if err != nil {
			t.Fatal(err)
		}
		return s, g, gs
	}
	s1, g1, gs1 := run()
	p.UseSharedMemory(false)
	if p.SharedMemory() {
		t.Fatal("SharedMemory() after UseSharedMemory(false)")
	}
	s2, g2, gs2 := run()
	for i := range x {
		if !slices.Equal(s1[i], s2[i]) || !slices.Equal(g1[i], g2[i]) || !slices.Equal(gs1[i], gs2[i]) {
			t.Fatalf("signal %d: shared memory and message paths differ", i)
		}
	}
}
