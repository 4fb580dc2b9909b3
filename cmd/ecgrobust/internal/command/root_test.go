package command

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func testFactory() (*Factory, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Factory{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, &out, &errb
}

func TestVersion(t *testing.T) {
	f, out, _ := testFactory()
	root := NewRootCmd(f)
	root.SetArgs([]string{"version"})
	if code := execute(context.Background(), root, f.Stderr); code != ExitPass {
		t.Fatalf("exit code = %d, want %d", code, ExitPass)
	}
	if !strings.HasPrefix(out.String(), "ecgrobust "+Version) {
		t.Errorf("version output = %q, want prefix %q", out.String(), "ecgrobust "+Version)
	}
}

func TestUnknownFlagIsUsageError(t *testing.T) {
	f, _, errb := testFactory()
	root := NewRootCmd(f)
	root.SetArgs([]string{"version", "--no-such-flag"})
	if code := execute(context.Background(), root, f.Stderr); code != ExitUsage {
		t.Fatalf("exit code = %d, want %d (stderr %q)", code, ExitUsage, errb.String())
	}
}
