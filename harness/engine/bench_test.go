package engine_test

import (
	"context"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/engine"
)

// BenchmarkRun is a whole run of the test spec (PGD, SAP, targeted SAP,
// collating; 12 records of 10 s) on the near-free analytic model: the
// engine's and the attacks' own cost.
func BenchmarkRun(b *testing.B) {
	s := parseSpec(b, "")
	recs := records(b)
	for b.Loop() {
		if _, err := engine.Run(context.Background(), s, engine.Records(recs), pool(1), engine.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
