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
	log := interruptRun(t, 1, func(out string) {
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
	})
	if !strings.Contains(log, "interrupted: stopping after the model calls in flight") {
		t.Errorf("stderr lacks the interrupt notice:\n%s", log)
	}
}

func TestSecondInterruptAborts(t *testing.T) {
	log := interruptRun(t, 2, func(string) {})
	if !strings.Contains(log, "aborted: plugin processes killed") {
		t.Errorf("stderr lacks the abort notice:\n%s", log)
	}
}

// interruptRun starts ci-gate-quick through the reference plugin in a
// child process, sends it 1 or 2 signals once its first batch is done,
// checks that it exits with ExitRuntime and leaves no plugin process, then
// calls check with the output directory. It returns the child's stderr.
func interruptRun(t *testing.T, signals int, check func(out string)) string {
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
	// SIGINT, then SIGTERM: distinct signals are not merged by the kernel,
	// and the second arrives before the first has stopped the run.
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM}[:signals] {
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
	}
	rest := make(chan []string)
	go func() { // drain the rest
		var more []string
		for sc.Scan() {
			more = append(more, sc.Text())
		}
		rest <- more
	}()
	// Read stderr to its end (the child exited) before Wait closes it.
	var more []string
	select {
	case more = <-rest:
	case <-time.After(60 * time.Second):
		t.Fatal("the run did not stop within 60 s of SIGINT")
	}
	waitErr := cmd.Wait()
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
	check(out)
	return strings.Join(append(log, more...), "\n")
}
