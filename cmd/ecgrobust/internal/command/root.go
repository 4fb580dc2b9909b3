// Package command is the ecgrobust command tree. Each command lives in its
// own file with an Options struct and an injectable run function; the
// library packages do the work.
package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Version is the harness version, set at build time with
// -ldflags "-X github.com/ecgrobust/ecgrobust/cmd/ecgrobust/internal/command.Version=…".
var Version = "0.1.0-dev"

// Factory holds the streams and lazily built dependencies commands share,
// so command tests never start a plugin.
type Factory struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// IsTerminal reports whether Stderr is an interactive terminal.
	IsTerminal bool
	// Global holds the persistent flags once the command line is parsed.
	Global GlobalOptions
	// OpenClassifier opens the model a spec names, one instance per
	// worker; OpenedModel.Close releases it (kills plugin processes).
	OpenClassifier func(ctx context.Context, req ClassifierRequest) (*OpenedModel, error)
}

const rootLong = `ecgrobust tests whether an ECG rhythm classifier survives the adversarial
attacks of Han et al. 2020 (Nature Medicine 26:360): smoothed adversarial
perturbations (SAP), PGD and collating. A YAML spec fixes the data, model,
attacks, budgets, seeds and acceptance criteria; a run ends PASS, FAIL or
INCONCLUSIVE.

Exit codes:
  0  PASS: every criterion holds
  1  FAIL: a criterion does not hold
  2  INCONCLUSIVE: a criterion could not be evaluated
  3  invalid spec, flags or arguments
  4  runtime error (plugin, data or I/O)

Documentation: README.md and, in docs/, vendor-guide.md (wrap your model),
auditor-guide.md (run a standard spec, verify evidence), ci-guide.md
(release gates) and spec-reference.md (every spec field and metric).`

const rootExample = `  ecgrobust specs list
  ecgrobust plugin check ./my-plugin
  ecgrobust run ci-gate-quick --model ./my-plugin --out out/gate
  ecgrobust verify --replay out/gate
  ecgrobust compare out/release-1.3 out/gate --strict`

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:           "ecgrobust",
		Short:         "Adversarial robustness harness for ECG rhythm classifiers",
		Long:          rootLong,
		Example:       rootExample,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(f.Stdin)
	root.SetOut(f.Stdout)
	root.SetErr(f.Stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return usageErrorf("%w", err)
	})
	addGlobalFlags(root, &f.Global)
	root.AddCommand(
		newCmdVersion(f),
		newCmdReport(f, nil),
		newCmdVerify(f, nil),
		newCmdRun(f, nil),
		newCmdValidate(f, nil),
		newCmdSpecs(f, nil),
		newCmdCompare(f, nil),
		newCmdPlugin(f, nil),
		newCmdMerge(f, nil),
	)
	return root
}

// Main runs ecgrobust with os.Args and returns the exit code.
func Main() ExitCode {
	ctx, stop := interruptContext(os.Stderr)
	defer stop()
	f := &Factory{
		Stdin:          os.Stdin,
		Stdout:         os.Stdout,
		Stderr:         os.Stderr,
		IsTerminal:     isTerminal(os.Stderr),
		OpenClassifier: openClassifier,
	}
	return execute(ctx, NewRootCmd(f), f.Stderr)
}

// execute runs root and maps its error to an exit code.
func execute(ctx context.Context, root *cobra.Command, stderr io.Writer) ExitCode {
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitPass
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return ee.code
	}
	fmt.Fprintf(stderr, "ecgrobust: %v\n", err)
	if code := codeOf(err); code != ExitRuntime || !isCobraUsage(err) {
		return code
	}
	return ExitUsage
}
