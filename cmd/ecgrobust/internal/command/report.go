package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/reports/report"
	"github.com/ecgrobust/ecgrobust/specs"
)

// ReportOptions are the inputs of `ecgrobust report`.
type ReportOptions struct {
	Factory *Factory
	// Results is the results.json to render.
	Results string
	// Out is the directory the reports are written to.
	Out string
	// Format, when set, prints that one format to standard output instead
	// of writing the directory (e.g. markdown for a PR comment).
	Format string
}

const reportLong = `Render every report again from a results.json alone, without re-running:
results.json (same bytes), timings.json (when one sits beside the results),
report.html, junit.xml, summary.md and manifest.json.

When a manifest.json sits beside the results, its inputs (spec, plugin,
data hashes), the spec copy and the replay command are carried into the new
manifest.

With --format, print one format to standard output instead: json, timings,
html, junit or markdown (summary.md, e.g. for a pull-request comment).`

func newCmdReport(f *Factory, runF func(context.Context, *ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{Factory: f}
	cmd := &cobra.Command{
		Use:     "report RESULTS.json",
		Short:   "Re-render the reports from a results file",
		Long:    reportLong,
		Example: "  ecgrobust report out/results.json --out out/rerendered\n  ecgrobust report out/results.json --format markdown > comment.md",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Results = args[0]
			if opts.Format != "" {
				if _, err := report.ParseFormat(opts.Format); err != nil {
					return usageErrorf("--format: %w", err)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runReport(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Out, "out", "out", "directory for the rendered reports")
	cmd.Flags().StringVar(&opts.Format, "format", "", "print one format to standard output: json, timings, html, junit or markdown")
	return cmd
}

func runReport(_ context.Context, opts *ReportOptions) error {
	r, err := report.ReadResults(opts.Results)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return usageErrorf("%w", err)
		}
		return withCode(ExitUsage, err)
	}
	dir := filepath.Dir(opts.Results)
	if opts.Format == "" && sameDir(dir, opts.Out) {
		if _, err := os.Stat(filepath.Join(dir, report.ManifestFile)); err == nil {
			return usageErrorf("--out %s is the bundle the results come from: re-rendering there would replace the run's manifest.json, its evidence; choose another --out", opts.Out)
		}
	}
	o, err := carriedOptions(dir)
	if err != nil {
		return withCode(ExitRuntime, err)
	}
	if t, err := readTimings(filepath.Join(dir, report.TimingsFile)); err != nil {
		return withCode(ExitRuntime, err)
	} else if t != nil {
		r.Timings = t
	}
	if opts.Format != "" {
		f, _ := report.ParseFormat(opts.Format) // checked in RunE
		if err := o.Write(opts.Factory.Stdout, r, f); err != nil {
			return withCode(ExitRuntime, fmt.Errorf("write %s: %w", f, err))
		}
		return nil
	}
	m, err := report.WriteAll(opts.Out, r, o)
	if err != nil {
		return withCode(ExitRuntime, fmt.Errorf("write reports: %w", err))
	}
	for _, file := range m.Files {
		if file.Role == report.RoleOutput {
			fmt.Fprintf(opts.Factory.Stdout, "wrote %s\n", filepath.Join(opts.Out, file.Path))
		}
	}
	fmt.Fprintf(opts.Factory.Stdout, "wrote %s\n", filepath.Join(opts.Out, report.ManifestFile))
	return nil
}

// sameDir reports whether a and b name the same directory.
func sameDir(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA != nil || errB != nil {
		return false
	}
	return os.SameFile(sa, sb)
}

// carriedOptions are report options whose inputs and replay command come
// from the manifest in dir, if there is one.
func carriedOptions(dir string) (report.Options, error) {
	o := report.Options{Version: Version}
	m, err := report.ReadManifest(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return o, nil
	}
	if err != nil {
		return o, err
	}
	o.Command, o.WorkDir = m.Command, m.WorkDir
	for _, file := range m.Files {
		switch {
		case file.Role == report.RoleOutput:
		case file.InBundle: // an attachment, e.g. the spec copy: carried along
			b, err := os.ReadFile(filepath.Join(dir, file.Path))
			if err != nil {
				return o, fmt.Errorf("carry %s: %w", file.Path, err)
			}
			o.Attachments = append(o.Attachments, report.Attachment{Name: file.Path, Role: file.Role, Data: b})
		default:
			o.Inputs = append(o.Inputs, report.Input{Role: file.Role, Path: file.Path, SHA256: file.SHA256, Bytes: file.Bytes})
		}
	}
	return o, nil
}

func readTimings(path string) (*engine.Timings, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read timings: %w", err)
	}
	var t engine.Timings
	if err := decodeStrict(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &t, nil
}

// writeBundle writes results.json and every report into dir, with a
// manifest hashing the spec file, the plugin binary and the data files the
// run read (for example the CinC zip named by dataset.Stream.Origin). It
// returns the paths written, report.html first.
func writeBundle(dir string, s *spec.Spec, res *engine.Result, dataFiles []string) ([]string, error) {
	o := report.Options{Version: Version, Command: os.Args, Inputs: bundleInputs(s, dataFiles)}
	if b, err := specSource(s); err == nil {
		// The spec as run, kept with the evidence: a bundled spec may
		// change in a later ecgrobust, a spec file may be edited.
		o.Attachments = append(o.Attachments, report.Attachment{Name: "spec.yaml", Role: report.RoleSpec, Data: b})
	}
	m, err := report.WriteAll(dir, res, o)
	if err != nil {
		return nil, err
	}
	paths := []string{filepath.Join(dir, report.HTMLFile)}
	for _, file := range m.Files {
		if file.Role == report.RoleOutput && file.Path != report.HTMLFile {
			paths = append(paths, filepath.Join(dir, file.Path))
		}
	}
	return append(paths, filepath.Join(dir, report.ManifestFile)), nil
}

// specSource returns the bytes of the spec as written: its file, or the
// bundled spec's source.
func specSource(s *spec.Spec) ([]byte, error) {
	if s == nil || s.File == "" {
		return nil, errors.New("spec has no source")
	}
	if name, ok := strings.CutPrefix(s.File, bundledPrefix); ok {
		return specs.Read(name)
	}
	return os.ReadFile(s.File)
}

// bundleInputs lists the files a run of s read: the spec file (a bundled
// spec is identified by its hash in results.json), the plugin binary
// (absolute, so the bundle can be checked from anywhere) and the data
// files that exist on disk.
func bundleInputs(s *spec.Spec, dataFiles []string) []report.Input {
	var in []report.Input
	if s != nil && s.File != "" && !strings.HasPrefix(s.File, bundledPrefix) {
		in = append(in, report.Input{Role: report.RoleSpec, Path: s.File})
	}
	if s != nil && !s.Model.IsReference() && s.Model.Plugin != "" {
		// Found the way run found it; a plugin that cannot be found was
		// not run, and results.json still carries the model's hash.
		if p, err := resolvePluginPath(s.Model.Plugin, specDir(s)); err == nil {
			if abs, err := filepath.Abs(p); err == nil {
				p = abs
			}
			in = append(in, report.Input{Role: report.RolePlugin, Path: p})
		}
	}
	for _, d := range dataFiles {
		if st, err := os.Stat(d); err == nil && st.Mode().IsRegular() {
			in = append(in, report.Input{Role: report.RoleData, Path: d})
		}
	}
	return in
}

// decodeStrict decodes JSON b into v, rejecting unknown fields.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}
