package report

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ecgrobust/ecgrobust/harness/verdict"
)

// severityWarning is verdict.SeverityWarning: a failing criterion of this
// severity is reported but does not change the verdict.
const severityWarning = "warning"

// shownOutcome is how reports label a criterion's outcome: a failed
// warning-severity criterion is "WARN", since it does not fail the run.
func shownOutcome(c verdict.CriterionResult) string {
	if c.Outcome != verdict.Pass && c.Severity == severityWarning {
		return "WARN"
	}
	return string(c.Outcome)
}

// measure is one variable a criterion read, with the bound it was held to
// when the expression compares it with a number.
type measure struct {
	Name  string
	Value float64
	// Known is false when the run did not produce the variable.
	Known bool
	// Threshold is e.g. "≤ 0.05"; empty when the expression does not
	// compare the variable with a literal.
	Threshold string
}

var (
	cmpVarNum = regexp.MustCompile(`(\[[^\[\]]+\]|[A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|==|!=|<|>)\s*(-?[0-9]+(?:\.[0-9]+)?)`)
	cmpNumVar = regexp.MustCompile(`(-?[0-9]+(?:\.[0-9]+)?)\s*(<=|>=|==|!=|<|>)\s*(\[[^\[\]]+\]|[A-Za-z_][A-Za-z0-9_]*)`)
	flipOp    = map[string]string{"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
	prettyOp  = map[string]string{"<": "<", ">": ">", "<=": "≤", ">=": "≥", "==": "=", "!=": "≠"}
)

// thresholds maps each variable compared with a literal in expr to its
// bound(s), e.g. {"sap_success_rate": "≤ 0.05"}.
func thresholds(expr string) map[string]string {
	out := map[string]string{}
	add := func(name, op, num string) {
		name = strings.Trim(name, "[]")
		t := prettyOp[op] + " " + num
		if prev, ok := out[name]; ok && prev != t {
			t = prev + " and " + t
		}
		out[name] = t
	}
	// A side that is part of arithmetic (10 * a >= 9 * b) is not a
	// comparison of the variable with a literal.
	alone := func(m []int) bool {
		before := strings.TrimRight(expr[:m[0]], " \t\n")
		after := strings.TrimLeft(expr[m[1]:], " \t\n")
		return (before == "" || !strings.ContainsAny(before[len(before)-1:], "*/+-")) &&
			(after == "" || !strings.ContainsAny(after[:1], "*/+-"))
	}
	for _, m := range cmpVarNum.FindAllStringSubmatchIndex(expr, -1) {
		if alone(m) {
			add(expr[m[2]:m[3]], expr[m[4]:m[5]], expr[m[6]:m[7]])
		}
	}
	for _, m := range cmpNumVar.FindAllStringSubmatchIndex(expr, -1) {
		if alone(m) {
			add(expr[m[6]:m[7]], flipOp[expr[m[4]:m[5]]], expr[m[2]:m[3]])
		}
	}
	return out
}

// measures lists the variables of c, sorted by name: those it read, and
// those its expression names but the run did not produce.
func measures(c verdict.CriterionResult) []measure {
	th := thresholds(c.Expr)
	var names []string
	for n := range c.Values {
		names = append(names, n)
	}
	for n := range th {
		if _, ok := c.Values[n]; !ok && !isKeyword(n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	out := make([]measure, 0, len(names))
	for _, n := range names {
		v, ok := c.Values[n]
		out = append(out, measure{Name: n, Value: v, Known: ok, Threshold: th[n]})
	}
	return out
}

func isKeyword(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false", "in", "nil":
		return true
	}
	return false
}

// num formats a measured value: integers plainly, others with four
// significant digits; NaN and infinities by name.
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	s := strconv.FormatFloat(v, 'g', 4, 64)
	if strings.Contains(s, "e") {
		return s
	}
	return s
}

// pct formats a fraction in [0, 1] as a percentage with one decimal.
func pct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return num(v)
	}
	return strconv.FormatFloat(v*100, 'f', 1, 64) + " %"
}
