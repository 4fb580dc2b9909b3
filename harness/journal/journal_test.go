package journal

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/engine"
)

func rows(n int) []engine.RecordResult {
	snr := 31.25
	var out []engine.RecordResult
	for i := range n {
		out = append(out, engine.RecordResult{
			Record: "A0000" + string(rune('0'+i)), Attack: "sap", TrueLabel: "N", CleanLabel: "N",
			CleanScores: []float64{0.1, 0.2000000000000001, 1e-300, 0.7}, Attacked: true, AdvLabel: "A",
			Success: i%2 == 0, LinfUV: 9.999999999999998, L2UV: 123.456, SNRdB: &snr, Queries: int64(60 + i),
			Extra: map[string]float64{"budget_exhausted": 1},
		})
	}
	return out
}

func header() Header {
	return Header{Spec: "aa", Model: "bb", Dataset: "cc", Seed: 7, Shard: &engine.Shard{Index: 1, Count: 3}, HarnessVersion: "test"}
}

func write(t *testing.T, path string, rs []engine.RecordResult) {
	t.Helper()
	w, err := Create(path, header())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := w.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTripExact(t *testing.T) {
	path := filepath.Join(t.TempDir(), File)
	want := rows(5)
	write(t, path, want)
	c, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Torn {
		t.Error("Torn = true for an intact journal")
	}
	if !reflect.DeepEqual(c.Rows, want) {
		t.Errorf("rows differ after a round trip:\ngot  %+v\nwant %+v", c.Rows, want)
	}
	if c.Header.Mismatch(header()) != nil || c.Header.Format != Format {
		t.Errorf("header = %+v", c.Header)
	}
}

func TestTornLastLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, File)
	all := rows(4)
	write(t, path, all)
	b, _ := os.ReadFile(path)
	// Cut the file at every byte of the last line: the first three rows
	// always survive, the fourth never half-survives.
	lastStart := strings.LastIndex(strings.TrimSuffix(string(b), "\n"), "\n") + 1
	for cut := lastStart + 1; cut < len(b)-1; cut += 7 {
		if err := os.WriteFile(path, b[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		w, got, err := Resume(path, header())
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if !reflect.DeepEqual(got, all[:3]) {
			t.Fatalf("cut at %d: got %d rows, want the 3 intact ones", cut, len(got))
		}
		if err := w.Add(all[3]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		c, err := Read(path)
		if err != nil {
			t.Fatalf("cut at %d: after resume: %v", cut, err)
		}
		if !reflect.DeepEqual(c.Rows, all) || c.Torn {
			t.Fatalf("cut at %d: after resume got %d rows (torn %v), want 4", cut, len(c.Rows), c.Torn)
		}
	}
}

func TestCorruption(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	write(t, good, rows(3))
	b, _ := os.ReadFile(good)
	lines := strings.SplitAfter(string(b), "\n")
	tests := []struct {
		name, content, want string
	}{
		{"empty", "", "is empty"},
		{"torn header", lines[0][:10], "torn header"},
		{"bad middle line", lines[0] + "{\"record\":\n" + lines[2], ":2:"},
		{"unknown field", lines[0] + "{\"record\":\"x\",\"attack\":\"y\",\"bogus\":1}\n", "bogus"},
		{"duplicate", lines[0] + lines[1] + lines[1], "already written at line 2"},
		{"duplicate of a retried row", lines[0] + strings.Replace(lines[1], `"queries":60`, `"queries":60,"error":"plugin crashed"`, 1) + lines[1] + lines[1], "already written at line 3"},
		{"other format", strings.Replace(lines[0], Format, "v0", 1), "format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			os.WriteFile(p, []byte(tt.content), 0o644)
			_, err := Read(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read: err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestResumeRejectsOtherRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), File)
	write(t, path, rows(2))
	h := header()
	h.Model = "zz"
	if _, _, err := Resume(path, h); err == nil || !strings.Contains(err.Error(), "model sha256") {
		t.Errorf("Resume with another model: err = %v, want a model sha256 mismatch", err)
	}
	h = header()
	h.HarnessVersion = "other"
	if _, _, err := Resume(path, h); err == nil || !strings.Contains(err.Error(), "harness version") {
		t.Errorf("Resume with another harness: err = %v, want a version mismatch", err)
	}
	h = header()
	h.Shard = nil
	if _, _, err := Resume(path, h); err == nil || !strings.Contains(err.Error(), "shard") {
		t.Errorf("Resume with another shard: err = %v, want a shard mismatch", err)
	}
}

func TestWriteErrorSticks(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	w := &Writer{path: "/dev/full"}
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	w.f = f
	w.w = newBuf(f)
	_ = w.Add(rows(1)[0])
	if err := w.Sync(); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Fatalf("Sync on a full disk: err = %v, want ENOSPC", err)
	}
	if err := w.Add(rows(1)[0]); err == nil {
		t.Error("Add after a failed Sync succeeded; want the sticky error")
	}
	w.Close()
}

func TestRetriedRowReplacesErrored(t *testing.T) {
	path := filepath.Join(t.TempDir(), File)
	rs := rows(2)
	bad := rs[0]
	bad.Error = "plugin crashed"
	write(t, path, []engine.RecordResult{bad, rs[1], rs[0]})
	c, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rows) != 2 || !reflect.DeepEqual(c.Rows[0], rs[0]) {
		t.Errorf("rows = %+v, want the retried row in place of the errored one", c.Rows)
	}
}
