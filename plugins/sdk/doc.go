// Package sdk lets a vendor serve an ECG rhythm classifier to the ecgrobust
// harness as an out-of-process plugin. Implement [Classifier] (and, for a
// white-box model, [Gradienter]) with plain float32 slices and call [Serve]
// from main; the SDK hides hashicorp/go-plugin, gRPC and the wire format.
//
// # Units
//
// Signals are single-lead ECG in adu at the sample rate (Hz) and gain
// (adu per mV) the plugin declares in [Info]; the harness resamples and
// rescales before calling. Scores are per class in Info.Classes order,
// logits or probabilities as Info.Scores says. Gradients are per adu.
//
// # Example
//
// A complete plugin (see plugins/examples/go for a runnable one):
//
//	type model struct{}
//
//	func (model) Info() sdk.Info {
//		return sdk.Info{
//			Name: "acme-af", Version: "1.0.0",
//			Classes:    []string{"N", "A", "O", "~"},
//			SampleRate: 300, Gain: 1000,
//			MinLength: 18000, MaxLength: 18000,
//			Scores: sdk.Logits,
//		}
//	}
//
//	func (model) Predict(ctx context.Context, x [][]float32) ([][]float32, error) {
//		out := make([][]float32, len(x))
//		for i := range x {
//			out[i] = score(x[i]) // four logits
//		}
//		return out, nil
//	}
//
//	func main() { sdk.Serve(model{}) }
//
// # Rules for plugin authors
//
//   - Log to stderr only; stdout carries the go-plugin handshake. The host
//     shows stderr lines in its log under the plugin's name.
//   - Return [InvalidInput] for a request you cannot score; the SDK already
//     rejects empty batches, batches above Info.MaxBatch, lengths outside
//     [MinLength, MaxLength] and non-finite samples. Other errors and panics
//     are reported to the host as plugin failures; the plugin keeps running.
//   - Be deterministic: the same input must give the same scores, alone or
//     in any batch (ecgrobust plugin check tests both).
//   - Honour ctx: the host's per-call deadline is in it. A plugin that
//     overruns it is killed and restarted.
//   - Check your binary with `ecgrobust plugin check ./your-plugin` or, in
//     Go tests, conformance.TestBinary.
//
// The plugin exits by itself when the host process dies.
//
// # Debugging
//
// Run the binary by hand with ECGROBUST_PLUGIN_DEBUG=1, e.g. under dlv: it
// serves without a host and prints an ECGROBUST_PLUGIN_REATTACH value; a
// harness started with that variable in its environment attaches to this
// process instead of starting the plugin.
package sdk
