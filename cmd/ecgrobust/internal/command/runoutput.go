package command

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
)

// writeReports writes results.json and the reports into dir and returns
// the paths written, report.html first. report.go installs the full
// bundle writer (reports and manifest); writeResultsJSON is the fallback.
var writeReports = writeResultsJSON

// writeResultsJSON writes results.json and timings.json into dir.
func writeResultsJSON(dir string, _ *spec.Spec, res *engine.Result) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	write := func(name string, v any) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("encode %s: %w", name, err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	}
	if err := write("results.json", res); err != nil {
		return nil, err
	}
	if res.Timings != nil {
		if err := write("timings.json", res.Timings); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// runSummary is what `run --json` prints.
type runSummary struct {
	Verdict  string             `json:"verdict"`
	Reason   string             `json:"reason,omitempty"`
	Spec     engine.SpecRef     `json:"spec"`
	Criteria []criterionLine    `json:"criteria"`
	Files    []string           `json:"files"`
	Metrics  map[string]float64 `json:"metrics"`
}

type criterionLine struct {
	ID      string             `json:"id"`
	Outcome string             `json:"outcome"`
	Expr    string             `json:"expr"`
	Values  map[string]float64 `json:"values,omitempty"`
	Reason  string             `json:"reason,omitempty"`
}

// printVerdict prints the verdict, each criterion and the files written.
func printVerdict(f *Factory, g GlobalOptions, res *engine.Result, paths []string) {
	if g.JSON {
		sum := runSummary{Verdict: string(res.Verdict), Reason: res.Reason, Spec: res.Run.Spec, Files: paths, Metrics: res.Metrics}
		for _, c := range res.Criteria {
			sum.Criteria = append(sum.Criteria, criterionLine{ID: c.ID, Outcome: string(c.Outcome), Expr: c.Expr, Values: c.Values, Reason: c.Reason})
		}
		enc := json.NewEncoder(f.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(sum)
		return
	}
	fmt.Fprintf(f.Stdout, "verdict: %s", res.Verdict)
	if res.Reason != "" {
		fmt.Fprintf(f.Stdout, " (%s)", res.Reason)
	}
	fmt.Fprintln(f.Stdout)
	outcomes := make([]string, len(res.Criteria))
	idWidth, outWidth := 0, 0
	for i, c := range res.Criteria {
		outcomes[i] = string(c.Outcome)
		if c.Severity == verdict.SeverityWarning && c.Outcome != verdict.Pass {
			outcomes[i] = "WARN"
		}
		idWidth, outWidth = max(idWidth, len(c.ID)), max(outWidth, len(outcomes[i]))
	}
	for i, c := range res.Criteria {
		fmt.Fprintf(f.Stdout, "  %-*s  %-*s  %s\n", outWidth, outcomes[i], idWidth, c.ID, clipText(c.Expr, 72))
		if c.Reason != "" {
			fmt.Fprintf(f.Stdout, "  %-*s  %-*s  %s\n", outWidth, "", idWidth, "", clipText(c.Reason, 160))
		}
	}
	for _, p := range paths {
		fmt.Fprintf(f.Stdout, "wrote %s\n", p)
	}
}

// clipText collapses whitespace in s and cuts it to n runes.
func clipText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
