package host

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
)

// TestReattach runs a plugin in debug mode, as an author would under a
// debugger, and attaches the host to it.
func TestReattach(t *testing.T) {
	cmd := exec.Command(faultyBin)
	cmd.Env = append(os.Environ(), wire.DebugEnv+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			t.Error("debug-mode plugin ignored SIGTERM")
		}
	}()
	var value string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if _, v, ok := strings.Cut(sc.Text(), "export "+wire.ReattachEnv+"='"); ok {
			value = strings.TrimSuffix(v, "'")
			break
		}
	}
	go func() { // keep draining so the plugin never blocks on stderr
		for sc.Scan() {
		}
	}()
	if value == "" {
		t.Fatal("the plugin in debug mode printed no reattach value")
	}
	p := openT(t, Config{Reattach: value})
	if p.PID() != cmd.Process.Pid {
		t.Errorf("PID = %d, want %d", p.PID(), cmd.Process.Pid)
	}
	if _, err := p.Predict(context.Background(), signals(2, 300, false)); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("Close stopped the debug-mode plugin: %v", err)
	}
	if _, err := Open(context.Background(), Config{Reattach: `{"network":"unix"}`}); !errors.Is(err, ErrConfig) {
		t.Errorf("bad reattach value: %v, want ErrConfig", err)
	}
}
