package docs

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"

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
