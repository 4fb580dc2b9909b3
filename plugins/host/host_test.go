package host

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/internal/fixture"
)

// Binaries built once by TestMain.
var (
	exampleBin string // plugins/examples/go
	faultyBin  string // plugins/internal/fixture/faulty
)

func TestMain(m *testing.M) {
	if os.Getenv("HOST_HELPER_PLUGIN") != "" { // helper process: no fixtures needed
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "host-test")
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
		out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	Cleanup()
	os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is a log sink safe for the plugin's log goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// processes returns the pids of live or zombie processes running path.
func processes(t *testing.T, path string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc to inspect the process table: %v", err)
	}
	var pids []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		// arg0 for a binary; arg1 for a script run by its interpreter.
		if args := strings.Split(string(cmdline), "\x00"); args[0] == path || len(args) > 1 && args[1] == path {
			pids = append(pids, pid)
		} else if len(cmdline) == 0 { // zombie: check its parent and name
			stat, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			if strings.Contains(string(stat), "("+filepath.Base(path)[:min(15, len(filepath.Base(path)))]+")") &&
				strings.Contains(string(stat), fmt.Sprintf(" %d ", os.Getpid())) {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// assertNoProcess fails unless no process runs path within a grace period.
func assertNoProcess(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		pids := processes(t, path)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("orphan plugin processes %v still run %s", pids, path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// signals returns n seeded smooth signals of length samples; the first of
// them is poisoned when poison is set.
func signals(n, length int, poison bool) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		s := make([]float64, length)
		for j := range s {
			s[j] = 800*math.Sin(2*math.Pi*float64(j)/300*(1+0.1*float64(i))) + 50*float64(i)
		}
		out[i] = s
	}
	if poison && n > 0 {
		out[0][0] = fixture.Poison
	}
	return out
}

func openT(t *testing.T, cfg Config) *Plugin {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger, _ = testLogger()
	}
	p, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestExamplePlugin(t *testing.T) {
	p := openT(t, Config{Path: exampleBin})
	info := p.Info()
	if info.Name != "example-go" || strings.Join(info.Classes, "") != "NAO~" || info.SampleRate != 300 ||
		info.Gain != 1000 || info.MinLength != 18000 || info.MaxLength != 18000 || !info.InputGradient || info.Scores != model.Logits {
		t.Errorf("Info = %+v", info)
	}
	x := signals(3, 18000, false)
	scores, err := p.Predict(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	if len(scores) != 3 || len(scores[0]) != 4 {
		t.Fatalf("scores shape %dx%d, want 3x4", len(scores), len(scores[0]))
	}
	grads, gscores, err := p.InputGradient(context.Background(), x, []int{0, 1, 2}, model.CrossEntropy)
	if err != nil {
		t.Fatal(err)
	}
	if len(grads) != 3 || len(grads[2]) != 18000 {
		t.Fatalf("gradient shape wrong: %d signals", len(grads))
	}
	for c := range scores[1] {
		if gscores[1][c] != scores[1][c] {
			t.Errorf("InputGradient scores %v differ from Predict %v", gscores[1], scores[1])
		}
	}
	// The gradient of CE along x itself, against a central difference.
	const h = 1.0
	ce := func(s []float64) float64 {
		sc, err := p.Predict(context.Background(), [][]float64{s})
		if err != nil {
			t.Fatal(err)
		}
		return -math.Log(model.Softmax(nil, sc[0])[0])
	}
	dir := make([]float64, len(x[0]))
	var want float64
	for j := range dir {
		dir[j] = math.Sin(2 * math.Pi * float64(j) / 3000)
		want += grads[0][j] * dir[j]
	}
	plus, minus := make([]float64, len(dir)), make([]float64, len(dir))
	for j := range dir {
		plus[j], minus[j] = x[0][j]+h*dir[j], x[0][j]-h*dir[j]
	}
	fd := (ce(plus) - ce(minus)) / (2 * h)
	if math.Abs(fd-want) > 1e-2*math.Abs(want)+1e-7 {
		t.Errorf("directional derivative %g, central difference %g", want, fd)
	}
	c := p.Counts()
	if c.PredictCalls != 3 || c.PredictSignals != 5 || c.GradientCalls != 1 || c.GradientSignals != 3 || c.Restarts != 0 {
		t.Errorf("Counts = %+v, want 3 predict calls of 5 signals, 1 gradient call of 3", c)
	}
	pid := p.PID()
	if pid == 0 {
		t.Fatal("PID = 0 while running")
	}
	p.Close()
	assertNoProcess(t, exampleBin)
	if _, err := p.Predict(context.Background(), x); !errors.Is(err, ErrClosed) {
		t.Errorf("Predict after Close: %v, want ErrClosed", err)
	}
}

func TestRejectedInput(t *testing.T) {
	p := openT(t, Config{Path: exampleBin})
	for name, x := range map[string][][]float64{
		"short": {make([]float64, 10)},
		"empty": {},
		"nan":   {append(make([]float64, 17999), math.NaN())},
	} {
		_, err := p.Predict(context.Background(), x)
		if !errors.Is(err, ErrRejected) {
			t.Errorf("%s: err = %v, want ErrRejected", name, err)
		}
	}
	if _, err := p.Predict(context.Background(), signals(1, 18000, false)); err != nil {
		t.Errorf("after rejections: %v", err)
	}
}

func TestChecksum(t *testing.T) {
	_, err := Open(context.Background(), Config{Path: faultyBin, SHA256: strings.Repeat("ab", 32)})
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "pinned abab") {
		t.Fatalf("err = %v, want ErrChecksum naming the pin", err)
	}
	assertNoProcess(t, faultyBin)
	sum, err := exec.Command("sha256sum", faultyBin).Output()
	if err != nil {
		t.Skipf("sha256sum: %v", err)
	}
	p := openT(t, Config{Path: faultyBin, SHA256: strings.ToUpper(strings.Fields(string(sum))[0])})
	if _, err := p.Predict(context.Background(), signals(1, 100, false)); err != nil {
		t.Errorf("pinned plugin: %v", err)
	}
	if _, err := Open(context.Background(), Config{Path: faultyBin, SHA256: "xyz"}); !errors.Is(err, ErrConfig) {
		t.Errorf("malformed pin: %v, want ErrConfig", err)
	}
}

func TestFaults(t *testing.T) {
	const timeout = 2 * time.Second
	tests := []struct {
		mode     string
		gradient bool
		want     error
		restarts int64 // after the recovery call
		msg      string
	}{
		{fixture.Hang, false, ErrTimeout, 1, "no answer within 2s"},
		{fixture.Exit, false, ErrCrashed, 1, "exit status 3"},
		{fixture.NaN, false, ErrInvalidAnswer, 0, `class "A": score is NaN`},
		{fixture.Classes, false, ErrInvalidAnswer, 0, "3 scores for 4 classes"},
		{fixture.Sum, false, ErrInvalidAnswer, 0, "probabilities sum to 1.5"},
		{fixture.Hang, true, ErrTimeout, 1, "input gradient"},
		{fixture.Exit, true, ErrCrashed, 1, "input gradient"},
	}
	for _, tt := range tests {
		name := tt.mode
		if tt.gradient {
			name += "/gradient"
		}
		t.Run(name, func(t *testing.T) {
			log, logs := testLogger()
			p := openT(t, Config{Path: faultyBin, Args: []string{"-mode=" + tt.mode}, CallTimeout: timeout, Logger: log})
			firstPID := p.PID()
			call := func(x [][]float64) error {
				if tt.gradient {
					_, _, err := p.InputGradient(context.Background(), x, make([]int, len(x)), model.CrossEntropy)
					return err
				}
				_, err := p.Predict(context.Background(), x)
				return err
			}
			start := time.Now()
			err := call(signals(2, 300, true))
			elapsed := time.Since(start)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), `plugin "faulty"`) {
				t.Fatalf("err = %v, want %v containing %q and the plugin name", err, tt.want, tt.msg)
			}
			if elapsed > timeout+3*time.Second {
				t.Errorf("error after %v, want within the %v deadline", elapsed, timeout)
			}
			if tt.restarts > 0 {
				if pids := processes(t, faultyBin); containsPID(pids, firstPID) {
					t.Errorf("failed plugin process %d still in the process table", firstPID)
				}
			}
			// The host keeps working: the next good call succeeds.
			if err := call(signals(2, 300, false)); err != nil {
				t.Fatalf("call after the fault: %v\nlog:\n%s", err, logs)
			}
			if got := p.Counts().Restarts; got != tt.restarts {
				t.Errorf("Restarts = %d, want %d", got, tt.restarts)
			}
			p.Close()
			assertNoProcess(t, faultyBin)
		})
	}
}

func containsPID(pids []int, pid int) bool {
	for _, p := range pids {
		if p == pid {
			return true
		}
	}
	return false
}

func TestRestartLimit(t *testing.T) {
	p := openT(t, Config{Path: faultyBin, Args: []string{"-mode=exit"}, MaxRestarts: 1})
	poison := signals(1, 100, true)
	for i, want := range []error{ErrCrashed, ErrCrashed, ErrRestarts, ErrRestarts} {
		if _, err := p.Predict(context.Background(), poison); !errors.Is(err, want) {
			t.Fatalf("call %d: err = %v, want %v", i, err, want)
		}
	}
	if got := p.Counts(); got.Restarts != 1 || got.PredictCalls != 2 {
		t.Errorf("Counts = %+v, want 1 restart and 2 calls sent", got)
	}
	assertNoProcess(t, faultyBin)
}

func TestHandshakeStdout(t *testing.T) {
	t.Run("garbage then handshake", func(t *testing.T) {
		log, logs := testLogger()
		p := openT(t, Config{Path: faultyBin, Args: []string{"-mode=garbage"}, Logger: log})
		if _, err := p.Predict(context.Background(), signals(1, 100, false)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(logs.String(), "loading weights from /opt/model.bin") {
			t.Errorf("stray stdout not logged; log:\n%s", logs)
		}
	})
	t.Run("no handshake", func(t *testing.T) {
		log, _ := testLogger()
		start := time.Now()
		_, err := Open(context.Background(), Config{Path: faultyBin, Args: []string{"-mode=silent"}, Logger: log, StartTimeout: 5 * time.Second})
		if !errors.Is(err, ErrHandshake) || !strings.Contains(err.Error(), "never says hello") || !strings.Contains(err.Error(), "stderr only") {
			t.Fatalf("err = %v, want ErrHandshake quoting the stray output and saying how to fix it", err)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("took %v, want within the start timeout", time.Since(start))
		}
		assertNoProcess(t, faultyBin)
	})
	t.Run("not a plugin", func(t *testing.T) {
		_, err := Open(context.Background(), Config{Path: "/bin/true", StartTimeout: 5 * time.Second})
		if !errors.Is(err, ErrHandshake) {
			t.Fatalf("err = %v, want ErrHandshake", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		_, err := Open(context.Background(), Config{Path: filepath.Join(t.TempDir(), "nope")})
		if !errors.Is(err, ErrConfig) {
			t.Fatalf("err = %v, want ErrConfig", err)
		}
	})
}

func TestStderrToLog(t *testing.T) {
	log, logs := testLogger()
	p := openT(t, Config{Path: faultyBin, Args: []string{"-mode=exit"}, Name: "acme", Logger: log})
	_, _ = p.Predict(context.Background(), signals(1, 100, true))
	p.Close()
	out := logs.String()
	if !strings.Contains(out, "fixture: exiting mid-call") || !strings.Contains(out, "plugin=acme") {
		t.Errorf("plugin stderr not logged with its name; log:\n%s", out)
	}
}

func TestNoGradient(t *testing.T) {
	p := openT(t, Config{Path: faultyBin, Args: []string{"-mode=gradless"}})
	if p.Info().InputGradient {
		t.Fatal("gradless plugin declares input_gradient")
	}
	_, _, err := p.InputGradient(context.Background(), signals(1, 100, false), []int{0}, model.CrossEntropy)
	if !errors.Is(err, ErrNoGradient) || !strings.Contains(err.Error(), "finite-difference") {
		t.Errorf("err = %v, want ErrNoGradient with a fix", err)
	}
}

func TestCallerCancel(t *testing.T) {
	p := openT(t, Config{Path: faultyBin, Args: []string{"-mode=hang"}, CallTimeout: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := p.Predict(ctx, signals(1, 100, true))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the caller's deadline", err)
	}
	p.Close() // in flight: killed, not waited for
	assertNoProcess(t, faultyBin)
}

func TestPool(t *testing.T) {
	pool, err := OpenPool(context.Background(), Config{Path: faultyBin}, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		pool.Close()
		assertNoProcess(t, faultyBin)
	}()
	x := signals(7, 300, false)
	got, err := pool.Predict(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	single := pool.plugins[0]
	want, err := single.Predict(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		for c := range want[i] {
			if got[i][c] != want[i][c] {
				t.Fatalf("pool scores[%d] = %v, single instance %v", i, got[i], want[i])
			}
		}
	}
	if c := pool.Counts(); c.PredictSignals != 14 || c.PredictCalls != 4 {
		t.Errorf("Counts = %+v, want 14 signals in 4 calls (3 parts + 1)", c)
	}
	g, _, err := pool.InputGradient(context.Background(), x, make([]int, 7), model.LogitMargin)
	if err != nil || len(g) != 7 || len(g[6]) != 300 {
		t.Errorf("InputGradient: %d gradients, %v", len(g), err)
	}
}

func TestCloseDuringHungCall(t *testing.T) {
	p := openT(t, Config{Path: faultyBin, Args: []string{"-mode=hang"}, CallTimeout: time.Minute})
	errc := make(chan error, 1)
	go func() {
		_, err := p.Predict(context.Background(), signals(1, 100, true))
		errc <- err
	}()
	time.Sleep(200 * time.Millisecond) // let the call reach the plugin
	p.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("in-flight call: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close left the in-flight call hanging")
	}
	assertNoProcess(t, faultyBin)
}

func TestChecksumOnRestart(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "faulty")
	data, err := os.ReadFile(faultyBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	sum, err := exec.Command("sha256sum", bin).Output()
	if err != nil {
		t.Skipf("sha256sum: %v", err)
	}
	p := openT(t, Config{Path: bin, Args: []string{"-mode=exit"}, SHA256: strings.Fields(string(sum))[0]})
	if _, err := p.Predict(context.Background(), signals(1, 100, true)); !errors.Is(err, ErrCrashed) {
		t.Fatalf("poisoned call: %v, want ErrCrashed", err)
	}
	// The binary changes while the plugin is down: the restart must refuse it.
	if err := os.WriteFile(bin, append(data, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Predict(context.Background(), signals(1, 100, false)); !errors.Is(err, ErrChecksum) {
		t.Fatalf("call after the binary changed: %v, want ErrChecksum", err)
	}
	assertNoProcess(t, bin)
}

func TestBadDescribe(t *testing.T) {
	tests := []struct {
		mode string
		want error
		msg  string
	}{
		{"badrate", ErrDescribe, "field sample_rate_hz: 0"},
		{"describe-v2", ErrIncompatible, "protocol version 2"},
		{"handshake-v2", ErrIncompatible, "rebuild the plugin"},
		{"describe-hang", ErrDescribe, "no answer within 1s"},
		{"netrpc", ErrIncompatible, "must serve gRPC"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			start := time.Now()
			_, err := Open(context.Background(), Config{Path: faultyBin, Args: []string{"-mode=" + tt.mode}, CallTimeout: time.Second})
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.want, tt.msg)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			assertNoProcess(t, faultyBin)
		})
	}
}
