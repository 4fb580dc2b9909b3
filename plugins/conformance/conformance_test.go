package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/plugins/host"
)

var exampleBin, faultyBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "conformance-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	exampleBin = filepath.Join(dir, "example-go")
	faultyBin = filepath.Join(dir, "faulty")
	for bin, pkg := range map[string]string{
		exampleBin: "github.com/ecgrobust/ecgrobust/plugins/examples/go",
		faultyBin:  "github.com/ecgrobust/ecgrobust/plugins/internal/fixture/faulty",
	} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	host.Cleanup()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestBinaryExample(t *testing.T) {
	TestBinary(t, exampleBin)
}

func TestCheckBinaryReport(t *testing.T) {
	r, err := CheckBinary(context.Background(), host.Config{Path: exampleBin}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Passed {
		t.Fatalf("example plugin failed: %+v", r.Failed())
	}
	want := []string{"describe", "predict", "deterministic", "batch invariance", "rejects wrong length",
		"rejects empty batch", "rejects NaN input", "gradient cross_entropy", "gradient logit_margin",
		"latency predict", "latency gradient", "shutdown"}
	var got []string
	for _, it := range r.Items {
		got = append(got, it.Name)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("items %q, want %q", got, want)
	}
	for _, it := range r.Items {
		if strings.HasPrefix(it.Name, "gradient") && (it.Figure == nil || *it.Figure < 0.999) {
			t.Errorf("%s: cosine %v, want ≥ 0.999 for an exact gradient", it.Name, it.Figure)
		}
	}
	var text, js bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "PASS: 10 passed, 0 failed") || !strings.Contains(text.String(), "example-go 1.0.0") {
		t.Errorf("text report:\n%s", text.String())
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || !back.Passed || len(back.Items) != len(r.Items) {
		t.Errorf("JSON round trip: %v, %+v", err, back)
	}
}

func TestCheckCatchesBadPlugins(t *testing.T) {
	tests := []struct {
		mode, item, detail string
	}{
		{"noisy", "deterministic", "max |Δscore|"},
		{"badgrad", "gradient cross_entropy", "cosine -1"},
		{"nan", "", ""}, // healthy unless poisoned: passes
		{"gradless", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			r, err := CheckBinary(context.Background(), host.Config{Path: faultyBin, Args: []string{"-mode=" + tt.mode}, CallTimeout: 30 * time.Second},
				Options{Signals: 2, Length: 600, Directions: 2, Repeats: 1})
			if err != nil {
				t.Fatal(err)
			}
			failed := r.Failed()
			if tt.item == "" {
				if len(failed) > 0 {
					t.Errorf("unexpected failures %+v", failed)
				}
				return
			}
			for _, it := range failed {
				if it.Name == tt.item && strings.Contains(it.Detail, tt.detail) {
					return
				}
			}
			t.Errorf("want %q to fail with %q; failed: %+v", tt.item, tt.detail, failed)
		})
	}
}

func TestCheckBinaryNoStart(t *testing.T) {
	_, err := CheckBinary(context.Background(), host.Config{Path: faultyBin, Args: []string{"-mode=silent"}, StartTimeout: 5 * time.Second}, Options{})
	if err == nil || !strings.Contains(err.Error(), "handshake") {
		t.Errorf("err = %v, want a handshake error", err)
	}
}
