package host

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/plugins/internal/fixture"
)

func benchPlugin(b *testing.B, cfg Config) *Plugin {
	b.Helper()
	cfg.Logger, _ = testLogger()
	p, err := Open(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

// BenchmarkPredictRoundTrip is one Predict of 64 signals × 18,000 samples
// (4.6 MB of float32 each way in) through the host, AutoMTLS on, to a
// plugin whose model costs well under a millisecond: the transport cost.
func BenchmarkPredictRoundTrip(b *testing.B) {
	plugins := map[string]Config{"go": {Path: exampleBin}}
	if pythonAvailable() {
		plugins["python"] = Config{Path: pythonPluginPath()}
	}
	x := signals(64, 18000, false)
	for _, name := range []string{"go", "python"} {
		cfg, ok := plugins[name]
		if !ok {
			continue
		}
		b.Run(name+"/64x18000", func(b *testing.B) {
			p := benchPlugin(b, cfg)
			b.SetBytes(int64(4 * 64 * 18000))
			for b.Loop() {
				if _, err := p.Predict(context.Background(), x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOverhead compares a model that takes ≥ 5 ms per call called in
// process with the same model behind the plugin boundary. The two calls
// alternate within each iteration, so load drift on a shared machine hits
// both alike; the reported metrics are medians over iterations:
// inproc-ms, plugin-ms and overhead-% = (plugin − inproc) / inproc. taps
// sets the model's work (FIR taps per sample).
func BenchmarkOverhead(b *testing.B) {
	for _, c := range []struct{ batch, taps int }{{1, 300}, {8, 40}, {64, 8}, {64, 64}} {
		x := signals(c.batch, 18000, false)
		x32 := make([][]float32, len(x))
		for i, s := range x {
			x32[i] = make([]float32, len(s))
			for j, v := range s {
				x32[i][j] = float32(v)
			}
		}
		m := &fixture.Model{Mode: fixture.Slow, Work: c.taps}
		b.Run(fmt.Sprintf("batch=%d/taps=%d", c.batch, c.taps), func(b *testing.B) {
			p := benchPlugin(b, Config{Path: faultyBin, Args: []string{"-mode=slow", fmt.Sprintf("-work=%d", c.taps)}})
			var in, out []float64
			for b.Loop() {
				start := time.Now()
				if _, err := m.Predict(context.Background(), x32); err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				if _, err := p.Predict(context.Background(), x); err != nil {
					b.Fatal(err)
				}
				in = append(in, float64(mid.Sub(start))/1e6)
				out = append(out, float64(time.Since(mid))/1e6)
			}
			mi, mo := median(in), median(out)
			b.ReportMetric(mi, "inproc-ms")
			b.ReportMetric(mo, "plugin-ms")
			b.ReportMetric(100*(mo-mi)/mi, "overhead-%")
		})
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
