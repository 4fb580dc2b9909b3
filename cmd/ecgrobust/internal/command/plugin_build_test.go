package command

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	refPluginOnce sync.Once
	refPluginPath string
	refPluginErr  error
)

// referencePlugin builds reference-model/cmd/plugin from the source under
// test (once per test binary) and returns its path, so that a stale
// bin/ecgrobust-reference-plugin never meets newer in-process code. It
// skips the test when the go tool is not available.
func referencePlugin(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go tool to build the reference plugin: %v", err)
	}
	refPluginOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ecgrobust-command-test-")
		if err != nil {
			refPluginErr = err
			return
		}
		refPluginPath = filepath.Join(dir, "ecgrobust-reference-plugin")
		cmd := exec.Command(goTool, "build", "-o", refPluginPath, "github.com/ecgrobust/ecgrobust/reference-model/cmd/plugin")
		if out, err := cmd.CombinedOutput(); err != nil {
			refPluginErr = err
			refPluginPath = string(out)
		}
	})
	if refPluginErr != nil {
		t.Fatalf("build reference plugin: %v\n%s", refPluginErr, refPluginPath)
	}
	return refPluginPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if refPluginPath != "" && refPluginErr == nil {
		os.RemoveAll(filepath.Dir(refPluginPath))
	}
	os.Exit(code)
}
