package noise

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/demo"
	"github.com/ecgrobust/ecgrobust/harness/ecg/ecgtest"
	"github.com/ecgrobust/ecgrobust/harness/ecg/qrs"
	"github.com/ecgrobust/ecgrobust/harness/ecg/wfdb"
)

func dataDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("ECGROBUST_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "nstdb", "118e_6.hea")); err != nil {
		t.Skipf("NSTDB data not found (%v): set ECGROBUST_DATA to the directory holding nstdb/ and mitdb/", err)
	}
	return dir
}

var (
	loadOnce sync.Once
	shared   *Source
	loadErr  error
)

func source(t *testing.T) *Source {
	dir := dataDir(t)
	loadOnce.Do(func() { shared, loadErr = Load(dir) })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return shared
}

// TestEMEstimate checks the facts the em estimate relies on.
func TestEMEstimate(t *testing.T) {
	dir := dataDir(t)
	clean, err := wfdb.ReadRecord(filepath.Join(dir, "mitdb", "118"))
	if err != nil {
		t.Fatal(err)
	}
	e6, err := wfdb.ReadRecord(filepath.Join(dir, "nstdb", "118e_6"))
	if err != nil {
		t.Fatal(err)
	}
	e0, err := wfdb.ReadRecord(filepath.Join(dir, "nstdb", "118e00"))
	if err != nil {
		t.Fatal(err)
	}
	for ch := range 2 {
		d := func(r *wfdb.Record, i int) int { return r.Samples[ch][i] - clean.Samples[ch][i] }
		// Before minute 5: the raw samples minus 1024. Between noisy
		// segments: a constant (nst shifts it to avoid steps).
		for i := 0; i < emStart; i++ {
			if d(e6, i) != -1024 {
				t.Fatalf("channel %d: 118e_6 − 118 = %d at %d, before the noise", ch, d(e6, i), i)
			}
		}
		for k := 0; emStart+k*emPeriod+emLen < 650000; k++ {
			lo, hi := emStart+k*emPeriod+emLen, min(emStart+(k+1)*emPeriod, 650000)
			for i := lo; i < hi; i++ {
				if d(e6, i) != d(e6, lo) {
					t.Fatalf("channel %d: 118e_6 − 118 varies in the quiet span [%d, %d): %d at %d, %d at %d", ch, lo, hi, d(e6, lo), lo, d(e6, i), i)
				}
			}
		}
		// In a noisy segment the −6 dB noise is twice the 0 dB noise.
		var m0, m6 float64
		lo, hi := emStart+emPeriod, emStart+emPeriod+emLen
		for i := lo; i < hi; i++ {
			m0 += float64(d(e0, i))
			m6 += float64(d(e6, i))
		}
		m0 /= float64(hi - lo)
		m6 /= float64(hi - lo)
		// Least-squares slope of the −6 dB noise on the 0 dB noise, and
		// the residual relative to the noise.
		var sxy, sxx, syy float64
		for i := lo; i < hi; i++ {
			x, y := float64(d(e0, i))-m0, float64(d(e6, i))-m6
			sxy += x * y
			sxx += x * x
			syy += y * y
		}
		slope := sxy / sxx
		resid := math.Sqrt((syy - slope*sxy) / syy)
		t.Logf("channel %d: −6 dB noise = %.4f × 0 dB noise, residual %.4f", ch, slope, resid)
		if math.Abs(slope-2) > 0.01 || resid > 0.01 {
			t.Errorf("channel %d: −6 dB noise = %.4f × 0 dB noise, residual %.4f; want 2, ~0", ch, slope, resid)
		}
	}
	src := source(t)
	em, _ := src.Raw(EM)
	// Six whole segments and the partial seventh, [626400, 650000).
	if want := 6*emLen + 650000 - (emStart + 6*emPeriod); len(em) != 2 || len(em[0].Samples) != want || em[0].Rate != 360 || em[0].Gain != 200 {
		t.Fatalf("em: %d channels, %d samples (want %d)", len(em), len(em[0].Samples), want)
	}
	if r := NoiseRMS(em[0].Samples, 360); r < 20 {
		t.Errorf("em RMS %v adu: no noise found", r)
	}
}

// mitdbWindow returns one minute of mitdb 100 at 300 Hz, 1000 adu/mV, and
// its reference beats.
func mitdbWindow(t *testing.T, name string, minute int) (ecg.Signal, []int) {
	dir := dataDir(t)
	rec, err := wfdb.ReadRecord(filepath.Join(dir, "mitdb", name))
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := rec.Signal(0)
	lo, hi := minute*60*360, (minute+1)*60*360
	sig.Samples = sig.Samples[lo:hi]
	if sig, err = ecg.Resample(sig, 300); err != nil {
		t.Fatal(err)
	}
	if sig, err = ecg.Rescale(sig, 1000); err != nil {
		t.Fatal(err)
	}
	anns, err := wfdb.ReadAnnotations(filepath.Join(dir, "mitdb", name+".atr"))
	if err != nil {
		t.Fatal(err)
	}
	var beats []int
	for _, b := range wfdb.Beats(anns) {
		if b >= lo && b < hi {
			beats = append(beats, (b-lo)*300/360)
		}
	}
	return sig, beats
}

// measured is the SNR of noisy against clean by the NSTDB definition,
// with the signal amplitude from reference beats.
func measured(clean, noisy ecg.Signal, beats []int) float64 {
	d := make([]float64, len(clean.Samples))
	for i := range d {
		d[i] = noisy.Samples[i] - clean.Samples[i]
	}
	a, _ := QRSAmplitude(clean, beats)
	return SNR(a, NoiseRMS(d, clean.Rate))
}

// TestEC57SNRs adds each noise at each EC57 SNR, locating QRS complexes
// with the detector, and measures the result against the reference
// annotations.
func TestEC57SNRs(t *testing.T) {
	src := source(t)
	var worst float64
	defer func() { t.Logf("largest deviation of the measured SNR: %.3f dB", worst) }()
	for _, rec := range []struct {
		name   string
		minute int
	}{{"100", 3}, {"201", 12}} {
		clean, beats := mitdbWindow(t, rec.name, rec.minute)
		for _, k := range Kinds {
			for i, snr := range EC57SNRs {
				noisy, rep, err := src.Add(clean, Options{Kind: k, SNR: snr, Seed: uint64(i)})
				if err != nil {
					t.Fatal(err)
				}
				got := measured(clean, noisy, beats)
				worst = math.Max(worst, math.Abs(got-snr))
				if math.Abs(got-snr) > 0.5 {
					t.Errorf("%s %s at %v dB: measured %.2f dB (%+v)", rec.name, k, snr, got, rep)
				}
				if math.Abs(rep.SNR-snr) > 1e-9 {
					t.Errorf("%s %s at %v dB: report says %.3f dB", rec.name, k, snr, rep.SNR)
				}
			}
		}
	}
}

// TestCinCRecord adds noise to a demo record (no annotations) and leaves
// the padding alone.
func TestCinCRecord(t *testing.T) {
	src := source(t)
	recs, err := demo.Records()
	if err != nil {
		t.Fatal(err)
	}
	r := ecg.Han2020(recs[0])
	noisy, rep, err := src.AddRecord(r, Options{Kind: MA, SNR: 6, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	vs := r.Valid
	for i, v := range noisy.Signal.Samples {
		if (i < vs.Start || i >= vs.End) && v != 0 {
			t.Fatalf("padding sample %d changed to %v", i, v)
		}
	}
	if r.Signal.Samples[vs.Start] == noisy.Signal.Samples[vs.Start] && r.Signal.Samples[vs.Start+1] == noisy.Signal.Samples[vs.Start+1] {
		t.Error("no noise added")
	}
	clean := ecg.Signal{Samples: r.Signal.Samples[vs.Start:vs.End], Rate: 300, Gain: 1000}
	got := measured(clean, ecg.Signal{Samples: noisy.Signal.Samples[vs.Start:vs.End]}, qrs.Detect(clean))
	if math.Abs(got-6) > 0.5 || rep.Beats < 10 {
		t.Errorf("%s: measured %.2f dB from %d beats", r.ID, got, rep.Beats)
	}
}

func TestDeterministic(t *testing.T) {
	src := source(t)
	clean, beats := mitdbWindow(t, "100", 1)
	a, ra, _ := src.Add(clean, Options{Kind: EM, SNR: 0, Seed: 7, Beats: beats})
	b, rb, _ := src.Add(clean, Options{Kind: EM, SNR: 0, Seed: 7, Beats: beats})
	c, rc, _ := src.Add(clean, Options{Kind: EM, SNR: 0, Seed: 8, Beats: beats})
	if !slices.Equal(a.Samples, b.Samples) || ra != rb {
		t.Error("same seed, different noise")
	}
	if slices.Equal(a.Samples, c.Samples) || ra.Offset == rc.Offset {
		t.Error("different seeds, same noise")
	}
	if clean.Samples[100] == a.Samples[100] {
		t.Error("input unchanged?")
	}
}

// TestSynthetic runs without the data, on a synthetic source.
func TestSynthetic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	white := make([]float64, 360*120)
	for i := range white {
		white[i] = 30 * rng.NormFloat64()
	}
	src, err := New(map[Kind][]ecg.Signal{"white": {{Samples: white, Rate: 360, Gain: 200}}})
	if err != nil {
		t.Fatal(err)
	}
	s := ecgtest.Generate(ecgtest.Config{Seconds: 30, Seed: 2})
	for _, snr := range EC57SNRs {
		noisy, _, err := src.Add(s.Signal, Options{Kind: "white", SNR: snr, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := measured(s.Signal, noisy, s.RPeaks); math.Abs(got-snr) > 0.5 {
			t.Errorf("white noise at %v dB: measured %.2f", snr, got)
		}
		// Cross-check against plain mean-square noise power: white noise
		// is stationary, so the two agree closely.
		var ss float64
		for i := range noisy.Samples {
			d := noisy.Samples[i] - s.Signal.Samples[i]
			ss += d * d
		}
		a, _ := QRSAmplitude(s.Signal, s.RPeaks)
		plain := 10 * math.Log10(a*a/8/(ss/float64(len(noisy.Samples))))
		if math.Abs(plain-snr) > 0.5 {
			t.Errorf("white noise at %v dB: plain mean-square SNR %.2f", snr, plain)
		}
	}
	for _, tc := range []struct {
		opt  Options
		sig  ecg.Signal
		want string
	}{
		{Options{Kind: "pink", SNR: 0}, s.Signal, `unknown kind "pink"`},
		{Options{Kind: "white", SNR: math.NaN()}, s.Signal, "not a number"},
		{Options{Kind: "white"}, ecg.Signal{Samples: make([]float64, 3000), Rate: 300, Gain: 1000}, "no QRS complex"},
		{Options{Kind: "white"}, ecg.Signal{Samples: make([]float64, 30), Rate: 300, Gain: 1000}, "shorter than 1 s"},
		{Options{Kind: "white"}, ecg.Signal{Samples: make([]float64, 3000), Rate: 0, Gain: 1000}, "rate"},
	} {
		_, _, err := src.Add(tc.sig, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.opt, err, tc.want)
		}
	}
	if _, err := New(map[Kind][]ecg.Signal{"x": {{Samples: make([]float64, 10), Rate: 360, Gain: 200}}}); err == nil {
		t.Error("New accepted a 10-sample noise record")
	}
}
