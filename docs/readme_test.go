package docs

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestReadmeScreenshot checks the README's screenshot is a PNG under
// 500 KiB (make screenshot-readme renders it from the demo's report).
func TestReadmeScreenshot(t *testing.T) {
	b := mustRead(t, "docs/report.png")
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Error("docs/report.png is not a PNG")
	}
	if len(b) >= 500<<10 {
		t.Errorf("docs/report.png is %d bytes, want < 500 KiB", len(b))
	}
	if !strings.Contains(string(mustRead(t, "README.md")), "](docs/report.png)") {
		t.Error("README.md does not show docs/report.png")
	}
}

var mdLink = regexp.MustCompile(`\]\(([^)#\s]*)(#[^)\s]*)?\)`)

// TestLinks checks every relative link of README.md and the docs resolves
// to a file of the repository.
func TestLinks(t *testing.T) {
	files := []string{"README.md"}
	mds, _ := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	for _, m := range mds {
		rel, _ := filepath.Rel(repoRoot, m)
		files = append(files, rel)
	}
	for _, f := range files {
		for _, m := range mdLink.FindAllStringSubmatch(string(mustRead(t, f)), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			p := filepath.Join(repoRoot, filepath.Dir(f), target)
			if target == "" {
				p = filepath.Join(repoRoot, f)
			}
			if _, err := os.Stat(p); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, target)
				continue
			}
			if m[2] != "" && strings.HasSuffix(p, ".md") {
				md, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(anchors(string(md)), m[2][1:]) {
					t.Errorf("%s links to %s%s: no such section", f, target, m[2])
				}
			}
		}
	}
}

// walkPackages maps the package names the README's walk through a run
// uses to their directories.
var walkPackages = map[string]string{
	"command": "cmd/ecgrobust/internal/command",
	"spec":    "harness/spec",
	"verdict": "harness/verdict",
	"dataset": "harness/ecg/dataset",
	"engine":  "harness/engine",
	"noise":   "harness/ecg/noise",
	"host":    "plugins/host",
	"cnn":     "reference-model/cnn",
	"report":  "reports/report",
	"Factory": "cmd/ecgrobust/internal/command",
	"Spec":    "harness/spec",
	"Set":     "harness/verdict",
}

var fileExt = map[string]bool{"go": true, "html": true, "json": true, "xml": true, "md": true, "yaml": true}

// TestReadmeRunWalk checks that each function the README's "How
// ecgrobust run works" names, as `pkg.Func` or `Type.Method`, exists.
func TestReadmeRunWalk(t *testing.T) {
	readme := string(mustRead(t, "README.md"))
	i := strings.Index(readme, "### How `ecgrobust run` works")
	if i < 0 {
		t.Fatal("README.md has no \"How `ecgrobust run` works\" section")
	}
	walk := readme[i:]
	if j := strings.Index(walk[3:], "\n#"); j >= 0 {
		walk = walk[:j+3]
	}
	ident := regexp.MustCompile("`(?:[a-z/]+/)?([A-Za-z]+)\\.([A-Z][A-Za-z]*|[a-z][A-Za-z]*)\\(?\\)?`")
	checked := 0
	for _, m := range ident.FindAllStringSubmatch(walk, -1) {
		dir, ok := walkPackages[m[1]]
		if !ok || fileExt[m[2]] {
			continue
		}
		checked++
		if !declares(t, dir, m[2]) {
			t.Errorf("README.md's run walk names %s.%s, which %s does not declare", m[1], m[2], dir)
		}
	}
	for _, fn := range []string{"runRun", "Main", "verdictExit"} {
		if strings.Contains(walk, fn) && !declares(t, "cmd/ecgrobust/internal/command", fn) {
			t.Errorf("README.md's run walk names %s, which the command package does not declare", fn)
		}
	}
	if checked < 8 {
		t.Errorf("the run walk names only %d functions the test could check", checked)
	}
}

// declares reports whether a non-test Go file in dir declares the
// function, method or field-like name (func Name, func (…) Name, Name func).
func declares(t *testing.T, dir, name string) bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	re := regexp.MustCompile(`(?m)^func (\([^)]*\) )?` + name + `[\[(]|^\s+` + name + `\s+func\(`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if re.Match(b) {
			return true
		}
	}
	return false
}

// TestReadmeExitCodes checks the README's exit-code table against the
// constants of the command package.
func TestReadmeExitCodes(t *testing.T) {
	src := string(mustRead(t, "cmd/ecgrobust/internal/command/exitcode.go"))
	consts := regexp.MustCompile(`(?m)^\s+Exit\w+\s+ExitCode = (\d)`).FindAllStringSubmatch(src, -1)
	if len(consts) < 5 {
		t.Fatalf("found %d exit codes in exitcode.go", len(consts))
	}
	readme := string(mustRead(t, "README.md"))
	for _, c := range consts {
		if !regexp.MustCompile(`(?m)^\| ` + c[1] + ` \| \S`).MatchString(readme) {
			t.Errorf("README.md's exit-code table lacks code %s", c[1])
		}
	}
	rows := regexp.MustCompile(`(?m)^\| (\d) \|`).FindAllStringSubmatch(readme, -1)
	if len(rows) != len(consts) {
		t.Errorf("README.md lists %d exit codes, exitcode.go defines %d", len(rows), len(consts))
	}
}

var docRef = regexp.MustCompile(`docs/([a-z0-9-]+\.md)(#[a-z0-9-]+)?`)

// TestErrorDocRefs checks that the doc sections the CLI's messages point to
// (docs/x.md#anchor in cmd/ecgrobust/internal/command) exist.
func TestErrorDocRefs(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, "cmd/ecgrobust/internal/command/*.go"))
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range docRef.FindAllStringSubmatch(string(b), -1) {
			found++
			md, err := os.ReadFile(filepath.Join(repoRoot, "docs", m[1]))
			if err != nil {
				t.Errorf("%s points to docs/%s: %v", filepath.Base(f), m[1], err)
				continue
			}
			if m[2] != "" && !slices.Contains(anchors(string(md)), m[2][1:]) {
				t.Errorf("%s points to docs/%s%s: no such section", filepath.Base(f), m[1], m[2])
			}
		}
	}
	if found == 0 {
		t.Error("no CLI message points to the docs")
	}
}

// anchors returns the GitHub anchors of a Markdown file's headings.
func anchors(md string) []string {
	var out []string
	drop := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	for _, l := range strings.Split(md, "\n") {
		if h, ok := strings.CutPrefix(l, "#"); ok {
			h = strings.TrimSpace(strings.TrimLeft(h, "#"))
			out = append(out, strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(h), ""), " ", "-"))
		}
	}
	return out
}
