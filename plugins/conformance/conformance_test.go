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
	want := []string{"describe", "transport", "predict", "deterministic", "batch invariance", "rejects wrong length",
		"rejects empty batch", "rejects NaN input", "gradient cross_entropy", "gradient logit_margin",
		"shared memory = bytes", "latency predict", "latency gradient", "shutdown"}
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
	if r.Transport == nil || *r.Transport != (Transport{Mode: SharedMemory, Declared: true, Doorbell: true}) {
		t.Errorf("transport %+v, want shared memory, declared", r.Transport)
	}
	for _, it := range r.Items {
		if it.Name == "shared memory = bytes" && (it.Status != Pass || it.Figure == nil || *it.Figure != 0 ||
			!strings.Contains(it.Detail, "input gradient cross_entropy: max relative |Δgradient| = 0")) {
			t.Errorf("%s: %s, figure %v, %q; want a pass, bit-identical scores and gradients", it.Name, it.Status, it.Figure, it.Detail)
		}
	}
	for _, l := range []*Latency{r.Predict, r.Gradient} {
		if l == nil || l.Transport != SharedMemory {
			t.Errorf("latency %+v, want one measured with shared memory", l)
		}
	}
	for _, l := range []*Latency{r.PredictBytes, r.GradientBytes} {
		if l == nil || l.Transport != BytesInMessages {
			t.Errorf("latency %+v, want one measured with bytes in messages", l)
		}
	}
	var text, js bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "PASS: 12 passed, 0 failed") || !strings.Contains(text.String(), "example-go 1.0.0") ||
		!strings.Contains(text.String(), "transport shared memory (declares capabilities.shared_memory, Predict over the doorbell)") ||
		!strings.Contains(text.String(), "with bytes in messages (") {
		t.Errorf("text report:\n%s", text.String())
	}
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || !back.Passed || len(back.Items) != len(r.Items) ||
		back.Transport == nil || back.Transport.Mode != SharedMemory || back.PredictBytes == nil {
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

// TestCheckTransport runs the transport items on the fixture's transport
// modes: no capability (the comparison is skipped), a capability it cannot
// honour (the transport fails) and shared-memory answers that differ from
// byte answers (the comparison fails).
func TestCheckTransport(t *testing.T) {
	tests := []struct {
		mode      string
		transport Transport
		items     map[string]Status // name → status
		failed    string            // detail of a failed item, "" when none fails
	}{
		{"noshm", Transport{Mode: BytesInMessages}, map[string]Status{"transport": Info, "shared memory = bytes": Skip}, ""},
		{"shm-nomap", Transport{Mode: BytesInMessages, Declared: true}, map[string]Status{"transport": Fail, "shared memory = bytes": Skip},
			"declares capabilities.shared_memory but the host fell back: mapping the region failed"},
		{"shm-skew", Transport{Mode: SharedMemory, Declared: true}, map[string]Status{"transport": Pass, "shared memory = bytes": Fail},
			"max |Δscore| = 0.001"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			r, err := CheckBinary(context.Background(), host.Config{Path: faultyBin, Args: []string{"-mode=" + tt.mode}, CallTimeout: 30 * time.Second},
				Options{Signals: 2, Length: 600, Repeats: 1})
			if err != nil {
				t.Fatal(err)
			}
			wantFallback := tt.transport.Declared && tt.transport.Mode == BytesInMessages
			if r.Transport == nil || r.Transport.Mode != tt.transport.Mode || r.Transport.Declared != tt.transport.Declared ||
				(r.Transport.Fallback != "") != wantFallback {
				t.Errorf("transport %+v, want %+v", r.Transport, tt.transport)
			}
			for _, it := range r.Items {
				if want, ok := tt.items[it.Name]; ok && it.Status != want {
					t.Errorf("%s: %s (%s), want %s", it.Name, it.Status, it.Detail, want)
				}
			}
			var failed []string
			for _, it := range r.Failed() {
				failed = append(failed, it.Name+": "+it.Detail)
			}
			if tt.failed == "" && len(failed) > 0 || tt.failed != "" && (len(failed) != 1 || !strings.Contains(failed[0], tt.failed)) {
				t.Errorf("failed %q, want only %q", failed, tt.failed)
			}
			if r.PredictBytes != nil != (tt.transport.Mode == SharedMemory) {
				t.Errorf("bytes latency %+v with transport %s", r.PredictBytes, tt.transport.Mode)
			}
			var text bytes.Buffer
			if err := r.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(text.String(), "transport "+tt.transport.Mode) {
				t.Errorf("text report without the transport %q:\n%s", tt.transport.Mode, text.String())
			}
		})
	}
}

func TestCheckBinaryNoStart(t *testing.T) {
	_, err := CheckBinary(context.Background(), host.Config{Path: faultyBin, Args: []string{"-mode=silent"}, StartTimeout: 5 * time.Second}, Options{})
	if err == nil || !strings.Contains(err.Error(), "handshake") {
		t.Errorf("err = %v, want a handshake error", err)
	}
}
