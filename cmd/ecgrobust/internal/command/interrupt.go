package command

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ecgrobust/ecgrobust/plugins/host"
)

// interruptContext returns a context cancelled by the first SIGINT or
// SIGTERM, so a run stops after the model calls in flight, writes what it
// finished and closes its plugins. A second signal kills every plugin
// process at once and exits with ExitRuntime. stop releases the signals.
func interruptContext(stderr io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sig:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "ecgrobust: interrupted: stopping after the model calls in flight and keeping finished results; interrupt again to abort at once")
		cancel()
		select {
		case <-sig:
		case <-done:
			return
		}
		fmt.Fprintln(stderr, "ecgrobust: aborted: plugin processes killed, unfinished results lost")
		host.Cleanup()
		os.Exit(int(ExitRuntime))
	}()
	return ctx, func() {
		signal.Stop(sig)
		close(done)
		cancel()
	}
}
