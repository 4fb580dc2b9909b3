package command

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// GlobalOptions are the flags every command accepts.
type GlobalOptions struct {
	// Out is the directory reports are written to (--out).
	Out string
	// Data is the data root (--data).
	Data string
	// Seed overrides the spec's seed when SeedSet (--seed).
	Seed    uint64
	SeedSet bool
	// Workers overrides the spec's model instances when > 0 (--workers).
	Workers int
	// Quiet turns off progress and informational output (--quiet).
	Quiet bool
	// JSON asks for machine-readable output on stdout (--json).
	JSON bool
}

// defaultDataDir is ../shared/data when it exists, else $ECGROBUST_DATA.
func defaultDataDir() string {
	d := filepath.Join("..", "shared", "data")
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	return os.Getenv("ECGROBUST_DATA")
}

// addGlobalFlags registers the persistent flags on root, bound to g.
func addGlobalFlags(root *cobra.Command, g *GlobalOptions) {
	pf := root.PersistentFlags()
	pf.StringVar(&g.Out, "out", "out", "directory for results and reports")
	pf.StringVar(&g.Data, "data", defaultDataDir(), "data root holding cinc2017/, mitdb/ and nstdb/ ($ECGROBUST_DATA when ../shared/data is absent)")
	pf.Uint64Var(&g.Seed, "seed", 0, "override the spec's seed")
	pf.IntVar(&g.Workers, "workers", 0, "model instances run in parallel (default: the spec's model.instances)")
	pf.BoolVarP(&g.Quiet, "quiet", "q", false, "no progress or informational output")
	pf.BoolVar(&g.JSON, "json", false, "machine-readable JSON on stdout")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		g.SeedSet = cmd.Flags().Changed("seed")
		if g.Workers < 0 {
			return usageErrorf("--workers %d: must be 0 (the spec's value) or more", g.Workers)
		}
		return nil
	}
}

// isCobraUsage reports whether err is cobra's own complaint about the
// command line (unknown command, wrong number of arguments).
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "unknown flag", "unknown shorthand flag"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
