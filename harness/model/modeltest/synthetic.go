package modeltest

import (
	"fmt"
	"math/rand/v2"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/ecgtest"
)

// Records returns n synthetic single-lead ECG records of length samples at
// 300 Hz and 1000 adu/mV, drawn from seed with ecgtest.Generate: heart
// rates of 50–110 bpm, R waves of 0.6–1.5 mV, an AF-like rhythm in every
// fourth record, baseline wander, 15 µV of white noise, whole adu. Every
// third record is zero-padded (its recording, two thirds of the length,
// centred) to model a short recording. Labels are left empty: tests label
// them, typically with the classifier's own clean prediction. IDs are
// "syn0000", "syn0001", ….
func Records(n, length int, seed uint64) []ecg.Record {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]ecg.Record, n)
	for r := range out {
		valid := ecg.Span{Start: 0, End: length}
		if r%3 == 2 {
			m := length * 2 / 3
			start := (length - m) / 2
			valid = ecg.Span{Start: start, End: start + m}
		}
		syn := ecgtest.Generate(ecgtest.Config{
			Seconds:          float64(valid.Len()) / 300,
			HeartRate:        50 + 60*rng.Float64(),
			RAmplitude:       0.6 + 0.9*rng.Float64(),
			AF:               r%4 == 1,
			NoiseMicrovolts:  15,
			WanderMicrovolts: 50 + 100*rng.Float64(),
			Quantize:         true,
			Seed:             rng.Uint64(),
		})
		x := make([]float64, length)
		copy(x[valid.Start:valid.End], syn.Signal.Samples)
		out[r] = ecg.Record{
			ID:     fmt.Sprintf("syn%04d", r),
			Signal: ecg.Signal{Samples: x, Rate: 300, Gain: 1000},
			Valid:  valid,
		}
	}
	return out
}
