package report

import (
	"bytes"
	"testing"

	"github.com/ecgrobust/ecgrobust/reports/report/reporttest"
)

// BenchmarkWrite renders each format of a run the size of the Han 2020
// test split (853 records × 6 attacks, four 10-second overlays).
func BenchmarkWrite(b *testing.B) {
	r := reporttest.Large(853)
	for _, f := range []Format{JSON, HTML, JUnit, Markdown} {
		b.Run(string(f), func(b *testing.B) {
			var buf bytes.Buffer
			for b.Loop() {
				buf.Reset()
				if err := Write(&buf, r, f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(buf.Len()), "bytes/file")
		})
	}
}

func BenchmarkWriteAll(b *testing.B) {
	r := reporttest.Large(853)
	o := fixedOptions()
	dir := b.TempDir()
	for b.Loop() {
		if _, err := WriteAll(dir, r, o); err != nil {
			b.Fatal(err)
		}
	}
}
