package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

// Counts are the queries sent to a plugin: calls and signals, for Predict
// and InputGradient separately. A batch split by MaxBatch counts one call
// per part. Calls that fail after being sent are counted too.
type Counts struct {
	PredictCalls, PredictSignals   int64
	GradientCalls, GradientSignals int64
	// Restarts is how many times the plugin was restarted.
	Restarts int64
}

// Add returns the sum of c and d.
func (c Counts) Add(d Counts) Counts {
	return Counts{
		PredictCalls: c.PredictCalls + d.PredictCalls, PredictSignals: c.PredictSignals + d.PredictSignals,
		GradientCalls: c.GradientCalls + d.GradientCalls, GradientSignals: c.GradientSignals + d.GradientSignals,
		Restarts: c.Restarts + d.Restarts,
	}
}

// Plugin is a running plugin process behind the model.Classifier and
// model.Gradienter interfaces. Its methods are safe for concurrent use, but
// one Plugin runs one call at a time; use a Pool for parallel calls.
type Plugin struct {
	cfg  Config
	log  *slog.Logger // cfg.Logger with plugin=Name
	info model.Info
	// reattach, when set, connects to a plugin in debug mode instead of
	// starting one.
	reattach *plugin.ReattachConfig

	sem    chan struct{} // holds one token per call in flight (capacity 1)
	busy   atomic.Bool
	noShm  atomic.Bool // UseSharedMemory(false)
	noBell atomic.Bool // useDoorbell(false)

	mu       sync.Mutex
	inst     *instance // nil when dead; restarted by the next call
	restarts int
	closed   bool

	predictCalls, predictSignals   atomic.Int64
	gradientCalls, gradientSignals atomic.Int64
}

var (
	_ model.Classifier = (*Plugin)(nil)
	_ model.Gradienter = (*Plugin)(nil)
)

// instance is one plugin process and its connection.
type instance struct {
	client      *plugin.Client
	run         *procRunner // nil for a reattached plugin
	rpc         pluginpb.ClassifierClient
	reattachPid int
	shm         *region // nil when samples travel in the messages
	// shmDeclared is true when the process declares the shared_memory
	// capability; shmOffered when the host asked it to map a region;
	// shmWhy says why such a process got no region ("" when it has one).
	shmDeclared, shmOffered bool
	shmWhy                  string
}

// Open starts the plugin, checks its protocol version and description, and
// returns it ready for calls. The caller must Close it. ctx bounds the
// Describe call; the launch itself is bounded by Config.StartTimeout.
//
// Open returns an *Error of kind ErrConfig, ErrChecksum, ErrHandshake,
// ErrIncompatible or ErrDescribe when the plugin cannot be used.
func Open(ctx context.Context, cfg Config) (*Plugin, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Plugin{cfg: cfg, log: cfg.Logger.With("plugin", cfg.Name), sem: make(chan struct{}, 1)}
	if cfg.Reattach != "" {
		rc, err := reattachConfig(cfg.Reattach)
		if err != nil {
			return nil, &Error{Plugin: cfg.Name, Op: "start", Kind: ErrConfig, Err: err,
				Fix: "use the " + wire.ReattachEnv + " value the plugin printed in debug mode"}
		}
		p.reattach = rc
		p.log.Warn("attaching to a plugin in debug mode; it is not started, pinned or restarted by the harness", "pid", rc.Pid, "addr", rc.Addr)
	}
	inst, desc, err := p.start(ctx)
	if err != nil {
		return nil, err
	}
	info, err := p.toInfo(desc)
	if err != nil {
		inst.stop(false)
		return nil, err
	}
	p.info = info
	p.inst = inst
	p.log.Info("plugin started", "path", cfg.Path, "pid", inst.pid(),
		"model", info.Name, "version", info.Version, "input_gradient", info.InputGradient, "shared_memory", inst.shm != nil)
	return p, nil
}

// checkSum compares the binary's SHA-256 with the pin, through go-plugin's
// SecureConfig.
func (p *Plugin) checkSum() error {
	if p.cfg.SHA256 == "" {
		return nil
	}
	want, _ := hex.DecodeString(p.cfg.SHA256)
	sc := &plugin.SecureConfig{Checksum: want, Hash: sha256.New()}
	ok, err := sc.Check(p.cfg.Path)
	if err != nil {
		return &Error{Plugin: p.cfg.Name, Op: "start", Kind: ErrChecksum, Err: err}
	}
	if !ok {
		got := "unknown"
		if f, err := os.Open(p.cfg.Path); err == nil {
			h := sha256.New()
			if _, err := io.Copy(h, f); err == nil {
				got = hex.EncodeToString(h.Sum(nil))
			}
			f.Close()
		}
		return &Error{Plugin: p.cfg.Name, Op: "start", Kind: ErrChecksum,
			Err: fmt.Errorf("%s has sha256 %s, pinned %s", p.cfg.Path, got, p.cfg.SHA256),
			Fix: "this is not the binary the spec was written for; use the pinned build, or update the checksum if the change is intended"}
	}
	return nil
}

// start launches one plugin process and asks it to describe itself.
func (p *Plugin) start(ctx context.Context) (*instance, *pluginpb.DescribeResponse, error) {
	if p.reattach == nil {
		// Every launch, restarts included: the file may change in between.
		if err := p.checkSum(); err != nil {
			return nil, nil, err
		}
	}
	var run *procRunner
	// The shared-memory region of this process, inherited as an extra
	// file; a restart gets a new one, never the old process's.
	var shm *region
	noRegion := "" // why shm is nil
	switch {
	case p.reattach != nil:
		noRegion = "the plugin is reattached in debug mode; the host offers a region only to processes it starts"
	case !wire.SharedMemorySupported:
		noRegion = "this system has no shared-memory transport (Linux only)"
	default:
		var err error
		if shm, err = newRegion(p.cfg.Name); err != nil {
			p.log.Warn("no shared-memory region; samples travel in the messages", "error", err)
			shm, noRegion = nil, "the host could not create the region: "+err.Error()
		} else if err := shm.addDoorbell(); err != nil {
			p.log.Warn("no doorbell; Predict calls stay on gRPC", "error", err)
		}
	}
	cc := &plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.VersionedPlugins(nil),
		RunnerFunc: func(_ hclog.Logger, cmd *exec.Cmd, _ string) (runner.Runner, error) {
			real := exec.Command(p.cfg.Path, p.cfg.Args...)
			real.Env = append(cmd.Env, p.cfg.Env...)
			if shm != nil {
				real.ExtraFiles = []*os.File{shm.file} // wire.ShmFD in the plugin
				if shm.bellPeer != nil {
					real.ExtraFiles = append(real.ExtraFiles, shm.bellPeer) // wire.DoorbellFD
				}
			}
			r, err := newProcRunner(real, p.cfg.Name, p.log)
			if err == nil && shm != nil && shm.bellPeer != nil {
				// Closed once the process has started, so that its exit
				// ends the host's reads with EOF.
				r.childEnds = append(r.childEnds, shm.bellPeer)
			}
			run = r
			return r, err
		},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithInitialWindowSize(wire.WindowSize), grpc.WithInitialConnWindowSize(wire.WindowSize),
			grpc.WithReadBufferSize(wire.BufferSize), grpc.WithWriteBufferSize(wire.BufferSize),
			// The proto codec without a copy of the signals each way.
			grpc.WithDefaultCallOptions(grpc.ForceCodecV2(wire.Codec{})),
		},
		Managed:      true,
		StartTimeout: p.cfg.StartTimeout,
		Stderr:       &lineLogger{log: p.log},
		SyncStderr:   &lineLogger{log: p.log},
		SyncStdout:   &lineLogger{log: p.log, stdout: true},
		Logger:       hclog.New(&hclog.LoggerOptions{Name: "go-plugin", Output: io.Discard, Level: hclog.Off}),
	}
	if p.reattach != nil {
		cc.RunnerFunc, cc.AutoMTLS, cc.Reattach = nil, false, p.reattach
		cc.Plugins = wire.PluginSet(nil) // reattaching skips version negotiation
	}
	client := plugin.NewClient(cc)
	rpcClient, err := client.Client()
	if err != nil {
		client.Kill()
		shm.close()
		return nil, nil, p.startError(err, run)
	}
	raw, err := rpcClient.Dispense(wire.PluginName)
	if err != nil {
		client.Kill()
		shm.close()
		return nil, nil, &Error{Plugin: p.cfg.Name, Op: "start", Kind: ErrIncompatible, Err: err,
			Fix: "the plugin does not serve the ecgrobust classifier; build it with plugins/sdk or the protocol in plugins/proto"}
	}
	inst := &instance{client: client, run: run, rpc: raw.(pluginpb.ClassifierClient)}
	if p.reattach != nil {
		inst.reattachPid = p.reattach.Pid
	}
	cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	defer cancel()
	desc, err := inst.rpc.Describe(cctx, &pluginpb.DescribeRequest{ProtocolVersion: wire.ProtocolVersion})
	if err != nil {
		shm.close()
		inst.stop(true) // it may hang: no graceful shutdown
		cause := errors.New(status.Convert(err).Message())
		if cctx.Err() != nil || status.Code(err) == codes.DeadlineExceeded || status.Code(err) == codes.Canceled {
			if ctx.Err() != nil {
				return nil, nil, fmt.Errorf("describe: %w", ctx.Err())
			}
			cause = fmt.Errorf("no answer within %v", p.cfg.CallTimeout)
		}
		return nil, nil, &Error{Plugin: p.cfg.Name, Op: "describe", Kind: ErrDescribe, Err: cause,
			Fix: "the plugin must answer Describe; see its stderr in the log"}
	}
	p.setupRegion(ctx, inst, shm, noRegion, desc)
	return inst, desc, nil
}

// startError classifies a go-plugin start failure.
func (p *Plugin) startError(err error, run *procRunner) error {
	msg := err.Error()
	if strings.Contains(msg, "incompatible API version") || strings.Contains(msg, "incompatible core API version") {
		return &Error{Plugin: p.cfg.Name, Op: "start", Kind: ErrIncompatible, Err: errors.New(firstLine(msg)),
			Fix: fmt.Sprintf("this host speaks plugin protocol version %d; rebuild the plugin against the matching ecgrobust SDK", wire.ProtocolVersion)}
	}
	if strings.Contains(msg, "unsupported plugin protocol") {
		return &Error{Plugin: p.cfg.Name, Op: "start", Kind: ErrIncompatible, Err: errors.New(firstLine(msg)),
			Fix: "ecgrobust plugins must serve gRPC (go-plugin ServeConfig.GRPCServer); plugins/sdk does"}
	}
	what := firstLine(msg)
	switch {
	case strings.HasPrefix(what, "Unrecognized remote plugin message: "):
		if line := strings.TrimPrefix(what, "Unrecognized remote plugin message: "); line != "" {
			what = fmt.Sprintf("unrecognized handshake line %q", line)
		} else {
			what = "no handshake line on stdout"
		}
	case strings.Contains(what, "plugin exited before we could connect"):
		what = "the plugin exited before the handshake"
	case strings.Contains(what, "timeout while waiting for plugin to start"):
		what = fmt.Sprintf("no handshake within %v", p.cfg.StartTimeout)
	}
	if run != nil && run.exited() && run.waitErr != nil {
		what += " (" + run.waitErr.Error() + ")"
	}
	e := &Error{Plugin: p.cfg.Name, Op: "start", Kind: ErrHandshake, Err: errors.New(what),
		Fix: "a plugin must print the go-plugin handshake line (1|1|tcp|HOST:PORT|grpc) as its first stdout line, flushed, " +
			"and log to stderr only; its stderr is in the log above"}
	if run != nil {
		if stray := run.strayLines(); len(stray) > 0 {
			e.Err = fmt.Errorf("%s; stdout before the handshake: %q", what, stray)
		}
	}
	return e
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Info returns the plugin's description. Callers must not modify it.
func (p *Plugin) Info() model.Info { return p.info }

// Name returns Config.Name.
func (p *Plugin) Name() string { return p.cfg.Name }

// PID returns the process id of the running plugin process, or 0 when none
// runs (between a crash and the restart, or after Close).
func (p *Plugin) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inst == nil {
		return 0
	}
	return p.inst.pid()
}

// Counts returns the queries sent so far.
func (p *Plugin) Counts() Counts {
	p.mu.Lock()
	restarts := p.restarts
	p.mu.Unlock()
	return Counts{
		PredictCalls: p.predictCalls.Load(), PredictSignals: p.predictSignals.Load(),
		GradientCalls: p.gradientCalls.Load(), GradientSignals: p.gradientSignals.Load(),
		Restarts: int64(restarts),
	}
}

// Close stops the plugin process: gracefully when idle, with SIGKILL to its
// process group when a call is in flight. Later calls fail with ErrClosed.
// Close is idempotent.
func (p *Plugin) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	inst := p.inst
	p.inst = nil
	p.mu.Unlock()
	if inst != nil {
		inst.stop(p.busy.Load())
		p.log.Debug("plugin stopped")
	}
	return nil
}

// pid returns the plugin's process id.
func (in *instance) pid() int {
	if in.run == nil {
		return in.reattachPid
	}
	return in.run.PID()
}

// exited reports whether the process has exited; for a reattached plugin,
// whether the connection is gone.
func (in *instance) exited() bool {
	if in.run == nil {
		return in.client.Exited()
	}
	return in.run.exited()
}

// stop ends the process; hard skips the graceful shutdown request.
func (in *instance) stop(hard bool) {
	if hard {
		if in.run != nil {
			_ = in.run.Kill(context.Background())
		}
	}
	in.client.Kill()
	in.shm.close() // after the kill: waits for a call still using it
}

// Cleanup stops every plugin process this package started that is still
// running. Call it from a SIGINT/SIGTERM handler (or defer it in main) so
// that no plugin outlives the harness.
func Cleanup() { plugin.CleanupClients() }

// ensure returns the running instance, restarting a dead one within the
// restart budget. It runs with the call token held.
func (p *Plugin) ensure(ctx context.Context, op string) (*instance, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, &Error{Plugin: p.cfg.Name, Op: op, Kind: ErrClosed}
	}
	inst := p.inst
	if inst != nil && inst.exited() {
		p.inst = nil
		p.log.Warn("plugin exited between calls")
		go inst.stop(false) // reaped already; release the connection
		inst = nil
	}
	if inst != nil {
		p.mu.Unlock()
		return inst, nil
	}
	if p.restarts >= p.cfg.MaxRestarts {
		p.mu.Unlock()
		return nil, &Error{Plugin: p.cfg.Name, Op: op, Kind: ErrRestarts,
			Err: fmt.Errorf("gave up after %d restarts", p.cfg.MaxRestarts),
			Fix: "the plugin keeps crashing or hanging; see its stderr in the log and run `ecgrobust plugin check` on it"}
	}
	p.restarts++
	n := p.restarts
	p.mu.Unlock()

	p.log.Warn("restarting plugin", "restart", n, "max", p.cfg.MaxRestarts)
	inst, desc, err := p.start(ctx)
	if err != nil {
		return nil, err
	}
	info, err := p.toInfo(desc)
	if err == nil && !sameInfo(info, p.info) {
		err = &Error{Plugin: p.cfg.Name, Op: "restart", Kind: ErrIncompatible,
			Err: fmt.Errorf("Describe changed after restart: was %+v, now %+v", p.info, info),
			Fix: "a plugin's description must not change while the harness runs"}
	}
	if err != nil {
		inst.stop(true)
		return nil, err
	}
	p.mu.Lock()
	if p.closed { // Close ran during the restart: stop what it could not see
		p.mu.Unlock()
		inst.stop(true)
		return nil, &Error{Plugin: p.cfg.Name, Op: op, Kind: ErrClosed}
	}
	p.inst = inst
	p.mu.Unlock()
	return inst, nil
}

// drop forgets inst if it is current and kills it.
func (p *Plugin) drop(inst *instance) {
	p.mu.Lock()
	if p.inst == inst {
		p.inst = nil
	}
	p.mu.Unlock()
	inst.stop(true)
}

// do runs one RPC with the call token, the per-call deadline and failure
// handling. send is called with the live client and counts the query.
func (p *Plugin) do(ctx context.Context, op string, send func(context.Context, *instance) error) error {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
	defer func() { <-p.sem }()
	inst, err := p.ensure(ctx, op)
	if err != nil {
		return err
	}
	ours := time.Now().Add(p.cfg.CallTimeout)
	callerDeadline, hasDeadline := ctx.Deadline()
	callerFirst := hasDeadline && callerDeadline.Before(ours)
	cctx, cancel := context.WithDeadline(ctx, ours)
	defer cancel()
	p.busy.Store(true)
	err = send(cctx, inst)
	p.busy.Store(false)
	if err == nil {
		return nil
	}
	// The RPC can report DeadlineExceeded a moment before a context's timer
	// fires, so decide whose deadline it was from the deadlines themselves.
	timedOut := cctx.Err() != nil || status.Code(err) == codes.DeadlineExceeded || !time.Now().Before(ours)
	if timedOut && (callerFirst || ctx.Err() != nil) {
		// The plugin is not killed, so the abandoned call may still write
		// into the region: no later call may use it.
		inst.shm.retire(p.log, op+" abandoned by the caller")
		cause := ctx.Err()
		if cause == nil {
			cause = context.DeadlineExceeded
		}
		return fmt.Errorf("%s: %w", op, cause)
	}
	return p.callError(ctx, timedOut, inst, op, err)
}

// callError classifies a failed RPC and kills the process when it hung or
// died.
func (p *Plugin) callError(ctx context.Context, timedOut bool, inst *instance, op string, err error) error {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return &Error{Plugin: p.cfg.Name, Op: op, Kind: ErrClosed}
	}
	if timedOut {
		p.log.Error("plugin call timed out; killing it", "op", op, "timeout", p.cfg.CallTimeout, "pid", inst.pid())
		p.drop(inst)
		return &Error{Plugin: p.cfg.Name, Op: op, Kind: ErrTimeout,
			Err: fmt.Errorf("no answer within %v; the plugin was killed and restarts at the next call", p.cfg.CallTimeout),
			Fix: "raise the call timeout if the model is this slow for the batch, or make the plugin honour its context deadline"}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
	st := status.Convert(err)
	if inst.exited() || st.Code() == codes.Unavailable {
		p.drop(inst)
		detail := st.Message()
		if inst.run != nil && inst.run.waitErr != nil {
			detail = inst.run.waitErr.Error() + ": " + detail
		}
		p.log.Error("plugin process died during a call", "op", op, "error", detail)
		return &Error{Plugin: p.cfg.Name, Op: op, Kind: ErrCrashed, Err: errors.New(detail),
			Fix: "see the plugin's stderr in the log; it restarts at the next call"}
	}
	switch st.Code() {
	case codes.InvalidArgument:
		return &Error{Plugin: p.cfg.Name, Op: op, Kind: ErrRejected, Err: errors.New(st.Message())}
	case codes.Unimplemented:
		return &Error{Plugin: p.cfg.Name, Op: op, Kind: ErrFailed, Err: fmt.Errorf("not implemented: %s", st.Message()),
			Fix: "implement the call in the plugin, or do not declare the capability"}
	case codes.ResourceExhausted:
		return &Error{Plugin: p.cfg.Name, Op: op, Kind: ErrFailed, Err: errors.New(st.Message()),
			Fix: "raise the plugin's gRPC max receive/send message size (plugins/sdk does), or declare a smaller max_batch"}
	}
	return &Error{Plugin: p.cfg.Name, Op: op, Kind: ErrFailed, Err: fmt.Errorf("%s: %s", st.Code(), st.Message())}
}

// batches splits n signals into [start, end) ranges of at most max (0: no
// limit). An empty batch gives one empty range, so the plugin sees it.
func batches(n, max int) [][2]int {
	if max <= 0 || n <= max {
		return [][2]int{{0, n}}
	}
	var out [][2]int
	for i := 0; i < n; i += max {
		out = append(out, [2]int{i, min(i+max, n)})
	}
	return out
}

// parallelPack is the batch size (samples) from which encode packs on
// several goroutines: 4 × 18,000 samples take ≈ 40 µs to pack on one core.
const parallelPack = 1 << 16

// encode packs signals as float32 into one backing buffer; large batches
// are packed by up to GOMAXPROCS goroutines, each a run of whole signals.
func encode(signals [][]float64) []*pluginpb.Signal {
	total := 0
	for _, s := range signals {
		total += len(s)
	}
	buf := make([]byte, 4*total)
	bufs := make([][]byte, len(signals))
	start := 0
	for i, s := range signals {
		end := start + 4*len(s)
		bufs[i] = buf[start:start:end]
		start = end
	}
	packAll(bufs, signals)
	out := make([]*pluginpb.Signal, len(signals))
	for i, s := range signals {
		out[i] = &pluginpb.Signal{Samples: bufs[i], Length: uint32(len(s))}
	}
	return out
}

// packAll appends signals[i] as float32 to bufs[i], whose capacity must
// hold it; large batches are packed by up to GOMAXPROCS goroutines, each
// a run of whole signals.
func packAll(bufs [][]byte, signals [][]float64) {
	total := 0
	for _, s := range signals {
		total += len(s)
	}
	pack := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			bufs[i] = wire.AppendFloat64(bufs[i], signals[i])
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(signals))
	if total < parallelPack || workers < 2 {
		pack(0, len(signals))
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(signals)/workers, (w+1)*len(signals)/workers
		wg.Go(func() { pack(lo, hi) })
	}
	wg.Wait()
}

// Predict returns one score vector per signal, in Info().Classes order,
// converting float64 adu to float32 on the wire. Batches above
// Info().MaxBatch are split. Every answer is validated (ErrInvalidAnswer).
func (p *Plugin) Predict(ctx context.Context, signals [][]float64) ([][]float64, error) {
	out := make([][]float64, 0, len(signals))
	for _, b := range batches(len(signals), p.info.MaxBatch) {
		chunk := signals[b[0]:b[1]]
		var resp *pluginpb.PredictResponse
		var bellErr error
		err := p.do(ctx, "predict", func(ctx context.Context, inst *instance) error {
			q := p.pack(ctx, inst, chunk)
			defer q.done()
			p.predictCalls.Add(1)
			p.predictSignals.Add(int64(len(chunk)))
			var err error
			if q.r != nil && q.r.doorbell && !p.noBell.Load() && len(chunk) <= wire.MaxDoorbellSignals {
				resp, bellErr, err = p.ring(ctx, q)
				return err
			}
			resp, err = inst.rpc.Predict(ctx, &pluginpb.PredictRequest{Signals: q.signals})
			return err
		})
		if err != nil {
			return nil, err
		}
		if bellErr != nil {
			return nil, p.answerError("predict", "%v", bellErr)
		}
		scores, err := p.checkScores("predict", resp.GetScores(), len(chunk), b[0])
		if err != nil {
			return nil, err
		}
		out = append(out, scores...)
	}
	return out, nil
}

// InputGradient returns d loss / d x per signal (per adu, same length) and
// the scores, for plugins that declare the input_gradient capability;
// others get ErrNoGradient. labels index Info().Classes.
func (p *Plugin) InputGradient(ctx context.Context, signals [][]float64, labels []int, loss model.Loss) (grads, scores [][]float64, err error) {
	if !p.info.InputGradient {
		return nil, nil, &Error{Plugin: p.cfg.Name, Op: "input gradient", Kind: ErrNoGradient,
			Fix: "use a finite-difference gradient estimate for this plugin, or implement InputGradient (sdk.Gradienter) and declare it"}
	}
	if len(labels) != len(signals) {
		return nil, nil, fmt.Errorf("host: input gradient: %d labels for %d signals", len(labels), len(signals))
	}
	lab := make([]uint32, len(labels))
	for i, l := range labels {
		if l < 0 || l >= len(p.info.Classes) {
			return nil, nil, fmt.Errorf("host: input gradient: label %d of signal %d is not a class index (%d classes)", l, i, len(p.info.Classes))
		}
		lab[i] = uint32(l)
	}
	var wl pluginpb.Loss
	switch loss {
	case model.CrossEntropy:
		wl = pluginpb.Loss_LOSS_CROSS_ENTROPY
	case model.LogitMargin:
		wl = pluginpb.Loss_LOSS_LOGIT_MARGIN
	default:
		return nil, nil, fmt.Errorf("host: input gradient: unknown loss %v", loss)
	}
	grads = make([][]float64, 0, len(signals))
	scores = make([][]float64, 0, len(signals))
	for _, b := range batches(len(signals), p.info.MaxBatch) {
		chunk := signals[b[0]:b[1]]
		var resp *pluginpb.InputGradientResponse
		var fetchErr error
		err := p.do(ctx, "input gradient", func(ctx context.Context, inst *instance) error {
			q := p.pack(ctx, inst, chunk)
			defer q.done()
			p.gradientCalls.Add(1)
			p.gradientSignals.Add(int64(len(chunk)))
			var err error
			resp, err = inst.rpc.InputGradient(ctx, &pluginpb.InputGradientRequest{Signals: q.signals, Labels: lab[b[0]:b[1]], Loss: wl})
			if err == nil {
				// Copy the gradients out while the region is ours.
				fetchErr = q.fetch(resp.GetGradients(), b[0])
			}
			return err
		})
		if err != nil {
			return nil, nil, err
		}
		if fetchErr != nil {
			return nil, nil, p.answerError("input gradient", "%v", fetchErr)
		}
		g, err := p.checkGradients(resp.GetGradients(), chunk, b[0])
		if err != nil {
			return nil, nil, err
		}
		s, err := p.checkScores("input gradient", resp.GetScores(), len(chunk), b[0])
		if err != nil {
			return nil, nil, err
		}
		grads = append(grads, g...)
		scores = append(scores, s...)
	}
	return grads, scores, nil
}

// reattachConfig parses a wire.Reattach value.
func reattachConfig(s string) (*plugin.ReattachConfig, error) {
	r, err := wire.ParseReattach(s)
	if err != nil {
		return nil, err
	}
	var addr net.Addr
	if r.Network == "unix" {
		addr, err = net.ResolveUnixAddr("unix", r.Addr)
	} else {
		addr, err = net.ResolveTCPAddr("tcp", r.Addr)
	}
	if err != nil {
		return nil, fmt.Errorf("reattach address: %w", err)
	}
	return &plugin.ReattachConfig{Protocol: plugin.ProtocolGRPC, ProtocolVersion: r.ProtocolVersion, Addr: addr, Pid: r.Pid, Test: true}, nil
}
