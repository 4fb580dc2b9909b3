package qrs

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/ecgtest"
	"github.com/ecgrobust/ecgrobust/harness/ecg/wfdb"
)

// match counts detections within tol samples of a reference beat (each
// reference matched once).
func match(ref, det []int, tol int) (tp int) {
	j := 0
	for _, r := range ref {
		for j < len(det) && det[j] < r-tol {
			j++
		}
		if j < len(det) && det[j] <= r+tol {
			tp++
			j++
		}
	}
	return tp
}

func TestSynthetic(t *testing.T) {
	for _, c := range []ecgtest.Config{
		{Seconds: 60, HeartRate: 60, Seed: 1},
		{Seconds: 60, HeartRate: 150, Seed: 2},
		{Seconds: 60, HeartRate: 110, AF: true, Seed: 3},
		{Seconds: 60, HeartRate: 70, NoiseMicrovolts: 50, WanderMicrovolts: 300, Seed: 4},
		{Seconds: 60, HeartRate: 45, Rate: 360, Gain: 200, RAmplitude: -0.8, Seed: 5},
	} {
		s := ecgtest.Generate(c)
		det := Detect(s.Signal)
		tol := int(0.05 * s.Signal.Rate)
		tp := match(s.RPeaks, det, tol)
		if tp < len(s.RPeaks)-1 || len(det)-tp > 1 {
			t.Errorf("%+v: %d of %d beats found, %d false", c, tp, len(s.RPeaks), len(det)-tp)
		}
	}
	if d := Detect(ecg.Signal{Samples: make([]float64, 3000), Rate: 300, Gain: 1000}); len(d) != 0 {
		t.Errorf("flat line: %d beats", len(d))
	}
	if d := Detect(ecg.Signal{Samples: make([]float64, 10), Rate: 300, Gain: 1000}); d != nil {
		t.Errorf("short signal: %v", d)
	}
}

// TestMITDB scores the detector against the reference beat annotations
// of MIT-BIH records, resampled to 300 Hz as the harness uses them.
func TestMITDB(t *testing.T) {
	dir := os.Getenv("ECGROBUST_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "mitdb", "100.hea")); err != nil {
		t.Skipf("MIT-BIH data not found (%v): set ECGROBUST_DATA", err)
	}
	for _, tc := range []struct {
		name    string
		min     float64 // sensitivity and positive predictivity
		minutes int
	}{
		{"100", 0.995, 10}, {"103", 0.99, 10}, {"117", 0.99, 10}, {"119", 0.98, 10},
		{"201", 0.95, 10}, {"221", 0.97, 10},
	} {
		rec, err := wfdb.ReadRecord(filepath.Join(dir, "mitdb", tc.name))
		if err != nil {
			t.Fatal(err)
		}
		sig, _ := rec.Signal(0)
		n := tc.minutes * 60 * 360
		sig.Samples = sig.Samples[:n]
		sig, err = ecg.Resample(sig, 300)
		if err != nil {
			t.Fatal(err)
		}
		anns, err := wfdb.ReadAnnotations(filepath.Join(dir, "mitdb", tc.name+".atr"))
		if err != nil {
			t.Fatal(err)
		}
		var ref []int
		for _, b := range wfdb.Beats(anns) {
			// Skip beats within 1 s of the ends.
			if b > 360 && b < n-360 {
				ref = append(ref, b*300/360)
			}
		}
		var det []int
		for _, d := range Detect(sig) {
			if d > 300-45 && d < len(sig.Samples)-300+45 {
				det = append(det, d)
			}
		}
		tp := match(ref, det, 45) // 150 ms, as EC57
		se, pp := float64(tp)/float64(len(ref)), float64(tp)/float64(len(det))
		t.Logf("%s: Se %.4f, +P %.4f (%d beats, %d detections)", tc.name, se, pp, len(ref), len(det))
		if se < tc.min || pp < tc.min {
			t.Errorf("%s: Se %.4f, +P %.4f, want ≥ %.3f", tc.name, se, pp, tc.min)
		}
	}
}
