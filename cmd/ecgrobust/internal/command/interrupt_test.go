package command

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/verdict"
)

// TestHelperProcess runs the CLI with the arguments in ECGROBUST_HELPER_ARGS
// when the test binary is started by TestInterruptKeepsResultsAndKillsPlugin.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("ECGROBUST_HELPER") != "1" {
		t.Skip("helper process for other tests")
	}
	os.Args = append([]string{"ecgrobust"}, strings.Split(os.Getenv("ECGROBUST_HELPER_ARGS"), "\x1f")...)
	os.Exit(int(Main()))
}

func TestInterruptKeepsResultsAndKillsPlugin(t *testing.T) {
	plugin := referencePlugin(t)
	out := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "ECGROBUST_HELPER=1",
		"ECGROBUST_HELPER_ARGS="+strings.Join([]string{"run", "ci-gate-quick", "--out", out, "--model", plugin}, "\x1f"))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	pidRe := regexp.MustCompile(`msg="plugin started".* pid=(\d+)`)
	pluginPID := 0
	sc := bufio.NewScanner(stderr)
	var log []string
	for sc.Scan() {
		line := sc.Text()
		log = append(log, line)
		if m := pidRe.FindStringSubmatch(line); m != nil {
			pluginPID, _ = strconv.Atoi(m[1])
		}
		if strings.Contains(line, "msg=progress") && pluginPID > 0 {
			break // the first batch is done: interrupt mid-run
		}
	}
	if pluginPID == 0 {
		t.Fatalf("no plugin start or progress seen:\n%s", strings.Join(log, "\n"))
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	go func() { // drain the rest
		for sc.Scan() {
			log = append(log, sc.Text())
		}
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var waitErr error
	select {
	case waitErr = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the run did not stop within 60 s of SIGINT")
	}
	var ee *exec.ExitError
	if !errors.As(waitErr, &ee) || ee.ExitCode() != int(ExitRuntime) {
		t.Errorf("exit: %v, want code %d", waitErr, ExitRuntime)
	}
	// The plugin process is gone (not even a zombie: it was reaped).
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(pluginPID, 0) == nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if syscall.Kill(pluginPID, 0) == nil {
		t.Errorf("plugin process %d still running after the interrupted run", pluginPID)
	}
	r, err := readResult(out)
	if err != nil {
		t.Fatalf("no results kept: %v", err)
	}
	if r.Verdict != verdict.Inconclusive || !strings.Contains(r.Reason, "stopped early") {
		t.Errorf("verdict %s (%s), want INCONCLUSIVE for a partial run", r.Verdict, r.Reason)
	}
	if len(r.Records) == 0 || len(r.Records) >= 40 {
		t.Errorf("kept %d rows, want some but not all 40", len(r.Records))
	}
}
