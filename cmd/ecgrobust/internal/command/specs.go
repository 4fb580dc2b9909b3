package command

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/specs"
)

// SpecsOptions are the inputs of `ecgrobust specs list|show|schema`.
type SpecsOptions struct {
	Factory *Factory
	// Action is "list", "show" or "schema".
	Action string
	// Name is the bundled spec for show.
	Name string
	JSON bool
}

func newCmdSpecs(f *Factory, runF func(*SpecsOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "specs",
		Short: "List and show the bundled standard specs",
		Long: `The standard spec library is built into ecgrobust. Run one by name
('ecgrobust run ci-gate-quick') or copy it ('ecgrobust specs show NAME > my.yaml')
and adapt it.`,
		Example: "  ecgrobust specs list\n  ecgrobust specs show audit-full > my-audit.yaml",
	}
	sub := func(use, short string, args cobra.PositionalArgs, action, example string) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Args: args, Example: example,
			RunE: func(_ *cobra.Command, a []string) error {
				opts := &SpecsOptions{Factory: f, Action: action, JSON: f.Global.JSON}
				if len(a) > 0 {
					opts.Name = a[0]
				}
				if runF != nil {
					return runF(opts)
				}
				return specsRun(opts)
			},
		}
	}
	show := sub("show NAME", "Print a bundled spec's YAML", cobra.ExactArgs(1), "show",
		"  ecgrobust specs show ci-gate-quick > my-gate.yaml")
	show.ValidArgsFunction = completeBundled
	cmd.AddCommand(
		sub("list", "List the bundled specs with their versions", cobra.NoArgs, "list",
			"  ecgrobust specs list\n  ecgrobust specs list --json"),
		show,
		sub("schema", "Print the JSON Schema of spec files", cobra.NoArgs, "schema",
			"  ecgrobust specs schema > ecgrobust-spec.schema.json"),
	)
	return cmd
}

type specListEntry struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	SHA256      string `json:"sha256"`
	Description string `json:"description"`
}

func specsRun(opts *SpecsOptions) error {
	out := opts.Factory.Stdout
	switch opts.Action {
	case "show":
		data, err := specs.Read(opts.Name)
		if err != nil {
			return usageErrorf("%w", err)
		}
		_, err = out.Write(data)
		return err
	case "schema":
		_, err := out.Write(specs.Schema)
		return err
	}
	var list []specListEntry
	for _, name := range specs.Names() {
		data, err := specs.Read(name)
		if err != nil {
			return err
		}
		s, err := spec.Parse(bundledPrefix+name, data)
		if err != nil {
			return fmt.Errorf("bundled spec %s is invalid: %w", name, err)
		}
		list = append(list, specListEntry{Name: name, Version: s.Metadata.Version, SHA256: s.SHA256,
			Description: strings.Join(strings.Fields(s.Metadata.Description), " ")})
	}
	if opts.JSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tWHAT IT TESTS")
	for _, e := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, e.Version, summary(e.Description))
	}
	return tw.Flush()
}

// summary is the first sentence of s ("et al." does not end one), cut to
// about 80 characters on a word boundary.
func summary(s string) string {
	for from := 0; ; {
		i := strings.Index(s[from:], ". ")
		if i < 0 {
			break
		}
		i += from
		if !strings.HasSuffix(s[:i], " al") {
			s = s[:i+1]
			break
		}
		from = i + 2
	}
	r := []rune(s)
	if len(r) <= 80 {
		return s
	}
	cut := strings.LastIndex(string(r[:80]), " ")
	if cut < 0 {
		cut = len(string(r[:80]))
	}
	return strings.TrimRight(s[:cut], ",;:") + "…"
}

// completeBundled completes bundled spec names for the shell.
func completeBundled(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return specs.Names(), cobra.ShellCompDirectiveNoFileComp
}

// completeSpecArg completes bundled spec names and, as usual, files.
func completeSpecArg(_ *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
	return specs.Names(), cobra.ShellCompDirectiveDefault
}
