package command

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/reports/report"
	"github.com/ecgrobust/ecgrobust/reports/report/reporttest"
)

// writeFixtureBundle writes the report fixture's bundle into a new
// directory, with a spec input and the given replay command.
func writeFixtureBundle(t *testing.T, command []string) (dir, specPath string) {
	t.Helper()
	dir = t.TempDir()
	work := t.TempDir()
	specPath = filepath.Join(work, "spec.yaml")
	if err := os.WriteFile(specPath, []byte("metadata: {name: audit-full}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := report.Options{
		Now:         func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) },
		Version:     Version,
		Command:     command,
		WorkDir:     work,
		Inputs:      []report.Input{{Role: report.RoleSpec, Path: "spec.yaml"}},
		Attachments: []report.Attachment{{Name: "spec.yaml", Role: report.RoleSpec, Data: []byte("metadata: {name: audit-full}\n")}},
	}
	if _, err := report.WriteAll(dir, reporttest.Result(), o); err != nil {
		t.Fatal(err)
	}
	return dir, specPath
}

func execCLI(t *testing.T, args ...string) (ExitCode, string, string) {
	t.Helper()
	f, out, errb := testFactory()
	root := NewRootCmd(f)
	root.SetArgs(args)
	code := execute(context.Background(), root, f.Stderr)
	return code, out.String(), errb.String()
}

func TestReportRerenders(t *testing.T) {
	src, _ := writeFixtureBundle(t, []string{"ecgrobust", "run", "spec.yaml"})
	dst := filepath.Join(t.TempDir(), "again")
	code, out, errs := execCLI(t, "report", filepath.Join(src, "results.json"), "--out", dst)
	if code != ExitPass {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, name := range []string{"results.json", "timings.json", "report.html", "junit.xml", "summary.md", "manifest.json"} {
		if !strings.Contains(out, filepath.Join(dst, name)) {
			t.Errorf("output does not mention %s:\n%s", name, out)
		}
	}
	a, _ := os.ReadFile(filepath.Join(src, "results.json"))
	b, err := os.ReadFile(filepath.Join(dst, "results.json"))
	if err != nil || !bytes.Equal(a, b) {
		t.Errorf("re-rendered results.json differs from the original (err %v)", err)
	}
	html, _ := os.ReadFile(filepath.Join(dst, "report.html"))
	if !bytes.Contains(html, []byte(`data-chart="overlay-a00001-sap-10uv"`)) {
		t.Error("re-rendered report.html lacks the SAP overlay")
	}
	// The spec input and the replay command are carried over, so the new
	// bundle verifies too.
	m, err := report.ReadManifest(dst)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Command) != 3 || m.Files[0].Role != report.RoleSpec {
		t.Errorf("manifest did not carry the command and inputs: %+v", m)
	}
	if code, out, errs := execCLI(t, "verify", dst); code != ExitPass {
		t.Errorf("verify of the re-rendered bundle: exit %d\n%s%s", code, out, errs)
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "results.json")
	if err := os.WriteFile(bad, []byte("{\n  \"schema_version\": \"ecgrobust.results/v1\",\n  \"run\": 3\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code ExitCode
		want string
	}{
		{"missing file", []string{"report", filepath.Join(dir, "nope.json")}, ExitUsage, "nope.json"},
		{"bad json", []string{"report", bad, "--out", t.TempDir()}, ExitUsage, "results.json: line 3"},
		{"no args", []string{"report"}, ExitUsage, "accepts 1 arg"},
		{"unknown format", []string{"report", bad, "--format", "pdf"}, ExitUsage, `unknown format "pdf"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := execCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, errs, tt.code, tt.want)
			}
		})
	}
}

func TestReportFlags(t *testing.T) {
	f, _, _ := testFactory()
	var got *ReportOptions
	cmd := newCmdReport(f, func(_ context.Context, o *ReportOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"r.json", "--out", "x"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Results != "r.json" || got.Out != "x" {
		t.Errorf("options = %+v", got)
	}
}

func TestBundleInputs(t *testing.T) {
	dir := t.TempDir()
	specFile := filepath.Join(dir, "my.yaml")
	plugin := filepath.Join(dir, "plugin-bin")
	data := filepath.Join(dir, "training2017.zip")
	for _, p := range []string{specFile, plugin, data} {
		if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := &spec.Spec{File: specFile}
	s.Model.Plugin = "plugin-bin" // relative to the spec's directory
	in := bundleInputs(s, []string{data, filepath.Join(dir, "missing.zip"), "embedded:demo"})
	var got []string
	for _, i := range in {
		got = append(got, i.Role+"="+i.Path)
	}
	want := []string{"spec=" + specFile, "plugin=" + plugin, "data=" + data}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("inputs = %q, want %q", got, want)
	}
	s = &spec.Spec{File: "bundled:ci-gate-quick"}
	s.Model.Plugin = spec.ReferenceModel
	if in := bundleInputs(s, nil); len(in) != 0 {
		t.Errorf("bundled spec with the reference model: inputs %v, want none", in)
	}
}

func TestSpecSource(t *testing.T) {
	b, err := specSource(&spec.Spec{File: bundledPrefix + "ci-gate-quick"})
	if err != nil || !strings.Contains(string(b), "ci-gate-quick") {
		t.Errorf("bundled spec source: %v, %d bytes", err, len(b))
	}
	if _, err := specSource(&spec.Spec{File: filepath.Join(t.TempDir(), "none.yaml")}); err == nil {
		t.Error("missing spec file: no error")
	}
}

func TestReportFormatToStdout(t *testing.T) {
	src, _ := writeFixtureBundle(t, nil)
	code, out, errs := execCLI(t, "report", filepath.Join(src, "results.json"), "--format", "markdown")
	want, _ := os.ReadFile(filepath.Join(src, "summary.md"))
	if code != ExitPass || out != string(want) {
		t.Errorf("exit %d, stderr %q; stdout differs from summary.md:\n%s", code, errs, out)
	}
}

func TestReportRefusesToOverwriteEvidence(t *testing.T) {
	src, _ := writeFixtureBundle(t, []string{"ecgrobust", "run", "spec.yaml"})
	before, _ := os.ReadFile(filepath.Join(src, "manifest.json"))
	code, _, errs := execCLI(t, "report", filepath.Join(src, "results.json"), "--out", src)
	if code != ExitUsage || !strings.Contains(errs, "replace the run's manifest.json") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	after, _ := os.ReadFile(filepath.Join(src, "manifest.json"))
	if !bytes.Equal(before, after) {
		t.Error("the bundle's manifest.json was rewritten")
	}
}
