package command

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
)

// writeReports writes results.json, every report and manifest.json into
// dir, hashing dataFiles (the data files the run read, where they are
// regular files) into the manifest, and returns the paths written,
// report.html first. Tests that check only results.json replace it.
var writeReports = writeBundle

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
