package qrs

import (
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg/ecgtest"
)

// BenchmarkDetect60s detects the beats of a 60 s, 300 Hz synthetic ECG.
func BenchmarkDetect60s(b *testing.B) {
	s := ecgtest.Generate(ecgtest.Config{Seconds: 60, NoiseMicrovolts: 20, Seed: 1}).Signal
	for b.Loop() {
		Detect(s)
	}
}
