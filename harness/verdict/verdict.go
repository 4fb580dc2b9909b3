package verdict

import (
	"fmt"
	"math"
	"strings"
)

// Severities of a criterion.
const (
	// SeverityError: a failing criterion fails the run (the default).
	SeverityError = "error"
	// SeverityWarning: a failing criterion is reported only.
	SeverityWarning = "warning"
)

// Criterion is an acceptance criterion as the spec states it.
type Criterion struct {
	ID, Description, Expr string
	// Severity is SeverityError ("" means the same) or SeverityWarning.
	Severity string
}

// Set is a list of compiled criteria. It is safe for concurrent use.
type Set struct {
	criteria []Criterion
	exprs    []*expression
}

// CompileError is returned by Compile for a criterion that does not
// compile; Index is its position in the list given to Compile.
type CompileError struct {
	Index int
	ID    string
	Err   error
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("criterion %q: %v", e.ID, e.Err)
}

func (e *CompileError) Unwrap() error { return e.Err }

// CompileErrors is every criterion that did not compile.
type CompileErrors []*CompileError

func (l CompileErrors) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Compile parses every criterion and checks that it reads only variables
// in allowed (nil allows any) and gives true or false. The error is a
// CompileErrors listing each bad criterion.
func Compile(criteria []Criterion, allowed []string) (*Set, error) {
	s := &Set{criteria: append([]Criterion(nil), criteria...)}
	var errs CompileErrors
	for i, c := range criteria {
		switch c.Severity {
		case "", SeverityError, SeverityWarning:
		default:
			errs = append(errs, &CompileError{Index: i, ID: c.ID, Err: fmt.Errorf("severity %q is not %s or %s", c.Severity, SeverityError, SeverityWarning)})
			continue
		}
		e, err := parse(c.Expr, allowed)
		if err != nil {
			errs = append(errs, &CompileError{Index: i, ID: c.ID, Err: err})
			continue
		}
		s.exprs = append(s.exprs, e)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return s, nil
}

// Variables returns the metric names each criterion reads, in criterion
// order.
func (s *Set) Variables() [][]string {
	out := make([][]string, len(s.exprs))
	for i, e := range s.exprs {
		out[i] = append([]string(nil), e.vars...)
	}
	return out
}

// Report is the verdict of a run.
type Report struct {
	Outcome Outcome
	// Reason summarises why, e.g. "2 of 3 criteria failed: sap-success,
	// pgd-success".
	Reason   string
	Criteria []CriterionResult
}

// Evaluate applies every criterion to metrics. unreliable maps a metric
// name to the reason its value cannot be trusted; a criterion reading such
// a metric, or a metric that is absent or NaN, is INCONCLUSIVE.
// Evaluate does not modify its arguments.
func (s *Set) Evaluate(metrics map[string]float64, unreliable map[string]string) Report {
	rep := Report{Criteria: make([]CriterionResult, len(s.exprs))}
	var failed, inconclusive, warned []string
	for i, e := range s.exprs {
		c := s.criteria[i]
		r := CriterionResult{ID: c.ID, Description: c.Description, Severity: c.Severity, Expr: c.Expr,
			Values: map[string]float64{}}
		if r.Severity == "" {
			r.Severity = SeverityError
		}
		params := map[string]any{}
		var why []string
		for _, v := range e.vars {
			x, ok := metrics[v]
			switch {
			case !ok:
				why = append(why, fmt.Sprintf("metric %s was not produced", v))
				continue
			case math.IsNaN(x):
				why = append(why, fmt.Sprintf("metric %s is undefined (no records to measure it on)", v))
				continue
			}
			r.Values[v] = x
			params[v] = x
			if u, bad := unreliable[v]; bad {
				why = append(why, fmt.Sprintf("metric %s is unreliable: %s", v, u))
			}
		}
		switch {
		case len(why) > 0:
			r.Outcome, r.Reason = Inconclusive, strings.Join(why, "; ")
		default:
			out, err := e.eval(params)
			b, isBool := out.(bool)
			switch {
			case err != nil:
				r.Outcome, r.Reason = Inconclusive, err.Error()
			case !isBool:
				r.Outcome, r.Reason = Inconclusive, fmt.Sprintf("expression gave %v, not true or false", out)
			case b:
				r.Outcome = Pass
			default:
				r.Outcome, r.Reason = Fail, "does not hold with "+formatValues(e.vars, r.Values)
			}
		}
		switch {
		case r.Outcome == Pass:
		case r.Severity == SeverityWarning:
			warned = append(warned, c.ID)
		case r.Outcome == Fail:
			failed = append(failed, c.ID)
		default:
			inconclusive = append(inconclusive, c.ID)
		}
		rep.Criteria[i] = r
	}
	n := len(s.exprs)
	switch {
	case len(failed) > 0:
		rep.Outcome = Fail
		rep.Reason = fmt.Sprintf("%d of %d criteria failed: %s", len(failed), n, strings.Join(failed, ", "))
		if len(inconclusive) > 0 {
			rep.Reason += fmt.Sprintf("; %d inconclusive: %s", len(inconclusive), strings.Join(inconclusive, ", "))
		}
	case len(inconclusive) > 0:
		rep.Outcome = Inconclusive
		rep.Reason = fmt.Sprintf("%d of %d criteria could not be evaluated: %s", len(inconclusive), n, strings.Join(inconclusive, ", "))
	default:
		rep.Outcome = Pass
		rep.Reason = fmt.Sprintf("all %d criteria hold", n)
	}
	if len(warned) > 0 {
		rep.Reason += fmt.Sprintf(" (warnings: %s)", strings.Join(warned, ", "))
	}
	return rep
}

func formatValues(vars []string, values map[string]float64) string {
	parts := make([]string, 0, len(vars))
	for _, v := range vars {
		parts = append(parts, fmt.Sprintf("%s = %.6g", v, values[v]))
	}
	return strings.Join(parts, ", ")
}

// ExitCode maps an outcome to the process exit status: 0 PASS, 1 FAIL,
// 2 INCONCLUSIVE (and for an unknown outcome).
func (o Outcome) ExitCode() int {
	switch o {
	case Pass:
		return 0
	case Fail:
		return 1
	}
	return 2
}
