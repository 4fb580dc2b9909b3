package sdk

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
)

// parentPoll is how often Serve checks that the host is still alive.
const parentPoll = 500 * time.Millisecond

// Serve serves c to the ecgrobust host and returns only when the host
// shuts the plugin down. It is the only call a plugin's main needs.
//
// Serve checks c.Info() first and exits with status 1 and a message on
// stderr if it is invalid. It raises the gRPC message size limits so a
// batch of 64 × 18,000 samples fits, and exits the process if the host
// dies without stopping it (the plugin's parent process changes).
//
// Everything the plugin logs must go to stderr: stdout carries the
// handshake. Log with the standard log or log/slog default loggers: they
// write straight to the process's stderr, which the host logs line by line
// under the plugin's name. (While serving, os.Stdout and os.Stderr are
// pipes that go-plugin forwards to the host asynchronously; output written
// to them just before a crash can be lost.)
// Run by hand, without a host, the binary prints a notice and exits, unless
// ECGROBUST_PLUGIN_DEBUG is set: then it serves until interrupted (under a
// debugger, say) and prints an ECGROBUST_PLUGIN_REATTACH value; a harness
// run with that variable in its environment uses this process instead of
// starting the plugin.
func Serve(c Classifier) {
	stderr := os.Stderr // go-plugin redirects os.Stderr while serving
	srv, err := newServer(c)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		os.Exit(1)
	}
	cfg := &plugin.ServeConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.VersionedPlugins(srv),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(math.MaxInt32), grpc.MaxSendMsgSize(math.MaxInt32),
				// Big flow-control windows: a batch is megabytes, and the
				// 64 KiB defaults make gRPC wait for window updates.
				grpc.InitialWindowSize(wire.WindowSize), grpc.InitialConnWindowSize(wire.WindowSize),
				grpc.ReadBufferSize(wire.BufferSize), grpc.WriteBufferSize(wire.BufferSize),
				// The proto codec without a copy of the signals each way.
				grpc.ForceServerCodecV2(wire.Codec{}))
			return grpc.NewServer(opts...)
		},
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:   "sdk",
			Output: stderr,
			Level:  hclog.Warn,
		}),
	}
	if os.Getenv(wire.DebugEnv) != "" && os.Getenv(wire.MagicCookieKey) == "" {
		serveDebug(cfg, stderr)
		return
	}
	go watchParent(os.Getppid(), stderr)
	plugin.Serve(cfg)
}

// serveDebug serves without a host until SIGINT or SIGTERM and prints how
// to attach one: the debug path for plugin authors (run the plugin under a
// debugger with ECGROBUST_PLUGIN_DEBUG=1, then point the harness at it).
func serveDebug(cfg *plugin.ServeConfig, stderr io.Writer) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ch := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	cfg.Test = &plugin.ServeTestConfig{Context: ctx, ReattachConfigCh: ch, CloseCh: closed}
	go func() {
		select {
		case rc := <-ch:
			r := wire.Reattach{Network: rc.Addr.Network(), Addr: rc.Addr.String(), Pid: rc.Pid, ProtocolVersion: rc.ProtocolVersion}
			fmt.Fprintf(stderr, "sdk: debug mode, serving until interrupted; attach the harness with\n  export %s='%s'\n", wire.ReattachEnv, r)
		case <-closed:
		}
	}()
	plugin.Serve(cfg)
}

// watchParent exits the process when its parent is no longer ppid, i.e.
// the host died and the plugin was adopted. go-plugin has no such check.
func watchParent(ppid int, stderr io.Writer) {
	if ppid <= 1 {
		return
	}
	for range time.Tick(parentPoll) {
		if os.Getppid() != ppid {
			fmt.Fprintf(stderr, "sdk: host process %d is gone; exiting\n", ppid)
			os.Exit(1)
		}
	}
}
