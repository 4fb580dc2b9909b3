package host

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	"github.com/hashicorp/go-plugin/runner"
)

// handshakeLine matches go-plugin's handshake at the end of a stdout line:
// CORE|APP|NETWORK|ADDR|PROTOCOL[|CERT[|MUX]].
// Any protocol word passes, so go-plugin can name a wrong one (netrpc).
var handshakeLine = regexp.MustCompile(`\d+\|\d+\|(tcp|unix)\|[^|\s]+\|[a-z]+(\|[^|\s]*){0,2}\s*$`)

// maxStrayLines bounds the stray stdout lines kept for error messages.
const maxStrayLines = 5

// procRunner is a go-plugin runner that starts the plugin in its own
// process group with a parent-death signal, kills the whole group, and
// drops (and logs) stray stdout lines printed before the handshake.
type procRunner struct {
	cmd  *exec.Cmd
	name string
	log  *slog.Logger

	stdout io.ReadCloser // filtered, given to go-plugin
	stderr io.ReadCloser

	childEnds []*os.File // the plugin's ends of the pipes, closed after Start

	done    chan struct{} // closed when the process has been reaped
	waitErr error

	mu          sync.Mutex
	stray       []string // first stray stdout lines, for the handshake error
	stdoutLines int      // stdout lines after the handshake
	pid         int
}

var _ runner.Runner = (*procRunner)(nil)

func newProcRunner(cmd *exec.Cmd, name string, log *slog.Logger) (*procRunner, error) {
	// Own pipes rather than cmd.StdoutPipe: Wait would close those as soon
	// as the process exits, losing its last words.
	rawOut, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("stdout pipe: %w", err)
	}
	stderr, errW, err := os.Pipe()
	if err != nil {
		rawOut.Close()
		outW.Close()
		return nil, fmt.Errorf("stderr pipe: %w", err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	// Own process group, so Kill reaches the plugin's children too, and a
	// terminal's Ctrl-C reaches only the host, which then stops the plugin.
	// Pdeathsig kills the plugin if the host dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	pr, pw := io.Pipe()
	r := &procRunner{cmd: cmd, name: name, log: log, stdout: pr, stderr: stderr, done: make(chan struct{}),
		childEnds: []*os.File{outW, errW}}
	go r.filterStdout(rawOut, pw)
	return r, nil
}

// filterStdout copies the plugin's stdout to w, dropping every line before
// the handshake that is not a handshake and logging it as a warning.
func (r *procRunner) filterStdout(raw io.ReadCloser, w *io.PipeWriter) {
	defer raw.Close()
	sc := bufio.NewScanner(raw)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	shaken := false
	for sc.Scan() {
		line := sc.Text()
		if !shaken {
			loc := handshakeLine.FindStringIndex(line)
			if loc == nil {
				r.noteStray(line)
				continue
			}
			if loc[0] > 0 {
				r.noteStray(line[:loc[0]])
			}
			line = line[loc[0]:]
			shaken = true
		} else {
			r.noteStdout(line)
		}
		if _, err := io.WriteString(w, line+"\n"); err != nil {
			break
		}
	}
	// Drain the rest so the plugin never blocks on a full pipe.
	_, _ = io.Copy(io.Discard, raw)
	w.CloseWithError(sc.Err())
}

func (r *procRunner) noteStray(line string) {
	r.log.Warn("plugin wrote to stdout before the handshake; ignored (plugins must log to stderr only)", "line", line)
	r.mu.Lock()
	if len(r.stray) < maxStrayLines {
		r.stray = append(r.stray, line)
	}
	r.mu.Unlock()
}

// maxStdoutWarnings bounds the warnings about stdout after the handshake,
// so a plugin that prints on every call does not flood the log.
const maxStdoutWarnings = 10

func (r *procRunner) noteStdout(line string) {
	r.mu.Lock()
	r.stdoutLines++
	n := r.stdoutLines
	r.mu.Unlock()
	switch {
	case n <= maxStdoutWarnings:
		r.log.Warn("plugin wrote to stdout; plugins must log to stderr only", "line", line)
	case n == maxStdoutWarnings+1:
		r.log.Warn("plugin keeps writing to stdout; further lines are dropped without notice")
	}
}

// strayLines returns the stray stdout lines seen before the handshake.
func (r *procRunner) strayLines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.stray...)
}

// Start starts the process from a goroutine locked to its OS thread, which
// stays alive until the process is reaped: Pdeathsig fires when the thread
// that started the child exits, so no other thread may be used.
func (r *procRunner) Start(context.Context) error {
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Never unlocked: the thread ends with this goroutine, after the
		// plugin has exited.
		err := r.cmd.Start()
		for _, f := range r.childEnds {
			f.Close()
		}
		if err != nil {
			r.stdout.Close()
			r.stderr.Close()
			started <- err
			close(r.done)
			return
		}
		r.mu.Lock()
		r.pid = r.cmd.Process.Pid
		r.mu.Unlock()
		started <- nil
		r.waitErr = r.cmd.Wait()
		close(r.done)
	}()
	return <-started
}

// Wait waits until the process has exited and been reaped.
// go-plugin calls it once it has read stderr to the end.
func (r *procRunner) Wait(context.Context) error {
	<-r.done
	r.stderr.Close()
	return r.waitErr
}

// Kill sends SIGKILL to the plugin's process group.
func (r *procRunner) Kill(context.Context) error {
	pid := r.PID()
	if pid <= 0 {
		return nil
	}
	select {
	case <-r.done:
		return nil
	default:
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill plugin process group %d: %w", pid, err)
	}
	return nil
}

// exited reports whether the process has exited.
func (r *procRunner) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (r *procRunner) Stdout() io.ReadCloser { return r.stdout }
func (r *procRunner) Stderr() io.ReadCloser { return r.stderr }
func (r *procRunner) Name() string          { return r.name }

// PID returns the plugin's process id, 0 before Start.
func (r *procRunner) PID() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pid
}

func (r *procRunner) ID() string {
	if pid := r.PID(); pid > 0 {
		return strconv.Itoa(pid)
	}
	return ""
}

func (r *procRunner) Diagnose(context.Context) string {
	return "the plugin must print the go-plugin handshake line as its first stdout line, flushed; " +
		"check that it is built for this machine, is executable, and logs to stderr only"
}

func (r *procRunner) PluginToHost(network, addr string) (string, string, error) {
	return network, addr, nil
}

func (r *procRunner) HostToPlugin(network, addr string) (string, string, error) {
	return network, addr, nil
}
