package command

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecgrobust/ecgrobust/plugins/conformance"
	"github.com/ecgrobust/ecgrobust/plugins/host"
)

// PluginCheckOptions are the inputs of `ecgrobust plugin check`.
type PluginCheckOptions struct {
	Factory *Factory
	// Path is the plugin executable; Args its arguments (after --).
	Path string
	Args []string
	// SHA256 optionally pins the binary.
	SHA256 string
	// Timeout is the per-call deadline.
	Timeout time.Duration
	// Seed fixes the test signals (0: the kit's default).
	Seed uint64
	JSON bool
}

const pluginCheckLong = `Run the conformance battery on a plugin binary: its description is sane;
Predict gives finite scores of the right shape (probabilities summing to 1),
the same scores on repeat and in a batch as one by one; a wrong length, an
empty batch and NaN input are rejected with an error, not a crash; declared
gradients agree with central finite differences along smooth random
directions (cosine ≥ 0.99); the transport ("shared memory" or "bytes in
messages"): a plugin that declares shared memory must map it and give the
same answers both ways; latency per call and per signal (on both paths
with shared memory); the process is gone after shutdown. The plugin's
stderr is shown as log lines.

Exit code 0 when every check passes, 1 when one fails, 4 when the plugin
cannot be started. Writing a plugin and fixing a failed check:
docs/vendor-guide.md#5-check-the-plugin.`

func newCmdPlugin(f *Factory, runF func(*PluginCheckOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "plugin",
		Short:   "Work with classifier plugins",
		Example: "  ecgrobust plugin check bin/example-go",
	}
	cmd.AddCommand(newCmdPluginCheck(f, runF))
	return cmd
}

func newCmdPluginCheck(f *Factory, runF func(*PluginCheckOptions) error) *cobra.Command {
	opts := &PluginCheckOptions{Factory: f}
	cmd := &cobra.Command{
		Use:     "check BINARY [-- PLUGIN-ARGS...]",
		Short:   "Check a plugin against the protocol contract",
		Long:    pluginCheckLong,
		Example: "  ecgrobust plugin check bin/example-go\n  ecgrobust plugin check plugins/examples/python/plugin.py --json",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if dash := cmd.ArgsLenAtDash(); len(args) > 1 && dash != 1 {
				return usageErrorf("plugin check: one binary expected, got %q; pass plugin arguments after --", args)
			}
			if opts.Timeout <= 0 {
				return usageErrorf("--timeout %v: must be positive", opts.Timeout)
			}
			opts.Path, opts.Args, opts.JSON = args[0], args[1:], f.Global.JSON
			if f.Global.SeedSet {
				opts.Seed = f.Global.Seed
			}
			if runF != nil {
				return runF(opts)
			}
			return pluginCheckRun(cmd, opts)
		},
	}
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", time.Minute, "deadline of one plugin call")
	cmd.Flags().StringVar(&opts.SHA256, "sha256", "", "refuse to start a binary with another SHA-256 (hex)")
	return cmd
}

func pluginCheckRun(cmd *cobra.Command, opts *PluginCheckOptions) error {
	f := opts.Factory
	defer host.Cleanup()
	level := slog.LevelInfo
	if f.Global.Quiet {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(f.Stderr, &slog.HandlerOptions{Level: level}))
	cfg := host.Config{Path: opts.Path, Args: opts.Args, SHA256: opts.SHA256, CallTimeout: opts.Timeout, Logger: log}
	r, err := conformance.CheckBinary(cmd.Context(), cfg, conformance.Options{Seed: opts.Seed})
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("plugin check: %w", err))
	}
	if opts.JSON {
		err = r.WriteJSON(f.Stdout)
	} else {
		err = r.WriteText(f.Stdout)
	}
	if err != nil {
		return withCode(ExitRuntime, err)
	}
	if failed := r.Failed(); len(failed) > 0 {
		return withCode(ExitFail, fmt.Errorf("plugin check: %d of %d checks failed", len(failed), len(r.Items)))
	}
	return nil
}
