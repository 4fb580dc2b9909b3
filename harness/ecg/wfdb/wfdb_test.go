package wfdb_test

import (
	"archive/zip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg/cinc"
	"github.com/ecgrobust/ecgrobust/harness/ecg/wfdb"
)

func dataDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("ECGROBUST_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "mitdb", "100.hea")); err != nil {
		t.Skipf("MIT-BIH data not found (%v): set ECGROBUST_DATA to the directory holding mitdb/ and nstdb/", err)
	}
	return dir
}

var (
	mitdb   = []string{"100", "103", "113", "117", "118", "119", "201", "202", "203", "210", "219", "221", "222"}
	withAF  = []string{"201", "202", "203", "210", "219", "221", "222"}
	nstdb   = []string{"118e00", "118e_6", "bw", "ma"}
	nstNote = map[string]bool{"bw": true, "ma": true}
)

func TestMITDB(t *testing.T) {
	dir := dataDir(t)
	for _, name := range mitdb {
		rec, err := wfdb.ReadRecord(filepath.Join(dir, "mitdb", name))
		if err != nil {
			t.Fatal(err)
		}
		h := rec.Header
		if h.Name != name || h.Rate != 360 || h.NumSamples != 650000 || len(h.Signals) != 2 {
			t.Fatalf("%s: header %+v", name, h)
		}
		for i, s := range h.Signals {
			if s.Format != 212 || s.Gain != 200 || s.GainDefaulted || s.Baseline != 1024 || s.Units != "mV" || s.ADCRes != 11 || !s.HasChecksum || s.Checksum == 0 {
				t.Errorf("%s signal %d: %+v", name, i, s)
			}
			if len(rec.Samples[i]) != 650000 {
				t.Errorf("%s signal %d: %d samples", name, i, len(rec.Samples[i]))
			}
			// mitdb's initial values are right; ReadRecord does not
			// enforce them, so check here.
			if rec.Samples[i][0] != s.InitValue {
				t.Errorf("%s signal %d: first sample %d, initval %d", name, i, rec.Samples[i][0], s.InitValue)
			}
		}
		sig, err := rec.Signal(0)
		if err != nil {
			t.Fatal(err)
		}
		if sig.Rate != 360 || sig.Gain != 200 || sig.Samples[0] != float64(rec.Samples[0][0]-1024) {
			t.Errorf("%s: signal %v Hz, %v adu/mV, first %v", name, sig.Rate, sig.Gain, sig.Samples[0])
		}

		anns, err := wfdb.ReadAnnotations(filepath.Join(dir, "mitdb", name+".atr"))
		if err != nil {
			t.Fatal(err)
		}
		beats := wfdb.Beats(anns)
		if len(beats) < 1000 || !slices.IsSorted(beats) || beats[len(beats)-1] >= 650000 {
			t.Errorf("%s: %d beats", name, len(beats))
		}
		eps := wfdb.Episodes(anns, 650000)
		hasAF := false
		for i, e := range eps {
			hasAF = hasAF || e.Rhythm == "AFIB"
			if i > 0 && e.Start != eps[i-1].End {
				t.Errorf("%s: episodes %v and %v not contiguous", name, eps[i-1], e)
			}
		}
		if want := slices.Contains(withAF, name); hasAF != want {
			t.Errorf("%s: AF episode %v, want %v (%v)", name, hasAF, want, eps)
		}
		if len(eps) == 0 || eps[len(eps)-1].End != 650000 {
			t.Errorf("%s: episodes %v", name, eps)
		}
	}
}

// TestMITDB100 pins well-known facts of record 100: 2,273 beats, of
// which 33 are atrial premature beats (A) and one a PVC (V), all in normal
// sinus rhythm.
func TestMITDB100(t *testing.T) {
	anns, err := wfdb.ReadAnnotations(filepath.Join(dataDir(t), "mitdb", "100.atr"))
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, a := range anns {
		count[wfdb.Mnemonic(a.Type)]++
	}
	if n := len(wfdb.Beats(anns)); n != 2273 || count["A"] != 33 || count["V"] != 1 || count["N"] != 2239 {
		t.Errorf("100: %d beats, counts %v", n, count)
	}
	if eps := wfdb.Episodes(anns, 650000); len(eps) != 1 || eps[0].Rhythm != "N" {
		t.Errorf("100: episodes %v", eps)
	}
	if anns[0].Type != wfdb.CodeRhythm || anns[0].Aux != "(N" || anns[0].Sample != 18 {
		t.Errorf("100: first annotation %+v", anns[0])
	}
}

func TestNSTDB(t *testing.T) {
	dir := dataDir(t)
	for _, name := range nstdb {
		rec, err := wfdb.ReadRecord(filepath.Join(dir, "nstdb", name+".hea"))
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range rec.Header.Signals {
			if len(rec.Samples[i]) != 650000 {
				t.Errorf("%s signal %d: %d samples", name, i, len(rec.Samples[i]))
			}
			if nstNote[name] != s.GainDefaulted || s.Gain != 200 {
				t.Errorf("%s signal %d: gain %v (defaulted %v)", name, i, s.Gain, s.GainDefaulted)
			}
			wantFormat := 16
			if nstNote[name] {
				wantFormat = 212
			}
			if s.Format != wantFormat {
				t.Errorf("%s signal %d: format %d", name, i, s.Format)
			}
		}
	}
	// 118e00 carries 118's annotations.
	a, err := wfdb.ReadAnnotations(filepath.Join(dir, "nstdb", "118e00.atr"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := wfdb.ReadAnnotations(filepath.Join(dir, "mitdb", "118.atr"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(wfdb.Beats(a), wfdb.Beats(b)) {
		t.Error("118e00 beats differ from 118's")
	}
}

func TestCinCValidationHeaders(t *testing.T) {
	dir := filepath.Join(dataDir(t), "cinc2017", "validation-official")
	names, err := filepath.Glob(filepath.Join(dir, "A*.hea"))
	if err != nil || len(names) != 300 {
		t.Fatalf("%d headers, %v", len(names), err)
	}
	for _, n := range names {
		h, err := wfdb.ReadHeader(n)
		if err != nil {
			t.Fatal(err)
		}
		s := h.Signals[0]
		if h.Rate != 300 || len(h.Signals) != 1 || s.Format != 16 || s.Offset != 24 || s.Gain != 1000 || s.Checksum != 0 || s.File != h.Name+".mat" {
			t.Fatalf("%s: %+v %+v", n, h, s)
		}
	}
}

// TestCinCThroughWFDB reads A00001.mat through its PhysioNet header (format
// 16 at byte offset 24) and checks it matches the MAT v4 reader.
func TestCinCThroughWFDB(t *testing.T) {
	data := dataDir(t)
	tmp := t.TempDir()
	hea, err := os.ReadFile(filepath.Join(data, "cinc2017", "validation-official", "A00001.hea"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tmp, "A00001.hea"), hea, 0o644)
	zr, err := zip.OpenReader(filepath.Join(data, "cinc2017", "training2017.zip"))
	if err != nil {
		t.Skip(err)
	}
	defer zr.Close()
	rc, err := zr.Open("training2017/A00001.mat")
	if err != nil {
		t.Fatal(err)
	}
	mat, _ := io.ReadAll(rc)
	rc.Close()
	os.WriteFile(filepath.Join(tmp, "A00001.mat"), mat, 0o644)

	rec, err := wfdb.ReadRecord(filepath.Join(tmp, "A00001"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := rec.Signal(0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := cinc.DecodeMAT(mat)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sig.Samples, m.Float64s()) || sig.Gain != 1000 || sig.Rate != 300 {
		t.Errorf("A00001 via WFDB differs from the MAT reader")
	}
	if !strings.HasPrefix(rec.Header.BaseDate, "1/05/2000") || rec.Header.BaseTime != "05:05:15" {
		t.Errorf("base time/date %q %q", rec.Header.BaseTime, rec.Header.BaseDate)
	}
}
