package host

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHelperHost is not a test: run with HOST_HELPER_PLUGIN set, it opens
// that plugin, prints its pid and waits to be killed.
func TestHelperHost(t *testing.T) {
	path := os.Getenv("HOST_HELPER_PLUGIN")
	if path == "" {
		t.Skip("helper process for TestNoOrphanWhenHostDies")
	}
	p, err := Open(context.Background(), Config{Path: path})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	pid := p.PID()
	if os.Getenv("HOST_HELPER_MODE") != "cleanup" {
		fmt.Println("pid", pid)
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	// What a CLI does: on SIGTERM, stop every plugin, then exit.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	fmt.Println("pid", pid)
	<-ctx.Done()
	Cleanup()
	if alive(pid) {
		fmt.Println("alive")
	} else {
		fmt.Println("gone")
	}
	os.Exit(0)
}

// TestCleanupOnSignal sends SIGTERM to a host that calls Cleanup from its
// signal handler: the plugin must be gone before the host exits.
func TestCleanupOnSignal(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHost$", "-test.count=1")
	cmd.Env = append(os.Environ(), "HOST_HELPER_PLUGIN="+faultyBin, "HOST_HELPER_MODE=cleanup")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	r := bufio.NewReader(out)
	line, _ := r.ReadString('\n')
	if !strings.HasPrefix(line, "pid ") {
		cmd.Process.Kill()
		t.Fatalf("helper said %q", line)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	verdict, _ := r.ReadString('\n')
	if strings.TrimSpace(verdict) != "gone" {
		t.Errorf("after SIGTERM and Cleanup the plugin is %q, want gone", strings.TrimSpace(verdict))
	}
}

// alive reports whether pid runs and is not a zombie (an orphaned zombie
// waits for PID 1 to reap it, which some containers never do).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}

// TestNoOrphanWhenHostDies kills a host process with SIGKILL, so no Close
// or Cleanup runs, and checks that its plugin dies too.
func TestNoOrphanWhenHostDies(t *testing.T) {
	plugins := map[string]string{"go": faultyBin}
	if _, err := exec.Command("/usr/bin/python3", "-c", "import grpc, numpy, cryptography").CombinedOutput(); err == nil {
		plugins["python"] = pythonPlugin(t)
	}
	for name, path := range plugins {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHost$", "-test.count=1")
			cmd.Env = append(os.Environ(), "HOST_HELPER_PLUGIN="+path)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(out).ReadString('\n')
			pid, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "pid ")))
			if err != nil || pid <= 0 {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("helper said %q", line)
			}
			if err := syscall.Kill(pid, 0); err != nil {
				t.Fatalf("plugin %d not running under the helper: %v", pid, err)
			}
			cmd.Process.Kill() // SIGKILL: the host gets no chance to clean up
			cmd.Wait()
			deadline := time.Now().Add(5 * time.Second)
			for alive(pid) {
				if time.Now().After(deadline) {
					syscall.Kill(pid, syscall.SIGKILL)
					t.Fatalf("plugin %d outlived its host by 5 s", pid)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
