// Package ecgtest makes synthetic ECGs and tiny labelled fixtures for tests
// of other packages and for the plugin conformance kit, in the spirit of
// net/http/httptest. Everything is deterministic given a seed.
//
// A beat is a sum of five Gaussian waves (P, Q, R, S, T) in the manner of
// McSharry et al. 2003 ("A dynamical model for generating synthetic
// electrocardiogram signals", IEEE TBME 50:289): QRS widths are fixed and
// the P and T offsets scale with the square root of the RR interval. An
// AF-like rhythm draws irregular RR intervals, drops the P waves and adds
// low-amplitude 4–9 Hz fibrillatory waves. The output is not physiology; it
// is a signal with the right units, rates, shapes and R-peak positions,
// good for testing detectors, resamplers, noise stress and plumbing.
package ecgtest

import (
	"math"
	"math/rand/v2"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
)

// Config describes a synthetic ECG. Zero fields take the defaults noted.
type Config struct {
	// Rate is the sample rate in Hz (default 300).
	Rate float64
	// Gain is the amplitude scale in adu per mV (default 1000).
	Gain float64
	// Seconds is the duration (default 10).
	Seconds float64
	// HeartRate is the mean heart rate in beats per minute (default 70).
	HeartRate float64
	// RAmplitude is the R-wave height in mV (default 1).
	RAmplitude float64
	// AF makes an AF-like rhythm: irregular RR intervals, no P waves and
	// fibrillatory waves of 50 µV.
	AF bool
	// Irregularity is the coefficient of variation of the RR intervals
	// (default 0.02, or 0.25 when AF is set).
	Irregularity float64
	// NoiseMicrovolts is the standard deviation of added white Gaussian
	// noise in µV.
	NoiseMicrovolts float64
	// WanderMicrovolts is the amplitude of a 0.3 Hz baseline wander in µV.
	WanderMicrovolts float64
	// Quantize rounds samples to whole adu, as a real ADC does.
	Quantize bool
	// Seed fixes every random draw.
	Seed uint64
}

// Synthetic is a generated ECG with its ground truth.
type Synthetic struct {
	Signal ecg.Signal
	// RPeaks are the sample indices of the R-wave peaks, ascending.
	RPeaks []int
}

type wave struct {
	offset float64 // s from the R peak (P and T scaled by sqrt(RR))
	amp    float64 // mV, relative to RAmplitude
	width  float64 // s (Gaussian sigma)
	scaled bool
}

var waves = [...]wave{
	{-0.20, 0.12, 0.025, true}, // P
	{-0.035, -0.12, 0.010, false},
	{0, 1, 0.011, false},
	{0.035, -0.25, 0.010, false},
	{0.28, 0.30, 0.045, true}, // T
}

func (c Config) withDefaults() Config {
	if c.Rate <= 0 {
		c.Rate = 300
	}
	if c.Gain <= 0 {
		c.Gain = 1000
	}
	if c.Seconds <= 0 {
		c.Seconds = 10
	}
	if c.HeartRate <= 0 {
		c.HeartRate = 70
	}
	if c.RAmplitude == 0 {
		c.RAmplitude = 1
	}
	if c.Irregularity <= 0 {
		c.Irregularity = 0.02
		if c.AF {
			c.Irregularity = 0.25
		}
	}
	return c
}

// Generate returns the synthetic ECG described by c.
func Generate(c Config) Synthetic {
	c = c.withDefaults()
	rng := rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15))
	n := int(math.Round(c.Seconds * c.Rate))
	x := make([]float64, n)
	meanRR := 60 / c.HeartRate
	// Beat times: the first R peak half an RR in, then RR intervals drawn
	// around the mean, never shorter than 0.25 s.
	var beats []float64
	for t := meanRR / 2; ; {
		// Keep beats whose waves reach into the record.
		if t > c.Seconds+1 {
			break
		}
		beats = append(beats, t)
		rr := meanRR * (1 + c.Irregularity*rng.NormFloat64())
		t += math.Max(rr, 0.25)
	}
	mv := c.Gain // adu per mV
	var peaks []int
	for bi, tb := range beats {
		rr := meanRR
		if bi > 0 {
			rr = tb - beats[bi-1]
		}
		scale := math.Sqrt(rr / meanRR)
		for wi, w := range waves {
			if c.AF && wi == 0 {
				continue
			}
			centre := tb + w.offset
			if w.scaled {
				centre = tb + w.offset*scale
			}
			amp := w.amp * c.RAmplitude * mv
			lo := max(0, int((centre-5*w.width)*c.Rate))
			hi := min(n, int((centre+5*w.width)*c.Rate)+1)
			for i := lo; i < hi; i++ {
				d := (float64(i)/c.Rate - centre) / w.width
				x[i] += amp * math.Exp(-0.5*d*d)
			}
		}
		if p := int(math.Round(tb * c.Rate)); p >= 0 && p < n {
			peaks = append(peaks, p)
		}
	}
	if c.AF {
		f1, f2 := 4+2*rng.Float64(), 6+3*rng.Float64()
		ph1, ph2 := 2*math.Pi*rng.Float64(), 2*math.Pi*rng.Float64()
		a := 0.05 * mv
		for i := range x {
			t := float64(i) / c.Rate
			x[i] += a * (0.6*math.Sin(2*math.Pi*f1*t+ph1) + 0.4*math.Sin(2*math.Pi*f2*t+ph2))
		}
	}
	if c.WanderMicrovolts != 0 {
		a := c.WanderMicrovolts * mv / 1000
		ph := 2 * math.Pi * rng.Float64()
		for i := range x {
			x[i] += a * math.Sin(2*math.Pi*0.3*float64(i)/c.Rate+ph)
		}
	}
	if c.NoiseMicrovolts != 0 {
		sd := c.NoiseMicrovolts * mv / 1000
		for i := range x {
			x[i] += sd * rng.NormFloat64()
		}
	}
	if c.Quantize {
		for i := range x {
			x[i] = math.Round(x[i])
		}
	}
	return Synthetic{Signal: ecg.Signal{Samples: x, Rate: c.Rate, Gain: c.Gain}, RPeaks: peaks}
}

// Sine returns n samples of amp·sin(2π·freq·t) at rate Hz and gain 1000
// adu/mV; amp is in adu. Handy for filter and resampler tests.
func Sine(n int, rate, freq, amp float64) ecg.Signal {
	x := make([]float64, n)
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/rate)
	}
	return ecg.Signal{Samples: x, Rate: rate, Gain: 1000}
}

// Fixtures returns four labelled 10 s records at 300 Hz and 1000 adu/mV,
// one per CinC 2017 class, in [ecg.CinCClasses] order: "N" regular 70 bpm,
// "A" AF-like at 110 bpm, "O" 40 bpm bradycardia with 150 µV baseline
// wander, "~" buried in 400 µV noise and 300 µV wander. With length > 0 each is
// fitted to that many samples as [ecg.Fit] does (use [ecg.Han2020Length]
// for the reference model's input). They are fixed: the same on every call.
func Fixtures(length int) []ecg.Record {
	cfgs := []struct {
		id, label string
		c         Config
	}{
		{"synthetic-N", ecg.Normal, Config{HeartRate: 70, NoiseMicrovolts: 10, Quantize: true, Seed: 1}},
		{"synthetic-A", ecg.AF, Config{HeartRate: 110, AF: true, NoiseMicrovolts: 10, Quantize: true, Seed: 2}},
		{"synthetic-O", ecg.Other, Config{HeartRate: 40, WanderMicrovolts: 150, NoiseMicrovolts: 10, Quantize: true, Seed: 3}},
		{"synthetic-~", ecg.Noisy, Config{HeartRate: 80, NoiseMicrovolts: 400, WanderMicrovolts: 300, Quantize: true, Seed: 4}},
	}
	out := make([]ecg.Record, len(cfgs))
	for i, f := range cfgs {
		r := ecg.Record{ID: f.id, Label: f.label, Signal: Generate(f.c).Signal}
		if length > 0 {
			r = ecg.Fit(r, length)
		}
		out[i] = r
	}
	return out
}
