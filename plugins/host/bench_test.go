package host

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
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

// BenchmarkPredictRoundTrip is one Predict of 64 (and 1) signals × 18,000
// samples (4.6 MB of float32 in) through the host, AutoMTLS on, to a
// plugin whose model costs well under a millisecond: the transport cost.
func BenchmarkPredictRoundTrip(b *testing.B) {
	plugins := map[string]Config{"go": {Path: exampleBin}}
	if pythonAvailable() {
		plugins["python"] = Config{Path: pythonPluginPath()}
	}
	for _, n := range []int{64, 1} {
		x := signals(n, 18000, false)
		for _, name := range []string{"go", "python"} {
			cfg, ok := plugins[name]
			if !ok {
				continue
			}
			b.Run(fmt.Sprintf("%s/%dx18000", name, n), func(b *testing.B) {
				p := benchPlugin(b, cfg)
				b.SetBytes(int64(4 * n * 18000))
				for b.Loop() {
					if _, err := p.Predict(context.Background(), x); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkOverhead compares a model that takes ≥ 5 ms per call called in
// process with the same model behind the plugin boundary. The two calls
// alternate within each iteration, so load drift on a shared machine hits
// both alike; the reported metrics are medians over iterations:
// inproc-ms, plugin-ms, overhead-% = (plugin − inproc) / inproc,
// paired-% (the median of that ratio per iteration, whose two calls are
// milliseconds apart: less sensitive to the machine's speed drifting) and
// extra-µs/call = plugin − inproc. taps sets the model's work (FIR taps
// per sample).
func BenchmarkOverhead(b *testing.B) {
	for _, c := range []struct{ batch, taps int }{{1, 300}, {1, 1000}, {8, 40}, {64, 8}, {64, 64}} {
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
			var cpuIn, cpuOut time.Duration
			pluginCPU0 := processCPU(p.PID())
			for b.Loop() {
				c0, start := selfCPU(), time.Now()
				if _, err := m.Predict(context.Background(), x32); err != nil {
					b.Fatal(err)
				}
				c1, mid := selfCPU(), time.Now()
				if _, err := p.Predict(context.Background(), x); err != nil {
					b.Fatal(err)
				}
				c2 := selfCPU()
				in = append(in, float64(mid.Sub(start))/1e6)
				out = append(out, float64(time.Since(mid))/1e6)
				cpuIn += c1 - c0
				cpuOut += c2 - c1
			}
			cpuOut += processCPU(p.PID()) - pluginCPU0
			mi, mo := median(in), median(out)
			b.ReportMetric(mi, "inproc-ms")
			b.ReportMetric(mo, "plugin-ms")
			b.ReportMetric(100*(mo-mi)/mi, "overhead-%")
			rel := make([]float64, len(in))
			for i := range in {
				rel[i] = (out[i] - in[i]) / in[i]
			}
			b.ReportMetric(100*median(rel), "paired-%")
			b.ReportMetric(1000*(mo-mi), "extra-µs/call")
			// CPU time (host + plugin process) is less sensitive to other
			// load on the machine than wall time.
			b.ReportMetric(100*float64(cpuOut-cpuIn)/float64(cpuIn), "cpu-overhead-%")
		})
	}
}

// BenchmarkOverheadBackToBack is BenchmarkOverhead's batch=1/taps=300
// case with the calls made as an attack makes them: each iteration runs
// a block of 8 in-process calls, then 8 plugin calls back to back, so the
// plugin is idle only between blocks, not for the length of an
// in-process call before every one of its calls. paired-% is the median
// of the blocks' ratios of mean call times.
func BenchmarkOverheadBackToBack(b *testing.B) {
	const block = 8
	x := signals(1, 18000, false)
	x32 := [][]float32{make([]float32, len(x[0]))}
	for j, v := range x[0] {
		x32[0][j] = float32(v)
	}
	m := &fixture.Model{Mode: fixture.Slow, Work: 300}
	p := benchPlugin(b, Config{Path: faultyBin, Args: []string{"-mode=slow", "-work=300"}})
	var in, out, rel []float64
	for b.Loop() {
		start := time.Now()
		for range block {
			if _, err := m.Predict(context.Background(), x32); err != nil {
				b.Fatal(err)
			}
		}
		mid := time.Now()
		for range block {
			if _, err := p.Predict(context.Background(), x); err != nil {
				b.Fatal(err)
			}
		}
		ti, to := float64(mid.Sub(start))/1e6/block, float64(time.Since(mid))/1e6/block
		in, out, rel = append(in, ti), append(out, to), append(rel, (to-ti)/ti)
	}
	mi, mo := median(in), median(out)
	b.ReportMetric(mi, "inproc-ms")
	b.ReportMetric(mo, "plugin-ms")
	b.ReportMetric(100*(mo-mi)/mi, "overhead-%")
	b.ReportMetric(100*median(rel), "paired-%")
	b.ReportMetric(1000*(mo-mi), "extra-µs/call")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// selfCPU returns this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU returns the user+system CPU time of pid from /proc (10 ms
// resolution), or 0.
func processCPU(pid int) time.Duration {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ = 100
}

// BenchmarkEncode packs 64 × 18,000 float64 samples into the request's
// float32 bytes (host side, before gRPC).
func BenchmarkEncode(b *testing.B) {
	x := signals(64, 18000, false)
	b.SetBytes(int64(4 * 64 * 18000))
	for b.Loop() {
		encode(x)
	}
}
