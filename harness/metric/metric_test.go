package metric

import (
	"math"
	"testing"
)

func TestWilson(t *testing.T) {
	const tol = 1e-6
	tests := []struct {
		name   string
		k, n   int
		lo, hi float64
	}{
		// Reference values from the closed form (e.g. R's binom.wilson).
		{"half", 5, 10, 0.236593, 0.763407},
		{"none", 0, 20, 0, 0.161125},
		{"all", 20, 20, 0.838875, 1},
		{"paper SAP", 514, 695, 0.705687, 0.770816},
		{"empty", 0, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := Wilson(tt.k, tt.n, Z95)
			if math.Abs(lo-tt.lo) > tol || math.Abs(hi-tt.hi) > tol {
				t.Errorf("Wilson(%d, %d) = [%.6f, %.6f], want [%.6f, %.6f]", tt.k, tt.n, lo, hi, tt.lo, tt.hi)
			}
		})
	}
}

func TestNorms(t *testing.T) {
	x := []float64{100, -200, 300, 0}
	adv := []float64{103, -204, 300, 0}
	if got := LinfUV(x, adv, 1000); got != 4 {
		t.Errorf("LinfUV = %v, want 4", got)
	}
	if got := LinfUV(x, adv, 200); got != 20 {
		t.Errorf("LinfUV at 200 adu/mV = %v, want 20", got)
	}
	if got := L2UV(x, adv, 1000); got != 5 {
		t.Errorf("L2UV = %v, want 5", got)
	}
	snr, ok := SNRdB(x, adv)
	want := 10 * math.Log10(140000.0/25)
	if !ok || math.Abs(snr-want) > 1e-12 {
		t.Errorf("SNRdB = %v, %v; want %v", snr, ok, want)
	}
	if _, ok := SNRdB(x, x); ok {
		t.Error("SNR of a zero perturbation is defined")
	}
	prd, ok := PRD(x, adv)
	if !ok || math.Abs(prd-100*math.Pow(10, -snr/20)) > 1e-12 || math.Abs(prd-100*math.Sqrt(25.0/140000)) > 1e-12 {
		t.Errorf("PRD = %v, want %v", prd, 100*math.Sqrt(25.0/140000))
	}
	if _, ok := PRD(make([]float64, 4), adv); ok {
		t.Error("PRD of a zero signal is defined")
	}
}

func TestHighFrequencyFraction(t *testing.T) {
	const rate, n = 300.0, 3000
	tone := func(f float64) []float64 {
		d := make([]float64, n)
		for i := range d {
			d[i] = math.Sin(2 * math.Pi * f * float64(i) / rate)
		}
		return d
	}
	low, high := tone(10), tone(100)
	mix := make([]float64, n)
	for i := range mix {
		mix[i] = low[i] + 2*high[i] // energy 1 : 4
	}
	tests := []struct {
		name string
		d    []float64
		want float64
	}{
		{"10 Hz", low, 0},
		{"100 Hz", high, 1},
		{"1:4 mix", mix, 0.8},
		{"zero", make([]float64, n), 0},
		{"nyquist", func() []float64 {
			d := make([]float64, n)
			for i := range d {
				d[i] = float64(1 - 2*(i%2))
			}
			return d
		}(), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HighFrequencyFraction(tt.d, rate, 40); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	// A square wave (PGD-like) has most of its energy above 40 Hz when
	// it switches every few samples.
	sq := make([]float64, n)
	for i := range sq {
		sq[i] = float64(1 - 2*((i/2)%2))
	}
	if got := HighFrequencyFraction(sq, rate, 40); got < 0.9 {
		t.Errorf("square wave: %v", got)
	}
}

func TestCounts(t *testing.T) {
	var c Counts
	for _, o := range []Outcome{
		{True: "N", Clean: "N", Adv: "A", Attacked: true, Success: true},
		{True: "N", Clean: "N", Adv: "N", Attacked: true},
		{True: "A", Clean: "A", Adv: "O", Attacked: true, Success: true},
		{True: "A", Clean: "N", Adv: "N"},
	} {
		c.Add(o)
	}
	acc, _ := c.Accuracy()
	sr, _ := c.SuccessRate()
	ra, _ := c.RobustAccuracy()
	if acc != 0.75 || math.Abs(sr-2.0/3) > 1e-15 || ra != 0.25 {
		t.Errorf("accuracy %v, success %v, robust %v; want 0.75, 2/3, 0.25", acc, sr, ra)
	}
	if c.Flips["N"]["A"] != 1 || c.Flips["N"]["N"] != 1 || c.Flips["A"]["O"] != 1 || c.Flips["A"]["N"] != 0 {
		t.Errorf("flips %v", c.Flips)
	}
	if pa, _ := c.PerClass["A"].SuccessRate(); pa != 1 {
		t.Errorf("A success %v", pa)
	}
	if got := c.Classes(); len(got) != 2 || got[0] != "A" {
		t.Errorf("classes %v", got)
	}
	var empty Counts
	if _, ok := empty.SuccessRate(); ok {
		t.Error("success rate of nothing is defined")
	}
}

func TestMedianMean(t *testing.T) {
	if m, _ := Median([]float64{3, 1, 2, 10}); m != 2.5 {
		t.Errorf("median %v", m)
	}
	if m, _ := Mean([]float64{1, 2, 6}); m != 3 {
		t.Errorf("mean %v", m)
	}
	if _, ok := Median(nil); ok {
		t.Error("median of nothing")
	}
}

func TestSpectrumMatchesDirectDFT(t *testing.T) {
	for _, n := range []int{1, 2, 7, 30, 97, 1000, 1009} {
		d := make([]float64, n)
		for i := range d {
			d[i] = math.Sin(float64(i*i)*0.37) + 0.1*float64(i%5)
		}
		got := spectrum(d)
		if len(got) != n/2+1 {
			t.Fatalf("n=%d: %d coefficients", n, len(got))
		}
		for k := range got {
			var re, im float64
			for j, v := range d {
				a := -2 * math.Pi * float64(k) * float64(j) / float64(n)
				re += v * math.Cos(a)
				im += v * math.Sin(a)
			}
			if math.Abs(real(got[k])-re) > 1e-8*float64(n) || math.Abs(imag(got[k])-im) > 1e-8*float64(n) {
				t.Fatalf("n=%d k=%d: %v, direct DFT %v", n, k, got[k], complex(re, im))
			}
		}
	}
}
