package docs

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rhysd/actionlint"
	"gopkg.in/yaml.v3"
)

// TestCIFilesParse parses the CI files under docs/ci as YAML and checks
// they do what docs/ci-guide.md promises: build the plugin, run the gate,
// publish junit.xml and report.html, post summary.md and fail the job on a
// non-zero verdict. TestGuideInvocations checks their ecgrobust commands.
func TestCIFilesParse(t *testing.T) {
	t.Run("github-actions.yml", func(t *testing.T) {
		var wf struct {
			On   map[string]any `yaml:"on"`
			Jobs map[string]struct {
				Steps []struct {
					Name string            `yaml:"name"`
					Uses string            `yaml:"uses"`
					Run  string            `yaml:"run"`
					If   string            `yaml:"if"`
					With map[string]string `yaml:"with"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(mustRead(t, "docs/ci/github-actions.yml"), &wf); err != nil {
			t.Fatalf("parse: %v", err)
		}
		if wf.On["pull_request"] == nil && len(wf.On) == 0 {
			t.Error("the workflow does not run on pull requests")
		}
		job, ok := wf.Jobs["robustness"]
		if !ok || len(job.Steps) == 0 {
			t.Fatal("no robustness job with steps")
		}
		var all strings.Builder
		uploads, last := "", job.Steps[len(job.Steps)-1]
		for _, s := range job.Steps {
			all.WriteString(s.Run + "\n")
			if s.Run != "" {
				bashSyntax(t, "step "+s.Name, regexp.MustCompile(`\$\{\{[^}]*\}\}`).ReplaceAllString(s.Run, "X"))
			}
			if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
				uploads += s.With["path"]
				if !strings.Contains(s.If, "always()") {
					t.Error("the artefacts must be uploaded on failure too: if: always()")
				}
			}
		}
		for _, want := range []string{"report.html", "junit.xml", "summary.md"} {
			if !strings.Contains(uploads, want) {
				t.Errorf("the workflow does not upload %s", want)
			}
		}
		for _, want := range []string{"ecgrobust plugin check", "ecgrobust run ", "gh pr comment", "ecgrobust compare", "GITHUB_STEP_SUMMARY"} {
			if !strings.Contains(all.String(), want) {
				t.Errorf("the workflow never runs %q", want)
			}
		}
		if !strings.Contains(last.Run, "exit 1") || !strings.Contains(last.If, "always()") {
			t.Error("the last step must fail the job on FAIL (exit 1) and run always()")
		}
	})
	t.Run("gitlab-ci.yml", func(t *testing.T) {
		var ci map[string]struct {
			Script    []string `yaml:"script"`
			Artifacts struct {
				When    string   `yaml:"when"`
				Paths   []string `yaml:"paths"`
				Reports struct {
					JUnit string `yaml:"junit"`
				} `yaml:"reports"`
			} `yaml:"artifacts"`
		}
		// Top-level keys other than jobs (variables) decode to empty jobs.
		if err := yaml.Unmarshal(mustRead(t, "docs/ci/gitlab-ci.yml"), &ci); err != nil {
			t.Fatalf("parse: %v", err)
		}
		job, ok := ci["ecgrobust"]
		if !ok || len(job.Script) == 0 {
			t.Fatal("no ecgrobust job with a script")
		}
		script := strings.Join(job.Script, "\n")
		bashSyntax(t, "script", script)
		for _, want := range []string{"ecgrobust plugin check", "ecgrobust run ", "merge_requests/$CI_MERGE_REQUEST_IID/notes", "summary.md", "ecgrobust compare"} {
			if !strings.Contains(script, want) {
				t.Errorf("the job never runs %q", want)
			}
		}
		if !strings.HasPrefix(job.Script[len(job.Script)-1], "exit $code") {
			t.Error("the script must end by exiting with the verdict's code")
		}
		if job.Artifacts.When != "always" {
			t.Error("artefacts must be kept when the job fails: when: always")
		}
		if !strings.HasSuffix(job.Artifacts.Reports.JUnit, "junit.xml") {
			t.Error("junit.xml is not reported to GitLab")
		}
		if !strings.Contains(strings.Join(job.Artifacts.Paths, " "), "report.html") {
			t.Error("report.html is not kept as an artefact")
		}
	})
}

// TestGitHubWorkflowLint runs actionlint on the GitHub Actions workflow:
// unknown keys, undefined step outputs in expressions, unknown inputs of
// the actions it uses, bad globs and (when shellcheck is installed) the
// shell of its run steps.
func TestGitHubWorkflowLint(t *testing.T) {
	var out strings.Builder
	l, err := actionlint.NewLinter(&out, &actionlint.LinterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint("docs/ci/github-actions.yml", mustRead(t, "docs/ci/github-actions.yml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("actionlint: %v", e)
	}
}

// bashSyntax fails the test when script is not valid bash (bash -n).
func bashSyntax(t *testing.T, what, script string) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found")
	}
	cmd := exec.Command("bash", "-n")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s is not valid bash: %v\n%s\n%s", what, err, out, script)
	}
}

// TestCIJobsRun runs the CI files' own scripts, from the plugin check on,
// against the example plugin (as bin/my-plugin) in a checkout-like
// sandbox: the gate must record the verdict's exit code, write the files
// the jobs publish, and fail the job on the example's FAIL.
func TestCIJobsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the gate twice (about 10 s); not in -short mode")
	}
	t.Parallel()
	t.Run("github-actions.yml", func(t *testing.T) {
		var wf struct {
			Jobs map[string]struct {
				Steps []struct {
					Name string `yaml:"name"`
					Run  string `yaml:"run"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(mustRead(t, "docs/ci/github-actions.yml"), &wf); err != nil {
			t.Fatal(err)
		}
		step := map[string]string{}
		for _, s := range wf.Jobs["robustness"].Steps {
			step[s.Name] = s.Run
		}
		dir := ciSandbox(t)
		outputs, summary := filepath.Join(dir, "github-output"), filepath.Join(dir, "step-summary")
		env := []string{"OUT=out/ecgrobust", "GITHUB_OUTPUT=" + outputs, "GITHUB_STEP_SUMMARY=" + summary}
		for _, name := range []string{"Check the plugin contract", "Run the robustness gate", "Show the summary on the run page"} {
			if out, code := runScript(t, dir, env, step[name]); code != 0 {
				t.Fatalf("step %q exited %d:\n%s", name, code, out)
			}
		}
		got, _ := os.ReadFile(outputs)
		if strings.TrimSpace(string(got)) != "code=1" {
			t.Fatalf("the gate step wrote %q to GITHUB_OUTPUT, want code=1 (the example FAILs)", got)
		}
		for _, f := range []string{"report.html", "junit.xml", "summary.md", "results.json", "manifest.json"} {
			if _, err := os.Stat(filepath.Join(dir, "out/ecgrobust", f)); err != nil {
				t.Errorf("the gate did not write %s, which the workflow publishes", f)
			}
		}
		if s, _ := os.ReadFile(summary); !strings.Contains(string(s), "FAIL") {
			t.Errorf("the run page summary lacks the verdict:\n%s", s)
		}
		block := strings.ReplaceAll(step["Block the merge on FAIL or INCONCLUSIVE"], "${{ steps.gate.outputs.code }}", "1")
		if out, code := runScript(t, dir, env, block); code != 1 || !strings.Contains(out, "FAIL") {
			t.Errorf("the blocking step exited %d on FAIL, want 1:\n%s", code, out)
		}
		block0 := strings.ReplaceAll(step["Block the merge on FAIL or INCONCLUSIVE"], "${{ steps.gate.outputs.code }}", "0")
		if out, code := runScript(t, dir, env, block0); code != 0 {
			t.Errorf("the blocking step exited %d on PASS, want 0:\n%s", code, out)
		}
	})
	t.Run("gitlab-ci.yml", func(t *testing.T) {
		var ci map[string]struct {
			Script []string `yaml:"script"`
		}
		if err := yaml.Unmarshal(mustRead(t, "docs/ci/gitlab-ci.yml"), &ci); err != nil {
			t.Fatal(err)
		}
		script := ci["ecgrobust"].Script
		i := slices.IndexFunc(script, func(l string) bool { return strings.HasPrefix(l, "ecgrobust plugin check") })
		if i < 0 {
			t.Fatal("the job never runs ecgrobust plugin check")
		}
		dir := ciSandbox(t)
		out, code := runScript(t, dir, []string{"OUT=out/ecgrobust"}, strings.Join(script[i:], "\n"))
		if code != 1 {
			t.Errorf("the job exited %d on the example's FAIL, want 1:\n%s", code, out)
		}
		if _, err := os.Stat(filepath.Join(dir, "out/ecgrobust/junit.xml")); err != nil {
			t.Error("the job did not write the junit.xml it reports")
		}
	})
}

// ciSandbox is a sandbox with the example plugin as bin/my-plugin.
func ciSandbox(t *testing.T) string {
	t.Helper()
	dir := sandbox(t)
	if err := os.Symlink(filepath.Join(binDir(t), "example-go"), filepath.Join(dir, "bin", "my-plugin")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runScript runs a CI script with bash -e in dir, with bin/ on PATH and
// no CI variables but env, and returns its output and exit code.
func runScript(t *testing.T, dir string, env []string, script string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + filepath.Join(dir, "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"), "GOCACHE=" + os.Getenv("GOCACHE")}, env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("run script: %v", err)
	}
	return string(out), 0
}
