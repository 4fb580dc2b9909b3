package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
)

// JUnit XML in the shape Jenkins, GitLab and GitHub reporters read: one
// testsuite per run, one testcase per criterion. FAIL is a <failure>,
// INCONCLUSIVE an <error> (the criterion could not be evaluated).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitFailure `xml:"skipped,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",cdata"`
}

func (o Options) writeJUnit(w io.Writer, r *engine.Result) error {
	name := r.Run.Spec.Name
	if name == "" {
		name = "ecgrobust"
	}
	s := junitSuite{
		Name:      name,
		Time:      "0",
		Timestamp: o.now().Format(time.RFC3339),
		Properties: []junitProperty{
			{"verdict", string(r.Verdict)},
			{"spec", r.Run.Spec.Name + " " + r.Run.Spec.Version},
			{"spec.sha256", r.Run.Spec.SHA256},
			{"model", r.Run.Model.Name + " " + r.Run.Model.Version},
			{"model.sha256", r.Run.Model.SHA256},
			{"dataset", r.Run.Dataset.Source + " " + r.Run.Dataset.Split},
			{"dataset.sha256", r.Run.Dataset.SHA256},
			{"seed", fmt.Sprint(r.Run.Seed)},
			{"harness.version", o.version(r)},
		},
	}
	if r.Timings != nil {
		s.Time = fmt.Sprintf("%.3f", r.Timings.TotalSeconds)
	}
	for _, c := range r.Criteria {
		tc := junitCase{Name: c.ID, Classname: "ecgrobust." + name, Time: "0"}
		switch {
		case c.Outcome != verdict.Pass && c.Severity == severityWarning:
			// Reported, but it does not fail the run: not a CI failure.
			tc.Skipped = &junitFailure{Message: failureMessage(c) + " [severity warning: not counted in the verdict]"}
			s.Skipped++
		case c.Outcome == verdict.Fail:
			tc.Failure = &junitFailure{Message: failureMessage(c), Type: string(c.Outcome), Body: criterionText(c)}
			s.Failures++
		case c.Outcome == verdict.Pass:
		default:
			tc.Error = &junitFailure{Message: failureMessage(c), Type: string(c.Outcome), Body: criterionText(c)}
			s.Errors++
		}
		if tc.Failure == nil && tc.Error == nil && tc.Skipped == nil {
			tc.SystemOut = &junitText{criterionText(c)}
		}
		s.Cases = append(s.Cases, tc)
		s.Tests++
	}
	doc := junitSuites{Name: "ecgrobust", Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Suites: []junitSuite{s}}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return err
	}
	_, err = io.WriteString(w, "\n")
	return err
}

// failureMessage is the one-line message CI systems show: the outcome,
// each measured value against its threshold, and the expression.
func failureMessage(c verdict.CriterionResult) string {
	var parts []string
	for _, m := range measures(c) {
		parts = append(parts, measureText(m))
	}
	msg := shownOutcome(c) + ": "
	if len(parts) > 0 {
		msg += strings.Join(parts, "; ") + "; "
	}
	msg += "expression: " + c.Expr
	if c.Reason != "" {
		msg += " (" + c.Reason + ")"
	}
	return msg
}

func measureText(m measure) string {
	v := "not measured"
	if m.Known {
		v = num(m.Value)
	}
	s := "measured " + m.Name + " = " + v
	if m.Threshold != "" {
		s += ", threshold " + m.Threshold
	}
	return s
}

// criterionText is the multi-line detail of a criterion.
func criterionText(c verdict.CriterionResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "criterion: %s\n", c.ID)
	if c.Description != "" {
		fmt.Fprintf(&b, "description: %s\n", c.Description)
	}
	if c.Severity != "" {
		fmt.Fprintf(&b, "severity: %s\n", c.Severity)
	}
	fmt.Fprintf(&b, "expression: %s\n", c.Expr)
	for _, m := range measures(c) {
		fmt.Fprintf(&b, "%s\n", measureText(m))
	}
	fmt.Fprintf(&b, "outcome: %s\n", c.Outcome)
	if c.Reason != "" {
		fmt.Fprintf(&b, "reason: %s\n", c.Reason)
	}
	return b.String()
}
