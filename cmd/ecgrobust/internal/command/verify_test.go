package command

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ecgrobust/ecgrobust/reports/report"
	"github.com/ecgrobust/ecgrobust/reports/report/reporttest"
)

func TestVerifyCleanBundle(t *testing.T) {
	dir, _ := writeFixtureBundle(t, []string{"ecgrobust", "run", "spec.yaml"})
	code, out, errs := execCLI(t, "verify", dir)
	if code != ExitPass {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "all 7 files match manifest.json") {
		t.Errorf("output = %q", out)
	}
}

func TestVerifyNamesChangedFile(t *testing.T) {
	dir, specPath := writeFixtureBundle(t, []string{"ecgrobust", "run", "spec.yaml"})
	if err := os.WriteFile(filepath.Join(dir, "report.html"), []byte("<html>tampered</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(specPath, []byte("metadata: {name: something-else}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := execCLI(t, "verify", dir)
	if code != ExitFail {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitFail, out, errs)
	}
	for _, want := range []string{"output report.html changed", "spec spec.yaml changed"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr %q does not name %q", errs, want)
		}
	}
	if !strings.Contains(out, "changed  output  report.html") {
		t.Errorf("the table does not flag report.html:\n%s", out)
	}
}

func TestVerifyNoManifest(t *testing.T) {
	code, _, errs := execCLI(t, "verify", t.TempDir())
	if code != ExitRuntime || !strings.Contains(errs, "manifest.json") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

// fakeRunRoot is a command tree whose "run" writes the fixture's
// results.json (changed by mutate) into --out, as the real run would.
func fakeRunRoot(t *testing.T, mutate func(b []byte) []byte, seen *[]string) func(*Factory) *cobra.Command {
	return func(f *Factory) *cobra.Command {
		root := &cobra.Command{Use: "ecgrobust", SilenceUsage: true, SilenceErrors: true}
		var out string
		run := &cobra.Command{Use: "run", Args: cobra.ExactArgs(1), RunE: func(_ *cobra.Command, args []string) error {
			wd, _ := os.Getwd()
			*seen = append(*seen, args[0], wd)
			if _, err := os.Stat(args[0]); err != nil {
				return err // the spec must resolve from the recorded work dir
			}
			r := reporttest.Result()
			if _, err := report.WriteAll(out, r, report.Options{Version: Version, WorkDir: wd}); err != nil {
				return err
			}
			if mutate != nil {
				p := filepath.Join(out, "results.json")
				b, _ := os.ReadFile(p)
				if err := os.WriteFile(p, mutate(b), 0o644); err != nil {
					return err
				}
			}
			return &exitError{code: ExitFail} // the fixture's verdict
		}}
		run.Flags().StringVar(&out, "out", "out", "")
		root.AddCommand(run)
		return root
	}
}

func TestVerifyReplay(t *testing.T) {
	dir, specPath := writeFixtureBundle(t, []string{"ecgrobust", "run", "spec.yaml", "--out", "somewhere"})
	var seen []string
	replayRoot = fakeRunRoot(t, nil, &seen)
	defer func() { replayRoot = nil }()
	code, out, errs := execCLI(t, "verify", "--replay", dir)
	if code != ExitPass {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "replay: results.json is identical") {
		t.Errorf("output = %q", out)
	}
	if len(seen) != 2 || seen[0] != "spec.yaml" || seen[1] != filepath.Dir(specPath) {
		t.Errorf("run saw %q, want spec.yaml run in %s", seen, filepath.Dir(specPath))
	}
	if strings.Contains(out, "somewhere") {
		t.Errorf("the recorded --out was not replaced: %q", out)
	}
}

func TestVerifyReplayDiffers(t *testing.T) {
	dir, _ := writeFixtureBundle(t, []string{"ecgrobust", "run", "spec.yaml"})
	var seen []string
	replayRoot = fakeRunRoot(t, func(b []byte) []byte {
		return []byte(strings.Replace(string(b), `"seed": 42`, `"seed": 43`, 1))
	}, &seen)
	defer func() { replayRoot = nil }()
	code, out, errs := execCLI(t, "verify", "--replay", dir)
	if code != ExitFail {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitFail, out, errs)
	}
	if !strings.Contains(errs, "results.json differs") || !strings.Contains(errs, `"seed": 43`) {
		t.Errorf("stderr %q does not show the difference", errs)
	}
}

func TestWithOut(t *testing.T) {
	tests := []struct{ in, want string }{
		{"run s.yaml --out a", "run s.yaml --out T"},
		{"run s.yaml --out=a --seed 3", "run s.yaml --seed 3 --out T"},
		{"run s.yaml", "run s.yaml --out T"},
	}
	for _, tt := range tests {
		got := strings.Join(withOut(strings.Fields(tt.in), "T"), " ")
		if got != tt.want {
			t.Errorf("withOut(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestVerifyFlags(t *testing.T) {
	f, _, _ := testFactory()
	var got *VerifyOptions
	cmd := newCmdVerify(f, func(_ context.Context, o *VerifyOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"bundle", "--replay", "--inputs", "a", "--inputs", "b"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Dir != "bundle" || !got.Replay || strings.Join(got.InputDirs, ",") != "a,b" {
		t.Errorf("options = %+v", got)
	}
}

func TestVerifyJSON(t *testing.T) {
	dir, _ := writeFixtureBundle(t, []string{"ecgrobust", "run", "spec.yaml"})
	if err := os.WriteFile(filepath.Join(dir, "summary.md"), []byte("edited"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := execCLI(t, "verify", "--json", dir)
	if code != ExitFail {
		t.Fatalf("exit %d, want %d\n%s", code, ExitFail, errs)
	}
	var sum verifySummary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if sum.OK || len(sum.Files) != 7 || !strings.Contains(sum.Error, "output summary.md changed") {
		t.Errorf("summary = %+v", sum)
	}
	changed := 0
	for _, f := range sum.Files {
		if f.Status == "changed" {
			changed++
			if f.Path != "summary.md" || f.Found == "" || f.Found == f.SHA256 {
				t.Errorf("changed file entry %+v", f)
			}
		}
	}
	if changed != 1 {
		t.Errorf("%d files changed, want 1", changed)
	}
	if !strings.Contains(errs, "changed  output  summary.md") {
		t.Errorf("the human-readable table did not go to stderr: %q", errs)
	}
}
