package command

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPluginCheckFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    PluginCheckOptions
		wantErr string
	}{
		{"path", []string{"plugin", "check", "bin/p"}, PluginCheckOptions{Path: "bin/p", Args: []string{}, Timeout: time.Minute}, ""},
		{"flags", []string{"plugin", "check", "--json", "--timeout", "5s", "--sha256", "ab", "--seed", "7", "bin/p", "--", "-x", "1"},
			PluginCheckOptions{Path: "bin/p", Args: []string{"-x", "1"}, Timeout: 5 * time.Second, SHA256: "ab", Seed: 7, JSON: true}, ""},
		{"no binary", []string{"plugin", "check"}, PluginCheckOptions{}, "requires at least 1 arg"},
		{"two binaries", []string{"plugin", "check", "a", "b"}, PluginCheckOptions{}, "one binary expected"},
		{"bad timeout", []string{"plugin", "check", "--timeout", "0s", "a"}, PluginCheckOptions{}, "--timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *PluginCheckOptions
			var out bytes.Buffer
			f := &Factory{Stdout: &out, Stderr: &out}
			root := NewRootCmd(f)
			for _, c := range root.Commands() {
				if c.Name() == "plugin" {
					root.RemoveCommand(c)
				}
			}
			root.AddCommand(newCmdPlugin(f, func(o *PluginCheckOptions) error { got = o; return nil }))
			root.SetArgs(tt.args)
			err := root.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if codeOf(err) != ExitUsage && !isCobraUsage(err) {
					t.Errorf("exit code %d, want %d", codeOf(err), ExitUsage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.Factory = nil
			if got.Path != tt.want.Path || strings.Join(got.Args, " ") != strings.Join(tt.want.Args, " ") ||
				got.Timeout != tt.want.Timeout || got.SHA256 != tt.want.SHA256 || got.Seed != tt.want.Seed || got.JSON != tt.want.JSON {
				t.Errorf("options = %+v, want %+v", *got, tt.want)
			}
		})
	}
}
