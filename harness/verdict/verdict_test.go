package verdict

import (
	"errors"
	"math"
	"strings"
	"testing"
)

var vars = []string{"clean_accuracy", "pgd_success_rate", "pgd_success_rate_ci_high", "sap_success_rate", "sap_success_rate_ci_high"}

func TestCheck(t *testing.T) {
	tests := []struct {
		name, expr string
		wantErr    string // "" for valid
	}{
		{"simple", "sap_success_rate <= 0.05", ""},
		{"and", "clean_accuracy >= 0.85 && pgd_success_rate_ci_high < 0.1", ""},
		{"scientific", "sap_success_rate < 1e-3", ""},
		{"scientific upper", "sap_success_rate < 5E-2 || clean_accuracy > 2.5e+0", ""},
		{"functions", "max(sap_success_rate, pgd_success_rate) < 0.1 && abs(clean_accuracy - 0.9) < 0.1", ""},
		{"unknown", "sap_sucess_rate <= 0.05", `unknown variable "sap_sucess_rate" (did you mean "sap_success_rate"?); available: clean_accuracy, pgd_success_rate`},
		{"unknown far", "accuracy_of_everything > 1", `unknown variable "accuracy_of_everything"; available:`},
		{"syntax", "sap_success_rate <= ", "syntax error"},
		{"unbalanced", "(sap_success_rate <= 0.1", "syntax error"},
		{"not bool", "sap_success_rate + 1", "not true or false"},
		{"no variable", "1 < 2", "reads no metric"},
		{"empty", "  ", "expression is empty"},
		{"huge exponent", "sap_success_rate < 1e999", "out of range"},
		{"too deep", strings.Repeat("(", 40) + "sap_success_rate" + strings.Repeat(")", 40) + " < 1", "nest 40 deep"},
		{"too long", "sap_success_rate < 1" + strings.Repeat(" ", 5000), "more than the 4096 allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.expr, vars)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Check(%q) = %v, want nil", tt.expr, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Check(%q) = %v, want error containing %q", tt.expr, err, tt.wantErr)
			}
		})
	}
}

func TestNormalise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"x < 1e-3", "x < 0.001"},
		{"x < 2.5E2", "x < 250"},
		{"x1e5 < 3", "x1e5 < 3"},
		{"a_2e3 > .5e1", "a_2e3 > 5"},
		{"x < 1.e-2", "x < 0.01"},
	}
	for _, tt := range tests {
		got, err := normalise(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("normalise(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestCompileListsEveryBadCriterion(t *testing.T) {
	_, err := Compile([]Criterion{
		{ID: "ok", Expr: "sap_success_rate < 0.1"},
		{ID: "bad1", Expr: "nope < 1"},
		{ID: "bad2", Expr: "sap_success_rate <"},
		{ID: "bad3", Expr: "sap_success_rate < 1", Severity: "fatal"},
	}, vars)
	var ce CompileErrors
	if !errors.As(err, &ce) || len(ce) != 3 {
		t.Fatalf("err = %v, want 3 CompileErrors", err)
	}
	for i, want := range []int{1, 2, 3} {
		if ce[i].Index != want {
			t.Errorf("error %d has Index %d, want %d", i, ce[i].Index, want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	set, err := Compile([]Criterion{
		{ID: "clean", Expr: "clean_accuracy >= 0.85"},
		{ID: "sap", Expr: "sap_success_rate_ci_high < 1e-1"},
		{ID: "pgd-warn", Expr: "pgd_success_rate < 0.5", Severity: SeverityWarning},
	}, vars)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		metrics    map[string]float64
		unreliable map[string]string
		want       Outcome
		per        []Outcome
		reason     string
	}{
		{"pass", map[string]float64{"clean_accuracy": 0.9, "sap_success_rate_ci_high": 0.05, "pgd_success_rate": 0.1},
			nil, Pass, []Outcome{Pass, Pass, Pass}, "all 3 criteria hold"},
		{"boundary holds", map[string]float64{"clean_accuracy": 0.85, "sap_success_rate_ci_high": 0.0999, "pgd_success_rate": 0.1},
			nil, Pass, []Outcome{Pass, Pass, Pass}, "all 3 criteria hold"},
		{"fail", map[string]float64{"clean_accuracy": 0.9, "sap_success_rate_ci_high": 0.1, "pgd_success_rate": 0.1},
			nil, Fail, []Outcome{Pass, Fail, Pass}, "1 of 3 criteria failed: sap"},
		{"warning only", map[string]float64{"clean_accuracy": 0.9, "sap_success_rate_ci_high": 0.05, "pgd_success_rate": 0.9},
			nil, Pass, []Outcome{Pass, Pass, Fail}, "all 3 criteria hold (warnings: pgd-warn)"},
		{"missing metric", map[string]float64{"clean_accuracy": 0.9, "pgd_success_rate": 0.1},
			nil, Inconclusive, []Outcome{Pass, Inconclusive, Pass}, "1 of 3 criteria could not be evaluated: sap"},
		{"nan metric", map[string]float64{"clean_accuracy": math.NaN(), "sap_success_rate_ci_high": 0.05, "pgd_success_rate": 0.1},
			nil, Inconclusive, []Outcome{Inconclusive, Pass, Pass}, "could not be evaluated: clean"},
		{"unreliable", map[string]float64{"clean_accuracy": 0.9, "sap_success_rate_ci_high": 0.05, "pgd_success_rate": 0.1},
			map[string]string{"sap_success_rate_ci_high": "12% of records errored"}, Inconclusive, []Outcome{Pass, Inconclusive, Pass}, "could not be evaluated: sap"},
		{"fail beats inconclusive", map[string]float64{"clean_accuracy": 0.5, "pgd_success_rate": 0.1},
			nil, Fail, []Outcome{Fail, Inconclusive, Pass}, "1 of 3 criteria failed: clean; 1 inconclusive: sap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := set.Evaluate(tt.metrics, tt.unreliable)
			if rep.Outcome != tt.want {
				t.Errorf("outcome = %s, want %s (%s)", rep.Outcome, tt.want, rep.Reason)
			}
			if !strings.Contains(rep.Reason, tt.reason) {
				t.Errorf("reason = %q, want it to contain %q", rep.Reason, tt.reason)
			}
			for i, w := range tt.per {
				if got := rep.Criteria[i].Outcome; got != w {
					t.Errorf("criterion %s = %s, want %s (%s)", rep.Criteria[i].ID, got, w, rep.Criteria[i].Reason)
				}
			}
		})
	}
}

func TestEvaluateFailReasonShowsValues(t *testing.T) {
	set, err := Compile([]Criterion{{ID: "sap", Expr: "sap_success_rate <= 0.05"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep := set.Evaluate(map[string]float64{"sap_success_rate": 0.74}, nil)
	c := rep.Criteria[0]
	if c.Reason != "does not hold with sap_success_rate = 0.74" || c.Values["sap_success_rate"] != 0.74 {
		t.Errorf("criterion = %+v", c)
	}
	if rep.Outcome.ExitCode() != 1 || Pass.ExitCode() != 0 || Inconclusive.ExitCode() != 2 {
		t.Errorf("exit codes wrong")
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"sap_success_rate <= 0.05", "clean_accuracy >= 0.85 && pgd_success_rate_ci_high < 0.1",
		"max(sap_success_rate, 1e-3) < 2", "(((", "a ? b : c", "'2020-01-01' > clean_accuracy", "[x.y] == 1", "sap_success_rate =~ 'a'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := parse(expr, nil)
		if err != nil {
			return
		}
		params := map[string]any{}
		for _, v := range e.vars {
			params[v] = 0.25
		}
		_, _ = e.eval(params) // must not panic
	})
}
