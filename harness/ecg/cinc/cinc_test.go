package cinc_test

import (
	"archive/zip"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/cinc"
)

// dataDir returns the shared data directory ($ECGROBUST_DATA or
// ../shared/data seen from the repository root) or skips the test.
func dataDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("ECGROBUST_DATA")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "..", "shared", "data")
	}
	if _, err := os.Stat(filepath.Join(dir, "cinc2017", "training2017.zip")); err != nil {
		t.Skipf("CinC 2017 data not found (%v): set ECGROBUST_DATA to the directory holding cinc2017/training2017.zip", err)
	}
	return dir
}

func TestOpenZipCounts(t *testing.T) {
	dir := dataDir(t)
	d, err := cinc.Open(filepath.Join(dir, "cinc2017", "training2017.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	counts := map[string]int{}
	for _, l := range d.Labels() {
		counts[l.Label]++
	}
	// The final (v3) REFERENCE.csv in PhysioNet's zip. The challenge web
	// page's table (N 5,050, A 738, O 2,456, ~ 284) describes an earlier
	// labelling and does not match the file; split-han2020.csv agrees with
	// the file (checked in TestHan2020Split).
	want := map[string]int{"N": 5076, "A": 758, "O": 2415, "~": 279}
	if d.Len() != 8528 || len(counts) != len(want) {
		t.Fatalf("Len = %d, counts %v; want 8528, %v", d.Len(), counts, want)
	}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("label %s: %d records, want %d", k, counts[k], v)
		}
	}

	minLen, maxLen := 1<<30, 0
	i := 0
	err = d.Each(context.Background(), d.IDs(), cinc.Options{Length: ecg.Han2020Length}, func(r ecg.Record) error {
		defer func() { i++ }()
		if r.ID != d.Labels()[i].ID || r.Label != d.Labels()[i].Label {
			t.Fatalf("record %d is %s/%s, want %v", i, r.ID, r.Label, d.Labels()[i])
		}
		if len(r.Signal.Samples) != ecg.Han2020Length || r.Signal.Rate != 300 || r.Signal.Gain != 1000 {
			t.Fatalf("%s: %d samples at %v Hz, %v adu/mV", r.ID, len(r.Signal.Samples), r.Signal.Rate, r.Signal.Gain)
		}
		n := r.Valid.Len()
		minLen, maxLen = min(minLen, n), max(maxLen, n)
		if pad := ecg.Han2020Length - n; r.Valid.Start != pad/2 {
			t.Fatalf("%s: valid span %v, want start %d", r.ID, r.Valid, pad/2)
		}
		return nil
	})
	if err != nil || i != 8528 {
		t.Fatalf("Each: %d records, %v", i, err)
	}
	// Records last 9–61 s; the longest are cut to 60 s.
	if minLen != 2714 || maxLen != ecg.Han2020Length {
		t.Errorf("valid lengths %d..%d, want 2714..18000", minLen, maxLen)
	}
}

func TestRecordA00001(t *testing.T) {
	d, err := cinc.Open(filepath.Join(dataDir(t), "cinc2017"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	r, err := d.Record("A00001")
	if err != nil {
		t.Fatal(err)
	}
	// First samples from the file bytes: 0xff81, 0xff5e, 0xff3b.
	if r.Label != "N" || len(r.Signal.Samples) != 9000 || r.Signal.Samples[0] != -127 || r.Signal.Samples[1] != -162 || r.Signal.Samples[2] != -197 {
		t.Errorf("A00001: label %q, %d samples starting %v", r.Label, len(r.Signal.Samples), r.Signal.Samples[:3])
	}
	if r.Valid != (ecg.Span{}) {
		t.Errorf("raw record has Valid %v, want zero", r.Valid)
	}
	p := ecg.Han2020(r)
	if p.Valid != (ecg.Span{Start: 4500, End: 13500}) || p.Signal.Samples[4500] != -127 || p.Signal.Samples[4499] != 0 {
		t.Errorf("Han2020(A00001): valid %v", p.Valid)
	}
	if _, err := d.Record("B99999"); err == nil || !strings.Contains(err.Error(), "B99999") {
		t.Errorf("unknown record: error %v, want one naming it", err)
	}
}

// TestDirMatchesZip unpacks a few records into a directory and checks that
// both layouts decode alike.
func TestDirMatchesZip(t *testing.T) {
	zipPath := filepath.Join(dataDir(t), "cinc2017", "training2017.zip")
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	tmp := filepath.Join(t.TempDir(), "training2017")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{"A00001.mat": true, "A00004.mat": true, "A08528.mat": true}
	var ref string
	for _, f := range zr.File {
		base := filepath.Base(f.Name)
		if !keep[base] && base != "REFERENCE.csv" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if base == "REFERENCE.csv" {
			for _, line := range strings.Split(string(b), "\n") {
				if keep[strings.SplitN(line, ",", 2)[0]+".mat"] {
					ref += line + "\n"
				}
			}
			continue
		}
		if err := os.WriteFile(filepath.Join(tmp, base), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, "REFERENCE.csv"), []byte(ref), 0o644); err != nil {
		t.Fatal(err)
	}
	dd, err := cinc.Open(filepath.Dir(tmp))
	if err != nil {
		t.Fatal(err)
	}
	defer dd.Close()
	dz, err := cinc.Open(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer dz.Close()
	if dd.Len() != 3 {
		t.Fatalf("directory has %d records, want 3", dd.Len())
	}
	opt := cinc.Options{Length: ecg.Han2020Length}
	a, err := dd.Load(context.Background(), dd.IDs(), opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dz.Load(context.Background(), dd.IDs(), opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].Label != b[i].Label || a[i].Valid != b[i].Valid || !equal(a[i].Signal.Samples, b[i].Signal.Samples) {
			t.Errorf("record %s differs between directory and zip", a[i].ID)
		}
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHan2020Split(t *testing.T) {
	s := cinc.Han2020Split()
	train, test := s.Part(cinc.Train), s.Part(cinc.Test)
	if len(train) != 7675 || len(test) != 853 {
		t.Fatalf("split %d/%d, want 7675/853", len(train), len(test))
	}
	want := map[string]int{"N": 509, "A": 84, "O": 229, "~": 31}
	got := test.Counts()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("test label %s: %d, want %d", k, got[k], v)
		}
	}
	// The embedded copy is the shared file, and its labels agree with
	// REFERENCE.csv.
	dir := dataDir(t)
	shared, err := cinc.LoadSplit(filepath.Join(dir, "cinc2017", "split-han2020.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(shared) != len(s) {
		t.Fatalf("shared split has %d rows, embedded %d", len(shared), len(s))
	}
	for i := range s {
		if s[i] != shared[i] {
			t.Fatalf("row %d: embedded %v, shared %v", i, s[i], shared[i])
		}
	}
	d, err := cinc.Open(filepath.Join(dir, "cinc2017"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, a := range s {
		if l, ok := d.Label(a.ID); !ok || l != a.Label {
			t.Fatalf("%s: split label %s, REFERENCE.csv %q", a.ID, a.Label, l)
		}
	}
}

func TestStratify(t *testing.T) {
	test := cinc.Han2020Split().Part(cinc.Test)
	pick := func(seed uint64) cinc.Split {
		s, err := test.Stratify(ecg.CinCClasses, 10, rand.New(rand.NewPCG(seed, 0)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, b, c := pick(1), pick(1), pick(2)
	if len(a) != 40 {
		t.Fatalf("%d picked, want 40", len(a))
	}
	for _, k := range ecg.CinCClasses {
		if a.Counts()[k] != 10 {
			t.Errorf("class %s: %d picked, want 10", k, a.Counts()[k])
		}
	}
	same := true
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed gave different picks at %d", i)
		}
		same = same && a[i] == c[i]
	}
	if same {
		t.Error("seeds 1 and 2 gave the same picks")
	}
	if _, err := test.Stratify([]string{"~"}, 32, rand.New(rand.NewPCG(1, 0))); err == nil {
		t.Error("drawing 32 of the 31 noisy test records did not fail")
	}
}

func TestParseSplitErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "empty split file"},
		{"record,label\nA,N\n", `lacks column "split"`},
		{"record,label,split\nA00001,N,train\nA00001,N,test\n", "x.csv:3: record A00001 already listed on line 2"},
		{"record,label,split\nA00001,,train\n", "x.csv:2: empty"},
		{"record,label,split\nA00001,N\n", "x.csv:2: 2 fields"},
		{"record,label,split\n", "no records"},
	} {
		_, err := cinc.ParseSplit(strings.NewReader(tc.in), "x.csv")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSplit(%q) error %v, want %q", tc.in, err, tc.want)
		}
	}
	s, err := cinc.ParseSplit(strings.NewReader("split,record,label,extra\ntest,A1,N,x\n\ntrain,A2,~,y\n"), "x.csv")
	if err != nil || len(s) != 2 || s[1] != (cinc.Assignment{ID: "A2", Label: "~", Split: "train"}) {
		t.Errorf("reordered columns: %v, %v", s, err)
	}
}

func TestParseReferenceErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"A00001,N\nA00002\n", "REFERENCE.csv:2:"},
		{"A00001,N\nA00001,A\n", "already listed on line 1"},
		{"\n\n", "no records"},
	} {
		_, err := cinc.ParseReference(strings.NewReader(tc.in), "REFERENCE.csv")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseReference(%q) error %v, want %q", tc.in, err, tc.want)
		}
	}
}
