// Package host runs ECG classifier plugins out of process and presents each
// as a model.Classifier and model.Gradienter, so the engine cannot tell a
// plugin from the in-process reference model.
//
// [Open] starts the binary with hashicorp/go-plugin over gRPC (AutoMTLS),
// in its own process group and with a parent-death signal, negotiates the
// protocol version (wire.ProtocolVersion), and validates the Describe
// answer. An optional SHA-256 pin ([Config].SHA256, checked with go-plugin's
// SecureConfig) refuses any other binary.
//
// # Supervision
//
//   - Every call has a deadline (Config.CallTimeout). A plugin that
//     overruns it is killed (SIGKILL to its process group) and the call
//     fails with [ErrTimeout]; a plugin that dies mid-call fails the call
//     with [ErrCrashed]. The next call restarts it, up to Config.MaxRestarts
//     times ([ErrRestarts] after that). A failed call is never retried: its
//     signals are the caller's to mark as errored.
//   - Every answer is validated: one score vector per signal, one score per
//     class, finite numbers, probabilities in [0, 1] summing to 1 ± 1e-3
//     when declared as probabilities, and gradients as long as their
//     signals. Violations fail with [ErrInvalidAnswer] naming the plugin,
//     the call, the signal and the class.
//   - Stray stdout before the handshake is logged and ignored; the plugin's
//     stderr is logged line by line with the attribute plugin=Name.
//   - [Plugin.Close] stops the process; [Cleanup] stops every plugin this
//     package started, for signal handlers. If the harness itself is
//     killed, the kernel kills the plugin (Pdeathsig) and SDK plugins also
//     notice that their parent is gone.
//
// Errors are *[Error] values whose Kind is one of the Err* sentinels; test
// them with errors.Is. Their text says how to fix the problem.
//
// # Units and wire format
//
// Signals are float64 adu in the model package and travel as packed
// little-endian float32 (plugins/proto). Queries are counted per call and
// per signal, for Predict and InputGradient separately ([Plugin.Counts]).
//
// # Parallel work
//
// One [Plugin] runs one call at a time. A [Pool] runs N instances and
// splits each batch across them.
//
// # Example
//
//	p, err := host.Open(ctx, host.Config{Path: "bin/example-go", CallTimeout: time.Minute})
//	if err != nil {
//		return fmt.Errorf("open plugin: %w", err)
//	}
//	defer p.Close()
//	scores, err := p.Predict(ctx, signals) // [][]float64 adu → per-class scores
package host
