package sdk

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

type countingModel struct {
	meanModel
	in, peak atomic.Int32
}

func (m *countingModel) Predict(ctx context.Context, x [][]float32) ([][]float32, error) {
	n := m.in.Add(1)
	defer m.in.Add(-1)
	for {
		p := m.peak.Load()
		if n <= p || m.peak.CompareAndSwap(p, n) {
			break
		}
	}
	time.Sleep(2 * time.Millisecond)
	return m.meanModel.Predict(ctx, x)
}

func TestCallsSerialized(t *testing.T) {
	m := &countingModel{}
	s, err := newServer(m)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Predict(context.Background(), &pluginpb.PredictRequest{Signals: []*pluginpb.Signal{sig(1, 2)}}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := m.peak.Load(); p != 1 {
		t.Errorf("%d calls ran at once in the implementation, want 1", p)
	}
	// A waiting call gives up with its context.
	s.sem <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := s.Predict(ctx, &pluginpb.PredictRequest{Signals: []*pluginpb.Signal{sig(1, 2)}}); err == nil {
		t.Error("call waiting for a busy implementation ignored its deadline")
	}
	<-s.sem
}
