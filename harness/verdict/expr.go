package verdict

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/Knetic/govaluate"

	"github.com/ecgrobust/ecgrobust/harness/internal/suggest"
)

// functions are the functions criteria may call.
var functions = map[string]govaluate.ExpressionFunction{
	"min": func(args ...any) (any, error) { return fold("min", math.Min, args) },
	"max": func(args ...any) (any, error) { return fold("max", math.Max, args) },
	"abs": func(args ...any) (any, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("abs takes 1 argument, got %d", len(args))
		}
		x, ok := args[0].(float64)
		if !ok {
			return nil, fmt.Errorf("abs of a non-number %v", args[0])
		}
		return math.Abs(x), nil
	},
}

func fold(name string, f func(a, b float64) float64, args []any) (any, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("%s needs at least 1 argument", name)
	}
	var acc float64
	for i, a := range args {
		x, ok := a.(float64)
		if !ok {
			return nil, fmt.Errorf("%s of a non-number %v", name, a)
		}
		if i == 0 {
			acc = x
		} else {
			acc = f(acc, x)
		}
	}
	return acc, nil
}

// sciNumber matches a number in scientific notation that is not part of
// a name.
var sciNumber = regexp.MustCompile(`(^|[^A-Za-z0-9_.\]])([0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE]([+-]?[0-9]+)`)

// normalise rewrites numbers in scientific notation, which govaluate
// cannot read, as plain decimals.
func normalise(expr string) (string, error) {
	var bad error
	out := sciNumber.ReplaceAllStringFunc(expr, func(m string) string {
		g := sciNumber.FindStringSubmatch(m)
		v, err := strconv.ParseFloat(g[2]+"e"+g[3], 64)
		if err != nil || math.IsInf(v, 0) {
			bad = fmt.Errorf("number %se%s is out of range", g[2], g[3])
			return m
		}
		return g[1] + strconv.FormatFloat(v, 'f', -1, 64)
	})
	return out, bad
}

// Limits on an expression, so that a hostile spec cannot exhaust the
// stack of govaluate's recursive parser.
const (
	MaxExprLen = 4096
	MaxNesting = 32
)

// nesting returns the deepest nesting of parentheses and brackets in s.
func nesting(s string) int {
	depth, deepest := 0, 0
	for _, r := range s {
		switch r {
		case '(', '[':
			depth++
			deepest = max(deepest, depth)
		case ')', ']':
			depth--
		}
	}
	return deepest
}

// expression is a parsed criterion.
type expression struct {
	src  string
	ev   *govaluate.EvaluableExpression
	vars []string // distinct variables, in order of first use
}

// parse compiles src and checks its variables against allowed (sorted or
// not; nil allows any name).
func parse(src string, allowed []string) (e *expression, err error) {
	defer func() {
		if r := recover(); r != nil {
			e, err = nil, fmt.Errorf("cannot parse expression: %v", r)
		}
	}()
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("expression is empty")
	}
	if len(src) > MaxExprLen {
		return nil, fmt.Errorf("expression is %d bytes long, more than the %d allowed", len(src), MaxExprLen)
	}
	if d := nesting(src); d > MaxNesting {
		return nil, fmt.Errorf("parentheses nest %d deep, more than the %d allowed", d, MaxNesting)
	}
	norm, err := normalise(src)
	if err != nil {
		return nil, err
	}
	ev, err := govaluate.NewEvaluableExpressionWithFunctions(norm, functions)
	if err != nil {
		return nil, fmt.Errorf("syntax error: %s", strings.TrimSuffix(err.Error(), "."))
	}
	e = &expression{src: src, ev: ev}
	for _, v := range ev.Vars() {
		if !slices.Contains(e.vars, v) {
			e.vars = append(e.vars, v)
		}
	}
	if len(e.vars) == 0 {
		return nil, errors.New("expression reads no metric; name at least one, e.g. sap_success_rate <= 0.05")
	}
	if allowed != nil {
		for _, v := range e.vars {
			if !slices.Contains(allowed, v) {
				return nil, unknownVariable(v, allowed)
			}
		}
	}
	// The result must be true or false whatever the values.
	probe := map[string]any{}
	for _, v := range e.vars {
		probe[v] = 0.5
	}
	out, err := e.eval(probe)
	if err != nil {
		return nil, fmt.Errorf("cannot evaluate: %w", err)
	}
	if _, ok := out.(bool); !ok {
		return nil, fmt.Errorf("expression gives %v, not true or false; compare a metric with a threshold, e.g. %s <= 0.05", out, e.vars[0])
	}
	return e, nil
}

func (e *expression) eval(params map[string]any) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("evaluation failed: %v", r)
		}
	}()
	return e.ev.Evaluate(params)
}

// unknownVariable names the closest allowed names and lists them all.
func unknownVariable(v string, allowed []string) error {
	sorted := slices.Clone(allowed)
	slices.Sort(sorted)
	hint := ""
	if best, d := suggest.Closest(v, sorted); d >= 0 && d <= max(2, len(v)/3) {
		hint = fmt.Sprintf(" (did you mean %q?)", best)
	}
	return &UnknownVariableError{Name: v, Available: sorted, hint: hint}
}

// UnknownVariableError is returned when an expression names a metric the
// run does not produce.
type UnknownVariableError struct {
	Name      string
	Available []string
	hint      string
}

func (e *UnknownVariableError) Error() string {
	return fmt.Sprintf("unknown variable %q%s; available: %s", e.Name, e.hint, strings.Join(e.Available, ", "))
}

// Check reports whether expr is a valid criterion over the variables
// allowed: it parses, reads at least one variable, reads only allowed
// ones and gives true or false. It suits spec.(*Spec).CheckExprs.
func Check(expr string, allowed []string) error {
	_, err := parse(expr, allowed)
	return err
}
