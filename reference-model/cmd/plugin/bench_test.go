package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/demo"
	"github.com/ecgrobust/ecgrobust/plugins/host"
	"github.com/ecgrobust/ecgrobust/reference-model/cnn"
)

// BenchmarkOverhead is the plugin boundary's cost on a real model: the
// reference CNN called in process, through the model.Classifier the engine
// uses, alternated within each iteration with the same CNN served by this
// package through the SDK and the host (shared memory on, AutoMTLS on), on
// demo records of 18,000 samples. Metrics are medians over iterations:
// inproc-ms, plugin-ms and overhead-% = (plugin − inproc) / inproc.
func BenchmarkOverhead(b *testing.B) {
	ctx := context.Background()
	m, err := cnn.Reference(0)
	if err != nil {
		b.Fatal(err)
	}
	recs, err := demo.Records()
	if err != nil {
		b.Fatal(err)
	}
	for _, batch := range []int{1, 8} {
		var sig [][]float64
		for _, r := range recs[:batch] {
			sig = append(sig, ecg.Han2020(r).Signal.Samples)
		}
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			p, err := host.Open(ctx, host.Config{
				Path: os.Args[0], Args: []string{"-test.run=^$"}, Env: []string{helperEnv + "=1"},
				Name: "reference-cnn", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			if !p.SharedMemory() {
				b.Log("the plugin does not use shared memory on this system")
			}
			var in, out []float64
			for b.Loop() {
				start := time.Now()
				if _, err := m.Predict(ctx, sig); err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				if _, err := p.Predict(ctx, sig); err != nil {
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
