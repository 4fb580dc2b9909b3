package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/engine"
)

var outcomeIcon = map[string]string{"PASS": "✅", "FAIL": "❌", "INCONCLUSIVE": "❔", "WARN": "⚠️"}

// writeMarkdown writes summary.md: the verdict, the criteria and the
// attacks as short tables, for a pull-request comment.
func writeMarkdown(w io.Writer, r *engine.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "### ecgrobust %s %s: `%s` %s\n\n", outcomeIcon[string(r.Verdict)], r.Verdict, r.Run.Spec.Name, r.Run.Spec.Version)
	if r.Reason != "" {
		fmt.Fprintf(&b, "%s\n\n", mdCell(r.Reason))
	}
	fmt.Fprintf(&b, "Model `%s %s` on %s %s (%d records, seed %d).\n\n",
		r.Run.Model.Name, r.Run.Model.Version, r.Run.Dataset.Source, r.Run.Dataset.Split, r.Run.Dataset.Records, r.Run.Seed)
	if len(r.Criteria) > 0 {
		b.WriteString("| Criterion | Measured | Threshold | Outcome |\n|---|---|---|---|\n")
		for _, c := range r.Criteria {
			var meas, th []string
			for _, m := range measures(c) {
				v := "—"
				if m.Known {
					v = num(m.Value)
				}
				meas = append(meas, "`"+m.Name+"` = "+v)
				if m.Threshold != "" {
					th = append(th, m.Threshold)
				}
			}
			thr := strings.Join(th, "; ")
			if thr == "" {
				thr = "`" + c.Expr + "`"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s %s |\n", mdCell(c.ID), mdCell(strings.Join(meas, "<br>")), mdCell(thr), outcomeIcon[shownOutcome(c)], shownOutcome(c))
		}
		b.WriteString("\n")
	}
	if rows := attackRows(r); len(rows) > 0 {
		b.WriteString("| Attack | Type | ε (µV) | Success rate (95 % CI) | Robust accuracy |\n|---|---|---|---|---|\n")
		for _, a := range rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdCell(a.ID), mdCell(a.Kind), a.Epsilon, a.Success, a.Robust)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "<sub>spec `%s` · model `%s` · data `%s` · harness %s</sub>\n",
		short(r.Run.Spec.SHA256), short(r.Run.Model.SHA256), short(r.Run.Dataset.SHA256), r.Run.HarnessVersion)
	_, err := io.WriteString(w, b.String())
	return err
}

// mdCell makes s safe inside a Markdown table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}

// short abbreviates a hex digest to 12 characters.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return "—"
	}
	return h
}

// attackRow is one line of the attack summary tables.
type attackRow struct {
	ID, Kind, Epsilon, Success, Robust, Queries, Records string
	Summary                                              engine.AttackSummary
}

func attackRows(r *engine.Result) []attackRow {
	var rows []attackRow
	for _, a := range r.Attacks {
		row := attackRow{ID: a.ID, Kind: attackKind(a), Epsilon: "—", Success: "—", Robust: "—", Queries: "—", Summary: a}
		if a.EpsilonUV > 0 {
			row.Epsilon = num(a.EpsilonUV)
		}
		if v, ok := a.Metrics["success_rate"]; ok {
			row.Success = pct(v)
			lo, okl := a.Metrics["success_rate_ci_low"]
			hi, okh := a.Metrics["success_rate_ci_high"]
			if okl && okh {
				row.Success += " [" + pct(lo) + ", " + pct(hi) + "]"
			}
		} else if v, ok := a.Metrics["accuracy_min"]; ok {
			row.Success = "min accuracy " + pct(v)
		} else if parts := collateParts(a.Metrics); parts != "" {
			row.Success = parts
		}
		if v, ok := a.Metrics["robust_accuracy"]; ok {
			row.Robust = pct(v)
		}
		if v, ok := a.Metrics["queries_mean"]; ok {
			row.Queries = num(v)
		}
		row.Records = fmt.Sprintf("%d", a.Records)
		if a.Errored > 0 {
			row.Records += fmt.Sprintf(" (%d errored)", a.Errored)
		}
		rows = append(rows, row)
	}
	return rows
}

// attackKind describes an attack's type, target and gradient source.
func attackKind(a engine.AttackSummary) string {
	k := a.Type
	if a.Target != "" {
		k += " → " + a.Target
	}
	switch a.Gradient {
	case attack.SourceFiniteDifference:
		k += " (black-box)"
	case attack.SourceSearch:
		k += " (black-box search)"
	}
	return k
}

// isBlackBox reports whether attack a saw only the model's scores: a
// finite-difference estimate or a search.
func isBlackBox(a engine.AttackSummary) bool {
	return a.Gradient == attack.SourceFiniteDifference || a.Gradient == attack.SourceSearch
}

// collateParts summarises a collating attack: the share of resampled,
// concatenated and band-sampled examples still adversarial.
func collateParts(m map[string]float64) string {
	var parts []string
	for _, p := range []struct{ key, name string }{
		{"gaussian_fraction", "noise"}, {"concat_fraction", "concat"}, {"uniform_fraction", "band"},
	} {
		if v, ok := m[p.key]; ok {
			parts = append(parts, p.name+" "+pct(v))
		}
	}
	return strings.Join(parts, ", ")
}
