package sdk

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoHarnessImport keeps the SDK free of harness code: vendors build
// against it alone.
func TestNoHarnessImport(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/ecgrobust/ecgrobust/") &&
			!strings.HasPrefix(dep, "github.com/ecgrobust/ecgrobust/plugins/") {
			t.Errorf("plugins/sdk depends on %s; it may import only plugins/proto and plugins/internal/wire", dep)
		}
	}
}
