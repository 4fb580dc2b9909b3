package conformance

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/plugins/host"
)

// CheckBinary starts the plugin cfg describes through the host, runs Check
// on it, stops it and adds a "shutdown" item: the process must be gone
// within 3 s of Close. It returns an error only when the plugin cannot be
// started; every other problem is a failed item of the report.
func CheckBinary(ctx context.Context, cfg host.Config, opts Options) (Report, error) {
	p, err := host.Open(ctx, cfg)
	if err != nil {
		return Report{}, fmt.Errorf("start plugin: %w", err)
	}
	defer p.Close()
	if opts.Target == "" {
		opts.Target = cfg.Path
	}
	r := Check(ctx, p, opts)
	if c := p.Counts(); c.Restarts > 0 {
		r.add(Item{Name: "stability", Status: Fail, Detail: fmt.Sprintf("the plugin crashed or hung and was restarted %d times", c.Restarts)})
	}
	pid := p.PID()
	start := time.Now()
	p.Close()
	for pid > 0 && running(pid) && time.Since(start) < 3*time.Second {
		time.Sleep(10 * time.Millisecond)
	}
	if pid > 0 && running(pid) {
		r.add(Item{Name: "shutdown", Status: Fail, Detail: fmt.Sprintf("process %d still runs 3 s after Close", pid)})
	} else {
		ms := float64(time.Since(start).Microseconds()) / 1000
		r.add(Item{Name: "shutdown", Status: Pass, Figure: figure(ms), Detail: fmt.Sprintf("process gone %.0f ms after Close", ms)})
	}
	return r, nil
}

// running reports whether pid is a live (not zombie) process.
func running(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}

// TestBinary runs the conformance battery on the plugin binary at path and
// reports each failed item with t.Error. Plugin authors call it from their
// own Go tests:
//
//	func TestConformance(t *testing.T) {
//		conformance.TestBinary(t, "./bin/my-plugin")
//	}
func TestBinary(t testing.TB, path string) {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := CheckBinary(ctx, host.Config{Path: abs, CallTimeout: time.Minute}, Options{})
	if err != nil {
		t.Fatalf("conformance: %v", err)
	}
	for _, it := range r.Items {
		if it.Status == Fail {
			t.Errorf("conformance: %s: %s", it.Name, it.Detail)
		} else {
			t.Logf("conformance: %s %s: %s", it.Status, it.Name, it.Detail)
		}
	}
}
