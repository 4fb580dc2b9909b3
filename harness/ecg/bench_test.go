package ecg

import "testing"

// BenchmarkResample360to300 resamples a 30 min MIT-BIH-length lead
// (650,000 samples) from 360 Hz to 300 Hz.
func BenchmarkResample360to300(b *testing.B) {
	s := sine(650000, 360, 10, 1000)
	for b.Loop() {
		if _, err := Resample(s, 300); err != nil {
			b.Fatal(err)
		}
	}
}
