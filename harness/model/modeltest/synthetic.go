package modeltest

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
)

// Records returns n synthetic single-lead ECG records of length samples at
// 300 Hz and 1000 adu/mV, drawn from seed: Gaussian P, QRS and T waves at a
// heart rate of 50–110 bpm with beat-to-beat jitter, baseline wander and
// white noise. Every third record is zero-padded (centred) to model a short
// recording. Labels are left empty: tests label them, typically with the
// classifier's own clean prediction. IDs are "syn0000", "syn0001", ….
func Records(n, length int, seed uint64) []ecg.Record {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]ecg.Record, n)
	for r := range out {
		x := make([]float64, length)
		valid := ecg.Span{Start: 0, End: length}
		if r%3 == 2 {
			m := length * 2 / 3
			start := (length - m) / 2
			valid = ecg.Span{Start: start, End: start + m}
		}
		hr := 50 + 60*rng.Float64()
		amp := 600 + 900*rng.Float64()
		wander := 50 + 100*rng.Float64()
		wf := 0.1 + 0.3*rng.Float64()
		offset := 200 * (rng.Float64() - 0.5)
		period := 300 * 60 / hr
		for t := float64(valid.Start) + period*rng.Float64(); t < float64(valid.End); t += period * (1 + 0.08*rng.NormFloat64()) {
			addWave(x, valid, t-0.16*300, 0.12*amp, 0.025*300)
			addWave(x, valid, t-0.02*300, -0.1*amp, 0.008*300)
			addWave(x, valid, t, amp, 0.01*300)
			addWave(x, valid, t+0.02*300, -0.15*amp, 0.008*300)
			addWave(x, valid, t+0.25*300, 0.3*amp, 0.04*300)
		}
		ph := 2 * math.Pi * rng.Float64()
		for i := valid.Start; i < valid.End; i++ {
			x[i] += offset + wander*math.Sin(2*math.Pi*wf*float64(i)/300+ph) + 15*rng.NormFloat64()
			x[i] = math.Round(x[i])
		}
		out[r] = ecg.Record{
			ID:     fmt.Sprintf("syn%04d", r),
			Signal: ecg.Signal{Samples: x, Rate: 300, Gain: 1000},
			Valid:  valid,
		}
	}
	return out
}

func addWave(x []float64, valid ecg.Span, centre, amp, width float64) {
	lo := max(valid.Start, int(centre-5*width))
	hi := min(valid.End, int(centre+5*width)+1)
	for i := lo; i < hi; i++ {
		d := (float64(i) - centre) / width
		x[i] += amp * math.Exp(-d*d/2)
	}
}
