package docs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is the module root, seen from this package's directory.
const repoRoot = ".."

// binaries builds the CLI and the Go example plugin once per test binary
// into a shared directory, the way `make build` lays out bin/.
var binaries = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "ecgrobust-docs-bin-")
	if err != nil {
		return "", err
	}
	builtDir = dir
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	for _, b := range []struct{ out, pkg string }{
		{"ecgrobust", "./cmd/ecgrobust"},
		{"example-go", "./plugins/examples/go"},
	} {
		cmd := exec.Command(goCmd, "build", "-o", filepath.Join(dir, b.out), b.pkg)
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build %s: %w\n%s", b.pkg, err, out)
		}
	}
	py, err := filepath.Abs(filepath.Join(repoRoot, "plugins/examples/python/plugin.py"))
	if err != nil {
		return "", err
	}
	if err := os.Symlink(py, filepath.Join(dir, "example-python")); err != nil {
		return "", err
	}
	return dir, nil
})

// builtDir is the directory binaries made, removed by TestMain.
var builtDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if builtDir != "" {
		os.RemoveAll(builtDir)
	}
	os.Exit(code)
}

// binDir returns the directory of the built binaries or stops the test.
func binDir(t *testing.T) string {
	t.Helper()
	dir, err := binaries()
	if err != nil {
		t.Fatalf("build the binaries the docs use: %v", err)
	}
	return dir
}

// cli runs the built ecgrobust with args and returns stdout+stderr and
// the exit status.
func cli(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir(t), "ecgrobust"), args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		t.Fatalf("ecgrobust %s: %v", strings.Join(args, " "), err)
	}
	return string(out), 0
}

// command is one node of the CLI's command tree as its --help shows it.
type command struct {
	path     string // "plugin check"
	subs     []string
	flags    []string // long names without dashes, local and global
	examples []string // lines of the Examples section
}

// cliTree walks the built binary's help: every command reachable from the
// root, keyed by its path ("" is the root). cobra's own help and
// completion commands are left out.
func cliTree(t *testing.T) map[string]*command {
	t.Helper()
	tree := map[string]*command{}
	var walk func(path string)
	walk = func(path string) {
		args := append(strings.Fields(path), "--help")
		out, code := cli(t, args...)
		if code != 0 {
			t.Fatalf("ecgrobust %s: exit %d\n%s", strings.Join(args, " "), code, out)
		}
		c := parseHelp(path, out)
		tree[path] = c
		for _, s := range c.subs {
			walk(strings.TrimSpace(path + " " + s))
		}
	}
	walk("")
	return tree
}

var flagLine = regexp.MustCompile(`^\s+(?:-[a-zA-Z], )?--([a-z0-9][a-z0-9-]*)`)

// parseHelp reads cobra's help text.
func parseHelp(path, help string) *command {
	c := &command{path: path, flags: []string{"help"}}
	section := ""
	for _, line := range strings.Split(help, "\n") {
		if line != "" && !strings.HasPrefix(line, " ") {
			section = strings.TrimSuffix(strings.TrimSpace(line), ":")
			continue
		}
		switch section {
		case "Available Commands", "Additional Commands":
			if f := strings.Fields(line); len(f) > 0 && f[0] != "help" && f[0] != "completion" {
				c.subs = append(c.subs, f[0])
			}
		case "Flags", "Global Flags":
			if m := flagLine.FindStringSubmatch(line); m != nil {
				c.flags = append(c.flags, m[1])
			}
		case "Examples":
			if s := strings.TrimSpace(line); s != "" {
				c.examples = append(c.examples, s)
			}
		}
	}
	return c
}

// checkInvocation checks that line, a shell line that runs ecgrobust,
// names an existing command path and only flags that command accepts. It
// returns "" when the line does not run ecgrobust.
func checkInvocation(tree map[string]*command, line string) (problem string, ran bool) {
	for _, part := range regexp.MustCompile(`;|&&|\|\||\|`).Split(line, -1) {
		p, r := checkCommand(tree, part)
		if p != "" {
			return p, true
		}
		ran = ran || r
	}
	return "", ran
}

// checkCommand is checkInvocation for one simple command.
func checkCommand(tree map[string]*command, line string) (problem string, ran bool) {
	words := shellWords(line)
	i := slices.IndexFunc(words, func(w string) bool {
		return w == "ecgrobust" || strings.HasSuffix(w, "/ecgrobust") || w == "$ECGROBUST" || w == "${ECGROBUST}"
	})
	if i < 0 {
		return "", false
	}
	c := tree[""]
	args := words[i+1:]
	for len(args) > 0 && slices.Contains(c.subs, args[0]) {
		c = tree[strings.TrimSpace(c.path+" "+args[0])]
		args = args[1:]
	}
	if len(c.subs) > 0 && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return fmt.Sprintf("%q: %q is not a subcommand of %q (have %v)", line, args[0], "ecgrobust "+c.path, c.subs), true
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !slices.Contains(c.flags, name) {
			return fmt.Sprintf("%q: ecgrobust %s has no flag --%s (flags: %v)", line, c.path, name, c.flags), true
		}
	}
	return "", true
}

// shellWords splits a shell line into words, dropping quotes and stopping
// at the end of the first simple command (|, ;, &&, ||, a redirection or a
// comment).
func shellWords(line string) []string {
	var words []string
	for _, w := range strings.Fields(line) {
		if w == "|" || w == "||" || w == "&&" || w == ";" || strings.HasPrefix(w, "#") ||
			strings.HasPrefix(w, ">") || strings.HasPrefix(w, "2>") || strings.HasPrefix(w, "<") {
			break
		}
		w = strings.Trim(w, `"'`)
		if strings.HasSuffix(w, ";") {
			words = append(words, strings.TrimSuffix(w, ";"))
			break
		}
		words = append(words, w)
	}
	return words
}

// mustRead returns a file of the repository.
func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestShellWords(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{`ecgrobust run x --out "out dir" | tee log`, []string{"ecgrobust", "run", "x", "--out", "out", "dir"}},
		{`bin/ecgrobust verify out/; echo $?`, []string{"bin/ecgrobust", "verify", "out/"}},
		{`ecgrobust compare a b > cmp.txt`, []string{"ecgrobust", "compare", "a", "b"}},
		{`ecgrobust version # prints`, []string{"ecgrobust", "version"}},
	} {
		if got := shellWords(tc.line); !slices.Equal(got, tc.want) {
			t.Errorf("shellWords(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestCheckInvocationCatchesMistakes(t *testing.T) {
	tree := map[string]*command{
		"":             {path: "", subs: []string{"run", "plugin"}, flags: []string{"help", "out"}},
		"run":          {path: "run", flags: []string{"help", "out", "model"}},
		"plugin":       {path: "plugin", subs: []string{"check"}, flags: []string{"help"}},
		"plugin check": {path: "plugin check", flags: []string{"help", "sha256"}},
	}
	for _, tc := range []struct {
		line     string
		ok, runs bool
	}{
		{"ecgrobust run x --model y --out=o", true, true},
		{"bin/ecgrobust plugin check p --sha256 abc", true, true},
		{"ecgrobust run x --modle y", false, true},
		{"ecgrobust plugin chek p", false, true},
		{"ecgrobust plugin check p -- --anything", true, true},
		{"make demo", true, false},
		{"code=0; ecgrobust run x --modle y || code=$?", false, true},
		{"set +e; ecgrobust run x --model y && echo ok", true, true},
	} {
		problem, ran := checkInvocation(tree, tc.line)
		if ran != tc.runs || (problem == "") != tc.ok {
			t.Errorf("checkInvocation(%q) = %q, %v; want ok=%v runs=%v", tc.line, problem, ran, tc.ok, tc.runs)
		}
	}
}

// TestHelpHasExamples checks every command's help shows an example and
// that each example is a valid invocation.
func TestHelpHasExamples(t *testing.T) {
	tree := cliTree(t)
	if len(tree) < 8 {
		t.Fatalf("command tree has %d commands, want the whole tree", len(tree))
	}
	for path, c := range tree {
		name := strings.TrimSpace("ecgrobust " + path)
		if len(c.examples) == 0 {
			t.Errorf("%s --help shows no example: set the command's Example field", name)
		}
		for _, ex := range c.examples {
			if problem, ran := checkInvocation(tree, ex); !ran {
				t.Errorf("%s: example %q does not run ecgrobust", name, ex)
			} else if problem != "" {
				t.Errorf("%s: example %s", name, problem)
			}
		}
	}
}

// fenced is one fenced code block of a Markdown file.
type fenced struct {
	lang   string
	line   int    // line of the opening fence, 1-based
	marker string // the doctest directive before the block, if any
	body   string
}

var directive = regexp.MustCompile(`^<!--\s*doctest:\s*(.*?)\s*-->$`)

// codeBlocks returns the fenced blocks of a Markdown document.
func codeBlocks(md []byte) []fenced {
	var out []fenced
	lines := strings.Split(string(md), "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "```") {
			continue
		}
		b := fenced{lang: strings.Fields(strings.TrimPrefix(l, "```") + " x")[0], line: i + 1}
		if b.lang == "x" {
			b.lang = ""
		}
		if i > 0 {
			if m := directive.FindStringSubmatch(strings.TrimSpace(lines[i-1])); m != nil {
				b.marker = m[1]
			}
		}
		var body bytes.Buffer
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body.WriteString(lines[i])
			body.WriteByte('\n')
		}
		b.body = body.String()
		out = append(out, b)
	}
	return out
}
