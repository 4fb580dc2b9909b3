package ecg

import (
	"math"
	"math/cmplx"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
	"gonum.org/v1/gonum/dsp/window"
)

func sine(n int, rate, freq, amp float64) Signal {
	x := make([]float64, n)
	for i := range x {
		x[i] = amp * math.Sin(2*math.Pi*freq*float64(i)/rate)
	}
	return Signal{Samples: x, Rate: rate, Gain: 200}
}

// toneAmplitude measures the amplitude of the strongest spectral line in
// the middle of x (edges dropped), with a flat-top window for accuracy.
func toneAmplitude(x []float64, rate, freq float64) float64 {
	x = append([]float64(nil), x[len(x)/8:len(x)*7/8]...)
	n := len(x)
	w := window.FlatTop(ones(n))
	var wsum float64
	for i := range x {
		x[i] *= w[i]
		wsum += w[i]
	}
	fft := fourier.NewFFT(n)
	c := fft.Coefficients(nil, x)
	var peak float64
	for k := range c {
		f := fft.Freq(k) * rate
		if math.Abs(f-freq) <= 3*rate/float64(n) {
			peak = math.Max(peak, cmplx.Abs(c[k]))
		}
	}
	return 2 * peak / wsum
}

func ones(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = 1
	}
	return x
}

func TestResampleKeepsInBand(t *testing.T) {
	for _, tc := range []struct{ from, to, freq float64 }{
		{360, 300, 10},
		{300, 360, 10},
		{250, 300, 10},
		{1000, 300, 10},
		{360, 300, 100}, // still inside the 0.8·Nyquist passband
	} {
		in := sine(int(tc.from*30), tc.from, tc.freq, 1000)
		out, err := Resample(in, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		if want := int(math.Ceil(float64(len(in.Samples)) * tc.to / tc.from)); len(out.Samples) != want || out.Rate != tc.to || out.Gain != 200 {
			t.Fatalf("%v→%v: %d samples at %v Hz, %v adu/mV", tc.from, tc.to, len(out.Samples), out.Rate, out.Gain)
		}
		a := toneAmplitude(out.Samples, tc.to, tc.freq)
		if math.Abs(a/1000-1) > 0.01 {
			t.Errorf("%v→%v Hz: %v Hz tone amplitude %.2f, want 1000 within 1 %%", tc.from, tc.to, tc.freq, a)
		}
		// Sample-level check against the ideal output away from the
		// edges (phase must be right too).
		var worst float64
		for m := len(out.Samples) / 10; m < len(out.Samples)*9/10; m++ {
			ideal := 1000 * math.Sin(2*math.Pi*tc.freq*float64(m)/tc.to)
			worst = math.Max(worst, math.Abs(out.Samples[m]-ideal))
		}
		if worst > 10 {
			t.Errorf("%v→%v Hz: %v Hz tone off the ideal by up to %.2f adu", tc.from, tc.to, tc.freq, worst)
		}
	}
}

func TestResampleRemovesAliases(t *testing.T) {
	for _, tc := range []struct{ from, to, freq float64 }{
		{360, 300, 155}, // just above the new Nyquist (150 Hz): would alias to 145 Hz
		{360, 300, 170},
		{1000, 300, 200},
		{1000, 300, 450},
	} {
		in := sine(int(tc.from*30), tc.from, tc.freq, 1000)
		out, err := Resample(in, tc.to)
		if err != nil {
			t.Fatal(err)
		}
		// The alias lands at |freq - k·rate| folded into [0, rate/2].
		alias := math.Mod(tc.freq, tc.to)
		if alias > tc.to/2 {
			alias = tc.to - alias
		}
		// Everything left in the middle of the output, as RMS: ≥ 40 dB
		// down means amplitude ≤ 10 adu (RMS ≤ 7.07).
		var ss float64
		mid := out.Samples[len(out.Samples)/10 : len(out.Samples)*9/10]
		for _, v := range mid {
			ss += v * v
		}
		rms := math.Sqrt(ss / float64(len(mid)))
		db := 20 * math.Log10(rms*math.Sqrt2/1000)
		if db > -40 {
			t.Errorf("%v→%v Hz: %v Hz tone (alias %v Hz) only %.1f dB down", tc.from, tc.to, tc.freq, alias, -db)
		}
		t.Logf("%v→%v Hz: %v Hz tone %.1f dB down", tc.from, tc.to, tc.freq, -db)
	}
}

func TestResampleConstantAndEdges(t *testing.T) {
	x := make([]float64, 1000)
	for i := range x {
		x[i] = -1024
	}
	out, err := Resample(Signal{Samples: x, Rate: 360, Gain: 200}, 300)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out.Samples {
		if math.Abs(v+1024) > 1e-9 {
			t.Fatalf("constant not kept at %d: %v", i, v)
		}
	}
	same, _ := Resample(Signal{Samples: x, Rate: 360, Gain: 200}, 360)
	same.Samples[0] = 0
	if x[0] != -1024 || len(same.Samples) != 1000 {
		t.Error("same-rate resample aliases its input")
	}
	empty, err := Resample(Signal{Rate: 360, Gain: 200}, 300)
	if err != nil || len(empty.Samples) != 0 {
		t.Errorf("empty: %v %v", empty, err)
	}
	if _, err := Resample(Signal{Samples: x, Rate: 360, Gain: 200}, math.Pi*100); err == nil {
		t.Error("irrational ratio accepted")
	}
	if _, err := Resample(Signal{Samples: x, Rate: 0, Gain: 200}, 300); err == nil {
		t.Error("zero input rate accepted")
	}
	if _, err := Resample(Signal{Samples: x, Rate: 360, Gain: 200}, -1); err == nil {
		t.Error("negative target rate accepted")
	}
}

func TestRescale(t *testing.T) {
	s := Signal{Samples: []float64{-2, 0, 1}, Rate: 360, Gain: 200}
	r, err := Rescale(s, 1000)
	if err != nil || r.Gain != 1000 || r.Samples[0] != -10 || r.Samples[2] != 5 || s.Samples[0] != -2 {
		t.Errorf("Rescale: %+v %v", r, err)
	}
	if s.Microvolts(s.Samples[0]) != r.Microvolts(r.Samples[0]) {
		t.Error("µV value changed")
	}
	if _, err := Rescale(s, 0); err == nil {
		t.Error("gain 0 accepted")
	}
}
