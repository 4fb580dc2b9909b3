package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ecgrobust/ecgrobust/reports/report"
)

// VerifyOptions are the inputs of `ecgrobust verify`.
type VerifyOptions struct {
	Factory *Factory
	// Dir is the evidence bundle (a run's --out directory).
	Dir string
	// Replay re-runs the recorded command and compares results.json.
	Replay bool
	// InputDirs are searched by base name for inputs (plugin binary, data
	// files) not found at their recorded paths.
	InputDirs []string
	// JSON prints a machine-readable summary on stdout (--json); the
	// human-readable lines go to stderr.
	JSON bool
}

// verifySummary is what `verify --json` prints.
type verifySummary struct {
	Bundle string       `json:"bundle"`
	OK     bool         `json:"ok"`
	Files  []verifyFile `json:"files"`
	// Replay is set when --replay ran.
	Replay *replaySummary `json:"replay,omitempty"`
	Error  string         `json:"error,omitempty"`
}

type verifyFile struct {
	Role   string `json:"role"`
	Path   string `json:"path"`
	Status string `json:"status"`
	// SHA256 is the manifest's hash, Found the file's hash now.
	SHA256   string `json:"sha256"`
	Found    string `json:"found,omitempty"`
	HashedAt string `json:"hashed_at"`
}

type replaySummary struct {
	Command   []string `json:"command"`
	Identical bool     `json:"identical"`
}

const verifyLong = `Check an evidence bundle: re-hash every file listed in DIR/manifest.json
(spec, plugin binary, data files, results and reports) and name each file
that changed or is missing. Inputs are looked for at their recorded paths;
--inputs DIR also looks in DIR by file name (e.g. a plugin binary received
with the bundle).

With --replay, also run the recorded command line again (in this
ecgrobust, through the same code path as 'ecgrobust run', writing into a
temporary directory) and confirm that the new results.json is identical,
byte for byte, to the one in the bundle.

Exit codes: 0 the bundle checks out, 1 a file changed or the replay
differs, 3 usage, 4 the bundle or the replay could not be read or run.
What else to check in a bundle: docs/auditor-guide.md#verifying-an-evidence-bundle.`

func newCmdVerify(f *Factory, runF func(context.Context, *VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{Factory: f}
	cmd := &cobra.Command{
		Use:     "verify DIR",
		Short:   "Re-check an evidence bundle's hashes, optionally replaying the run",
		Long:    verifyLong,
		Example: "  ecgrobust verify out/\n  ecgrobust verify --inputs ./received out/\n  ecgrobust verify --replay out/",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = args[0]
			opts.JSON = f.Global.JSON
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runVerify(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Replay, "replay", false, "re-run the recorded command and compare results.json")
	cmd.Flags().StringArrayVar(&opts.InputDirs, "inputs", nil, "directory to look in for inputs not at their recorded path (repeatable)")
	return cmd
}

func runVerify(ctx context.Context, opts *VerifyOptions) error {
	out := opts.Factory.Stdout
	if !opts.JSON {
		return verifyBundle(ctx, opts, out, nil)
	}
	sum := &verifySummary{Bundle: opts.Dir, Files: []verifyFile{}}
	err := verifyBundle(ctx, opts, opts.Factory.Stderr, sum)
	sum.OK = err == nil
	if err != nil {
		sum.Error = err.Error()
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	if jerr := enc.Encode(sum); jerr != nil && err == nil {
		err = jerr
	}
	return err
}

// verifyBundle checks the bundle, printing a line per file to out, and
// fills sum when it is not nil.
func verifyBundle(ctx context.Context, opts *VerifyOptions, out io.Writer, sum *verifySummary) error {
	m, checks, err := report.VerifyWith(opts.Dir, report.VerifyOptions{InputDirs: opts.InputDirs})
	if m == nil {
		return withCode(ExitRuntime, err)
	}
	if sum != nil {
		for _, c := range checks {
			sum.Files = append(sum.Files, verifyFile{Role: c.File.Role, Path: c.File.Path, Status: c.Status,
				SHA256: c.File.SHA256, Found: c.SHA256, HashedAt: c.Resolved})
		}
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, c := range checks {
		line := fmt.Sprintf("%s\t%s\t%s", c.Status, c.File.Role, c.File.Path)
		if !c.File.InBundle && c.File.Role != report.RoleOutput && c.Resolved != c.File.Path {
			line += "\t(at " + c.Resolved + ")"
		}
		fmt.Fprintln(tw, line)
	}
	_ = tw.Flush()
	if err != nil {
		return withCode(ExitFail, err)
	}
	fmt.Fprintf(out, "all %d files match manifest.json\n", len(checks))
	if !opts.Replay {
		return nil
	}
	if sum != nil {
		sum.Replay = &replaySummary{Command: m.Command}
	}
	err = replay(ctx, opts, m, out)
	if sum != nil && err == nil {
		sum.Replay.Identical = true
	}
	return err
}

// replay re-runs m.Command in m.WorkDir through the same command tree as
// the CLI, with --out pointing to a temporary directory, and compares the
// new results.json with the bundle's.
func replay(ctx context.Context, opts *VerifyOptions, m *report.Manifest, out io.Writer) error {
	f := opts.Factory
	if len(m.Command) < 2 {
		return withCode(ExitRuntime, errors.New("replay: manifest.json records no command line"))
	}
	if m.HarnessVersion != Version {
		fmt.Fprintf(f.Stderr, "warning: bundle written by ecgrobust %s, replaying with %s\n", m.HarnessVersion, Version)
	}
	want, err := os.ReadFile(filepath.Join(opts.Dir, report.ResultsFile))
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("replay: %w", err))
	}
	tmp, err := os.MkdirTemp("", "ecgrobust-replay-")
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("replay: %w", err))
	}
	defer os.RemoveAll(tmp)
	args := withOut(m.Command[1:], tmp)
	fmt.Fprintf(out, "replaying: ecgrobust %s\n", quoteArgs(args))

	restore, err := chdir(m.WorkDir)
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("replay: %w", err))
	}
	child := *f // same factory and dependencies; the run's own output goes to stderr
	child.Stdout = f.Stderr
	newRoot := replayRoot
	if newRoot == nil {
		newRoot = NewRootCmd
	}
	root := newRoot(&child)
	root.SetArgs(args)
	runErr := root.ExecuteContext(ctx)
	restore()
	if code := codeOf(runErr); runErr != nil && code != ExitFail && code != ExitInconclusive {
		return withCode(ExitRuntime, fmt.Errorf("replay: run: %w", runErr))
	}
	got, err := os.ReadFile(filepath.Join(tmp, report.ResultsFile))
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("replay produced no results: %w", err))
	}
	if !bytes.Equal(got, want) {
		return withCode(ExitFail, fmt.Errorf("replay: results.json differs from the bundle's %s", firstDifference(want, got)))
	}
	fmt.Fprintf(out, "replay: results.json is identical (%d bytes)\n", len(got))
	return nil
}

// replayRoot, when set, builds the command tree a replay runs in instead
// of NewRootCmd; tests set it.
var replayRoot func(*Factory) *cobra.Command

// withOut returns args with --out set to dir, replacing any --out given.
func withOut(args []string, dir string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--out":
			i++ // skip its value
		case len(a) > 6 && a[:6] == "--out=":
		default:
			out = append(out, a)
		}
	}
	return append(out, "--out", dir)
}

// chdir changes to dir (if not empty) and returns a function that
// changes back.
func chdir(dir string) (func(), error) {
	if dir == "" {
		return func() {}, nil
	}
	prev, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	if err := os.Chdir(dir); err != nil {
		return nil, fmt.Errorf("working directory of the recorded run: %w", err)
	}
	return func() { _ = os.Chdir(prev) }, nil
}

// firstDifference describes where b first differs from a, by line.
func firstDifference(a, b []byte) string {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return fmt.Sprintf("at line %d:\n  bundle: %s\n  replay: %s", i+1, clip(la[i]), clip(lb[i]))
		}
	}
	return fmt.Sprintf("in length: bundle %d lines, replay %d lines", len(la), len(lb))
}

func clip(b []byte) string {
	if len(b) > 160 {
		return string(b[:160]) + "…"
	}
	return string(b)
}

func quoteArgs(args []string) string {
	var b bytes.Buffer
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a == "" || bytes.ContainsAny([]byte(a), " \t\"'$\\") {
			fmt.Fprintf(&b, "%q", a)
		} else {
			b.WriteString(a)
		}
	}
	return b.String()
}
