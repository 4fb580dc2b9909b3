package demo_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/cinc"
	"github.com/ecgrobust/ecgrobust/harness/ecg/demo"
)

func TestRecords(t *testing.T) {
	recs, err := demo.Records()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 40 {
		t.Fatalf("%d records, want 40", len(recs))
	}
	counts := map[string]int{}
	split := map[string]cinc.Assignment{}
	for _, a := range cinc.Han2020Split() {
		split[a.ID] = a
	}
	for i, r := range recs {
		counts[r.Label]++
		if a := split[r.ID]; a.Split != cinc.Test || a.Label != r.Label {
			t.Errorf("%s (%s) is %+v in the Han 2020 split", r.ID, r.Label, a)
		}
		if i > 0 && recs[i-1].ID >= r.ID {
			t.Errorf("records not in ID order at %d", i)
		}
		if r.Signal.Rate != 300 || r.Signal.Gain != 1000 || len(r.Signal.Samples) < 2700 || r.Valid != (ecg.Span{}) {
			t.Errorf("%s: %d samples at %v Hz, %v adu/mV, valid %v", r.ID, len(r.Signal.Samples), r.Signal.Rate, r.Signal.Gain, r.Valid)
		}
	}
	for _, c := range ecg.CinCClasses {
		if counts[c] != demo.PerClass {
			t.Errorf("class %s: %d records", c, counts[c])
		}
	}
	if n := len(demo.Zip()); n > 1<<20 {
		t.Errorf("demo.zip is %d bytes, over 1 MiB", n)
	}
}

// TestSelection checks that the embedded records are the documented draw.
func TestSelection(t *testing.T) {
	pick, err := cinc.Han2020Split().Part(cinc.Test).Stratify(ecg.CinCClasses, demo.PerClass, rand.New(rand.NewPCG(demo.Seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	d, err := demo.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got := d.IDs()
	if strings.Join(got, ",") != strings.Join(pick.IDs(), ",") {
		t.Errorf("embedded %v, draw gives %v", got, pick.IDs())
	}
}

// TestChecksums verifies SHA256SUMS inside the archive and, when the full
// data is present, that every file is byte-identical to PhysioNet's.
func TestChecksums(t *testing.T) {
	zr, err := zip.NewReader(bytes.NewReader(demo.Zip()), int64(len(demo.Zip())))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(f.Name)] = b
	}
	sums := strings.Split(strings.TrimSpace(string(files["SHA256SUMS"])), "\n")
	if len(sums) != 40 {
		t.Fatalf("SHA256SUMS has %d lines", len(sums))
	}
	for _, line := range sums {
		sum, name, _ := strings.Cut(line, "  ")
		if got := fmt.Sprintf("%x", sha256.Sum256(files[name])); got != sum {
			t.Errorf("%s: sha256 %s, SHA256SUMS says %s", name, got, sum)
		}
	}

	dir := os.Getenv("ECGROBUST_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "data")
	}
	full, err := cinc.Open(filepath.Join(dir, "cinc2017"))
	if err != nil {
		t.Skipf("full CinC 2017 data not found, byte comparison skipped (set ECGROBUST_DATA): %v", err)
	}
	defer full.Close()
	for name, b := range files {
		id, ok := strings.CutSuffix(name, ".mat")
		if !ok {
			continue
		}
		orig, err := full.MAT(id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(orig, b) {
			t.Errorf("%s differs from training2017.zip", name)
		}
	}
}
