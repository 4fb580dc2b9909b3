package ecgtest

import (
	"math"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
)

func TestGenerateBeats(t *testing.T) {
	s := Generate(Config{Seconds: 60, HeartRate: 75, Seed: 7})
	if len(s.Signal.Samples) != 18000 || s.Signal.Rate != 300 || s.Signal.Gain != 1000 {
		t.Fatalf("%d samples at %v Hz, %v adu/mV", len(s.Signal.Samples), s.Signal.Rate, s.Signal.Gain)
	}
	if n := len(s.RPeaks); n < 73 || n > 77 {
		t.Errorf("%d beats in 60 s at 75 bpm", n)
	}
	// Each R peak is the local maximum, about 1 mV.
	for _, p := range s.RPeaks[1 : len(s.RPeaks)-1] {
		v := s.Signal.Samples[p]
		if v < 900 || v > 1100 {
			t.Fatalf("R peak at %d is %v adu, want ~1000", p, v)
		}
		for d := -30; d <= 30; d++ {
			if s.Signal.Samples[p+d] > v+1e-9 {
				t.Fatalf("sample %d exceeds the R peak at %d", p+d, p)
			}
		}
	}
}

func rrCV(peaks []int) float64 {
	var rr []float64
	for i := 1; i < len(peaks); i++ {
		rr = append(rr, float64(peaks[i]-peaks[i-1]))
	}
	var m, v float64
	for _, x := range rr {
		m += x
	}
	m /= float64(len(rr))
	for _, x := range rr {
		v += (x - m) * (x - m)
	}
	return math.Sqrt(v/float64(len(rr))) / m
}

func TestAFIsIrregular(t *testing.T) {
	reg := Generate(Config{Seconds: 60, Seed: 1})
	af := Generate(Config{Seconds: 60, AF: true, Seed: 1})
	if a, b := rrCV(reg.RPeaks), rrCV(af.RPeaks); a > 0.05 || b < 0.15 {
		t.Errorf("RR CV regular %.3f, AF %.3f", a, b)
	}
}

func TestDeterministic(t *testing.T) {
	c := Config{AF: true, NoiseMicrovolts: 20, WanderMicrovolts: 50, Seed: 42, Rate: 360, Gain: 200}
	a, b := Generate(c), Generate(c)
	c.Seed = 43
	d := Generate(c)
	same := true
	for i := range a.Signal.Samples {
		if a.Signal.Samples[i] != b.Signal.Samples[i] {
			t.Fatal("same seed, different samples")
		}
		same = same && a.Signal.Samples[i] == d.Signal.Samples[i]
	}
	if same {
		t.Error("different seeds, same samples")
	}
	if a.Signal.Rate != 360 || a.Signal.Gain != 200 || len(a.Signal.Samples) != 3600 {
		t.Errorf("rate/gain/length: %v %v %d", a.Signal.Rate, a.Signal.Gain, len(a.Signal.Samples))
	}
}

func TestNoiseLevel(t *testing.T) {
	clean := Generate(Config{Seed: 3, Seconds: 30})
	noisy := Generate(Config{Seed: 3, Seconds: 30, NoiseMicrovolts: 100})
	var ss float64
	for i := range clean.Signal.Samples {
		d := noisy.Signal.Samples[i] - clean.Signal.Samples[i]
		ss += d * d
	}
	if sd := math.Sqrt(ss / float64(len(clean.Signal.Samples))); math.Abs(sd-100) > 5 {
		t.Errorf("noise sd %.1f µV, want 100", sd)
	}
}

func TestFixtures(t *testing.T) {
	fs := Fixtures(ecg.Han2020Length)
	if len(fs) != 4 {
		t.Fatalf("%d fixtures", len(fs))
	}
	for i, f := range fs {
		if f.Label != ecg.CinCClasses[i] || len(f.Signal.Samples) != ecg.Han2020Length || f.Valid != (ecg.Span{Start: 7500, End: 10500}) {
			t.Errorf("fixture %d: %s %q, %d samples, valid %v", i, f.ID, f.Label, len(f.Signal.Samples), f.Valid)
		}
		if err := f.Signal.Validate(); err != nil {
			t.Error(err)
		}
		for _, v := range f.Signal.Samples {
			if v != math.Round(v) {
				t.Fatalf("fixture %s not quantised", f.ID)
			}
		}
	}
	raw := Fixtures(0)
	if len(raw[0].Signal.Samples) != 3000 || raw[0].Valid != (ecg.Span{}) {
		t.Errorf("raw fixture: %d samples, valid %v", len(raw[0].Signal.Samples), raw[0].Valid)
	}
}
