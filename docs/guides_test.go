package docs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/specs"
)

// guides are the documents whose shell blocks run.
var guides = []string{"vendor-guide.md", "auditor-guide.md", "ci-guide.md"}

// sandbox makes a directory that looks like an ecgrobust checkout after
// `make build`: every top-level entry of the repository linked in, except
// bin/ (fresh binaries) and out/ (empty), so blocks may write freely.
func sandbox(t *testing.T) string {
	t.Helper()
	bins := binDir(t)
	dir := t.TempDir()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		switch e.Name() {
		case "bin", "out", ".git":
			continue
		}
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	bs, err := os.ReadDir(bins)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if err := os.Symlink(filepath.Join(bins, b.Name()), filepath.Join(dir, "bin", b.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestGuideCommands runs every shell block of each guide, in order, in
// one sandbox per guide, as a reader following it would.
func TestGuideCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the guides' commands (about 30 s); not in -short mode")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash not found")
	}
	data, _ := filepath.Abs(filepath.Join(repoRoot, "..", "shared", "data"))
	t.Parallel()
	binDir(t) // build once, before the guides run in parallel
	for _, g := range guides {
		t.Run(g, func(t *testing.T) {
			t.Parallel()
			blocks := codeBlocks(mustRead(t, filepath.Join("docs", g)))
			dir := sandbox(t)
			env := append(os.Environ(), "PATH="+filepath.Join(dir, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
			if _, err := os.Stat(data); err == nil {
				env = append(env, "ECGROBUST_DATA="+data)
			}
			ran := 0
			for _, b := range blocks {
				if b.lang != "sh" {
					continue
				}
				d, err := parseDirective(b.marker)
				if err != nil {
					t.Fatalf("%s:%d: %v", g, b.line, err)
				}
				if d.skip {
					continue
				}
				ran++
				start := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
				cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", b.body)
				cmd.Dir, cmd.Env = dir, env
				out, err := cmd.CombinedOutput()
				cancel()
				code := 0
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					code = ee.ExitCode()
				} else if err != nil {
					t.Fatalf("%s:%d: %v", g, b.line, err)
				}
				t.Logf("%s:%d: exit %d in %v", g, b.line, code, time.Since(start).Round(time.Millisecond))
				if code != d.exit {
					t.Errorf("%s:%d: block exited %d, want %d:\n%s\noutput:\n%s", g, b.line, code, d.exit, b.body, out)
				}
				for _, c := range d.contains {
					if !strings.Contains(string(out), c) {
						t.Errorf("%s:%d: output lacks %q:\n%s\noutput:\n%s", g, b.line, c, b.body, out)
					}
				}
			}
			if ran == 0 {
				t.Errorf("%s: no shell block ran", g)
			}
		})
	}
}

// doctest is what a `<!-- doctest: … -->` line before a block asks:
// "skip: REASON", "exit N", "contains TEXT", several joined by " ; ".
type doctest struct {
	skip     bool
	exit     int
	contains []string
}

func parseDirective(marker string) (doctest, error) {
	var d doctest
	if marker == "" {
		return d, nil
	}
	for _, part := range strings.Split(marker, " ; ") {
		part = strings.TrimSpace(part)
		switch {
		case strings.HasPrefix(part, "skip:") && strings.TrimSpace(strings.TrimPrefix(part, "skip:")) != "":
			d.skip = true
		case strings.HasPrefix(part, "exit "):
			n, err := strconv.Atoi(strings.TrimPrefix(part, "exit "))
			if err != nil {
				return d, fmt.Errorf("bad directive %q: %w", part, err)
			}
			d.exit = n
		case strings.HasPrefix(part, "contains ") && len(part) > len("contains "):
			d.contains = append(d.contains, strings.TrimPrefix(part, "contains "))
		default:
			return d, fmt.Errorf("unknown directive %q: use \"skip: REASON\", \"exit N\" or \"contains TEXT\"", part)
		}
	}
	return d, nil
}

func TestParseDirective(t *testing.T) {
	d, err := parseDirective("exit 1 ; contains verdict: FAIL ; contains a;b")
	if err != nil || d.exit != 1 || len(d.contains) != 2 || d.contains[0] != "verdict: FAIL" || d.contains[1] != "a;b" {
		t.Errorf("parseDirective = %+v, %v", d, err)
	}
	for _, bad := range []string{"skip:", "exit x", "expect 1", "contains "} {
		if _, err := parseDirective(bad); err == nil {
			t.Errorf("parseDirective(%q) accepted", bad)
		}
	}
}

// TestGuideInvocations checks every ecgrobust command line in the guides,
// README.md and the CI files against the real command tree, skipped
// blocks included.
func TestGuideInvocations(t *testing.T) {
	tree := cliTree(t)
	files := append([]string{"README.md", "docs/reproduction.md"}, prefixed("docs/", guides)...)
	ci, err := filepath.Glob(filepath.Join(repoRoot, "docs", "ci", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range ci {
		rel, _ := filepath.Rel(repoRoot, f)
		files = append(files, rel)
	}
	checked := 0
	for _, f := range files {
		text := string(mustRead(t, f))
		if strings.HasSuffix(f, ".md") {
			var sh []string
			for _, b := range codeBlocks([]byte(text)) {
				if b.lang == "sh" || b.lang == "yaml" {
					sh = append(sh, b.body)
				}
			}
			text = strings.Join(sh, "\n")
		}
		for n, line := range joinContinuations(text) {
			problem, ran := checkInvocation(tree, line)
			if ran {
				checked++
			}
			if problem != "" {
				t.Errorf("%s (line %d of its code): %s", f, n+1, problem)
			}
		}
	}
	if checked < 10 {
		t.Errorf("checked only %d ecgrobust invocations", checked)
	}
}

// joinContinuations joins lines ending in a backslash.
func joinContinuations(text string) []string {
	var out []string
	var cur strings.Builder
	for _, l := range strings.Split(text, "\n") {
		if s, ok := strings.CutSuffix(strings.TrimRight(l, " "), `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(l)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

func prefixed(p string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}

// TestVendorGuideGoExample keeps the guide's Go plugin the real example.
func TestVendorGuideGoExample(t *testing.T) {
	want := string(mustRead(t, "plugins/examples/go/main.go"))
	for _, b := range codeBlocks(mustRead(t, "docs/vendor-guide.md")) {
		if b.lang == "go" && strings.Contains(b.body, "sdk.Serve(") {
			if b.body != want {
				t.Errorf("vendor-guide.md:%d: the Go example differs from plugins/examples/go/main.go; paste the file", b.line)
			}
			if n := strings.Count(b.body, "\n"); n > 30 {
				t.Errorf("the Go example has %d lines, want ≤ 30", n)
			}
			return
		}
	}
	t.Error("vendor-guide.md shows no Go plugin calling sdk.Serve")
}

// TestVendorGuidePythonExcerpt keeps the guide's Python excerpts verbatim
// parts of plugins/examples/python/plugin.py ("..." lines mark cuts).
func TestVendorGuidePythonExcerpt(t *testing.T) {
	src := string(mustRead(t, "plugins/examples/python/plugin.py"))
	n := 0
	for _, b := range codeBlocks(mustRead(t, "docs/vendor-guide.md")) {
		if b.lang != "python" {
			continue
		}
		n++
		var chunk strings.Builder
		check := func() {
			if c := chunk.String(); c != "" && !strings.Contains(src, c) {
				t.Errorf("vendor-guide.md:%d: this part of the Python excerpt is not in plugin.py:\n%s", b.line, c)
			}
			chunk.Reset()
		}
		for _, l := range strings.SplitAfter(b.body, "\n") {
			if strings.TrimSpace(l) == "..." {
				check()
				continue
			}
			chunk.WriteString(l)
		}
		check()
	}
	if n == 0 {
		t.Error("vendor-guide.md shows no Python excerpt")
	}
}

// TestAuditorGuideCoversBundledSpecs checks that every bundled spec is
// explained in the auditor guide's table and listed in README.md.
func TestAuditorGuideCoversBundledSpecs(t *testing.T) {
	guide := string(mustRead(t, "docs/auditor-guide.md"))
	readme := string(mustRead(t, "README.md"))
	for _, name := range specs.Names() {
		if !strings.Contains(guide, "| `"+name+"` ") {
			t.Errorf("docs/auditor-guide.md does not explain the bundled spec %s in its table", name)
		}
		if !strings.Contains(readme, "`"+name+"`") {
			t.Errorf("README.md does not list the bundled spec %s", name)
		}
	}
}
