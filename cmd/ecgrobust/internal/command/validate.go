package command

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ecgrobust/ecgrobust/harness/spec"
)

// ValidateOptions are the inputs of `ecgrobust validate`.
type ValidateOptions struct {
	Factory *Factory
	// Specs are spec files or bundled spec names.
	Specs []string
	JSON  bool
	// Variables lists, for each valid spec, the metric names its
	// criteria may use.
	Variables bool
}

const validateLong = `Check spec files without running them: YAML syntax, unknown or misplaced
fields, types (a float where an integer belongs is an error), ranges, units,
attack references and every criterion expression against the metrics the
spec's run will produce. Each problem names the file, line, column and field
and says what is allowed.

An argument that is not a file is looked up among the bundled specs
(see 'ecgrobust specs list'). Exit code 0 when every spec is valid, 3
otherwise. Every field, unit, default and metric name:
docs/spec-reference.md.`

func newCmdValidate(f *Factory, runF func(*ValidateOptions) error) *cobra.Command {
	opts := &ValidateOptions{Factory: f}
	cmd := &cobra.Command{
		Use:               "validate SPEC...",
		Short:             "Check specs without running them",
		Long:              validateLong,
		Example:           "  ecgrobust validate specs/ci-gate-quick.yaml\n  ecgrobust validate audit-full --json\n  ecgrobust validate --variables my-spec.yaml",
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeSpecArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Specs, opts.JSON = args, f.Global.JSON
			if runF != nil {
				return runF(opts)
			}
			return validateRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Variables, "variables", false, "also list the metric names each spec's criteria may use")
	return cmd
}

// validateResult is one spec's entry in --json output.
type validateResult struct {
	Spec    string `json:"spec"`
	Valid   bool   `json:"valid"`
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
	// Variables are the metric names criteria may use (--variables).
	Variables []string     `json:"variables,omitempty"`
	Errors    []issueEntry `json:"errors,omitempty"`
}

type issueEntry struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func validateRun(opts *ValidateOptions) error {
	f := opts.Factory
	var results []validateResult
	bad := 0
	for _, arg := range opts.Specs {
		r := validateResult{Spec: arg}
		s, err := loadSpec(arg)
		if err != nil {
			if codeOf(err) != ExitUsage {
				return err
			}
			bad++
			r.Errors = issues(err)
			if !opts.JSON {
				fmt.Fprintf(f.Stderr, "%s: invalid\n", arg)
				for _, e := range r.Errors {
					fmt.Fprintf(f.Stderr, "  %s\n", formatIssue(e))
				}
			}
		} else {
			r.Valid, r.Name, r.Version, r.SHA256 = true, s.Metadata.Name, s.Metadata.Version, s.SHA256
			if opts.Variables {
				r.Variables = s.Variables()
			}
			if !opts.JSON {
				fmt.Fprintf(f.Stdout, "%s: valid (%s %s, sha256 %s)\n", arg, r.Name, r.Version, r.SHA256)
				for _, v := range r.Variables {
					fmt.Fprintf(f.Stdout, "  %s\n", v)
				}
			}
		}
		results = append(results, r)
	}
	if opts.JSON {
		enc := json.NewEncoder(f.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
	}
	if bad > 0 {
		if !opts.JSON {
			fmt.Fprintf(f.Stderr, "every field, unit, default and metric name: %s\n", specReferenceDoc)
		}
		return &exitError{code: ExitUsage} // already reported
	}
	return nil
}

// issues flattens a spec error into entries.
func issues(err error) []issueEntry {
	var list spec.ErrorList
	if errors.As(err, &list) {
		out := make([]issueEntry, len(list))
		for i, e := range list {
			out[i] = issueEntry{File: e.File, Line: e.Line, Column: e.Column, Field: e.Field, Message: e.Msg}
		}
		return out
	}
	return []issueEntry{{Message: err.Error()}}
}

func formatIssue(e issueEntry) string {
	if e.File == "" {
		return e.Message
	}
	return (&spec.Error{File: e.File, Line: e.Line, Column: e.Column, Field: e.Field, Msg: e.Message}).Error()
}
