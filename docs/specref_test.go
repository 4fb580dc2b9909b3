package docs

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
	"github.com/ecgrobust/ecgrobust/specs"
)

var update = flag.Bool("update", false, "rewrite docs/spec-reference.md")

const specRefFile = "spec-reference.md"

// TestSpecReference regenerates spec-reference.md from the code and fails
// when the committed file differs: run `make docs` (or this test with
// -update) after changing harness/spec or specs/schema.json.
func TestSpecReference(t *testing.T) {
	got, err := specReference()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(specRefFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(specRefFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/%s is out of date with harness/spec and specs/schema.json: run `make docs` and commit it", specRefFile)
	}
}

// schemaNode is the part of JSON Schema that specs/schema.json uses.
type schemaNode struct {
	Type             any                    `json:"type"`
	Const            any                    `json:"const"`
	Description      string                 `json:"description"`
	Enum             []any                  `json:"enum"`
	Pattern          string                 `json:"pattern"`
	Minimum          *float64               `json:"minimum"`
	Maximum          *float64               `json:"maximum"`
	ExclusiveMinimum *float64               `json:"exclusiveMinimum"`
	MinItems         *int                   `json:"minItems"`
	MinLength        *int                   `json:"minLength"`
	UniqueItems      bool                   `json:"uniqueItems"`
	Default          any                    `json:"default"`
	Required         []string               `json:"required"`
	Properties       map[string]*schemaNode `json:"properties"`
	Items            *schemaNode            `json:"items"`
	OneOf            []*schemaNode          `json:"oneOf"`
}

// keys returns the properties in the order the Go type declares them, so
// the reference reads like the spec files.
func (n *schemaNode) keys(typ reflect.Type) []string {
	var ks []string
	for i := range typ.NumField() {
		tag := strings.Split(typ.Field(i).Tag.Get("yaml"), ",")[0]
		if _, ok := n.Properties[tag]; ok && tag != "-" {
			ks = append(ks, tag)
		}
	}
	for k := range n.Properties { // any the type lacks (a test in specs/ forbids them)
		if !slices.Contains(ks, k) {
			ks = append(ks, k)
		}
	}
	return ks
}

// minimalSpec has every required field and one attack of each type, so
// Parse fills in every default the validator knows.
const minimalSpec = `apiVersion: ecgrobust/v1
kind: RobustnessSpec
metadata: {name: defaults, version: 1.0.0, description: every default}
model: {plugin: ./plugin}
dataset: {source: cinc2017}
seed: 1
attacks:
  - {id: pgd, type: pgd}
  - {id: sap, type: sap}
  - {id: collate, type: collate, of: sap}
  - {id: noise, type: noise-stress}
gradient_fidelity: {records: 1}
criteria:
  - {id: c, expr: clean_accuracy >= 0}
`

// exampleSpec opens the reference; specReference checks it is valid.
const exampleSpec = `apiVersion: ecgrobust/v1
kind: RobustnessSpec
metadata:
  name: my-gate
  version: 1.0.0
  description: SAP at the paper's 10 µV budget on the 40 demo records; at most 10 % may flip.
model:
  plugin: ./my-plugin          # relative to this file; or "reference"
  # sha256: <sha256sum of ./my-plugin>
dataset:
  source: demo
seed: 1
attacks:
  - id: sap
    type: sap
    epsilon_uv: 10
criteria:
  - id: sap-success
    expr: sap_success_rate_ci_high <= 0.10
`

// units gives the unit of fields whose name does not carry it.
var units = map[string]string{
	"seed": "—", "timeout": "Go duration (`30s`, `5m`)", "instances": "processes", "retries": "restarts",
	"per_class": "records", "length_samples": "samples", "steps": "iterations", "pgd_steps": "iterations",
	"kernel_sizes": "samples at 300 Hz", "kernel_sigmas": "samples at 300 Hz", "query_budget": "signals per record",
	"fd_directions": "direction pairs", "trials": "resamples per record", "uniform_samples": "samples per record",
	"records": "records", "min_cosine": "cosine (−1 to 1)", "max_errored_fraction": "fraction (0 to 1)",
	"max_ci_width": "fraction (0 to 1)", "min_attacked": "records", "examples": "traces",
}

func unitOf(key string) string {
	switch {
	case strings.HasSuffix(key, "_uv"):
		return "µV"
	case strings.HasSuffix(key, "_hz"):
		return "Hz"
	case strings.HasSuffix(key, "_db"):
		return "dB"
	case strings.HasSuffix(key, "_per_mv"):
		return "adu/mV"
	}
	if u, ok := units[key]; ok {
		return u
	}
	return ""
}

func typeOf(n *schemaNode) string {
	if n.Const != nil {
		return "constant"
	}
	t, _ := n.Type.(string)
	if t == "array" && n.Items != nil {
		if it, ok := n.Items.Type.(string); ok {
			return "list of " + it
		}
		if len(n.Items.Enum) > 0 {
			return "list of string"
		}
		return "list of object"
	}
	if t == "" {
		return "—"
	}
	return t
}

func code(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		if v == "" {
			return "`\"\"`"
		}
		return "`" + v + "`"
	case float64:
		return "`" + strconv.FormatFloat(v, 'f', -1, 64) + "`"
	case []any:
		if len(v) == 0 {
			return "`[]`"
		}
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = strings.Trim(code(x), "`")
		}
		return "`[" + strings.Join(parts, ", ") + "]`"
	}
	b, _ := json.Marshal(v)
	return "`" + string(b) + "`"
}

func allowed(n *schemaNode) string {
	var parts []string
	if n.Const != nil {
		parts = append(parts, code(n.Const))
	}
	if len(n.Enum) > 0 {
		parts = append(parts, "one of "+enumList(n.Enum))
	}
	if n.Items != nil && len(n.Items.Enum) > 0 {
		parts = append(parts, "each one of "+enumList(n.Items.Enum))
	}
	rng := func(n *schemaNode) string {
		lo := ""
		switch {
		case n.ExclusiveMinimum != nil:
			lo = "> " + num(*n.ExclusiveMinimum)
		case n.Minimum != nil:
			lo = "≥ " + num(*n.Minimum)
		}
		if n.Maximum != nil {
			if lo != "" {
				lo += ", "
			}
			lo += "≤ " + num(*n.Maximum)
		}
		return lo
	}
	if r := rng(n); r != "" {
		parts = append(parts, r)
	}
	if n.Items != nil {
		if r := rng(n.Items); r != "" {
			parts = append(parts, "each "+r)
		}
	}
	if n.Pattern != "" {
		parts = append(parts, "matches `"+n.Pattern+"`")
	}
	if n.MinItems != nil && *n.MinItems > 0 {
		parts = append(parts, fmt.Sprintf("at least %d item(s)", *n.MinItems))
	}
	if n.MinLength != nil && *n.MinLength > 0 {
		parts = append(parts, "not empty")
	}
	if n.UniqueItems {
		parts = append(parts, "no duplicates")
	}
	if len(parts) == 0 {
		return "any"
	}
	return strings.Join(parts, "; ")
}

func num(v float64) string {
	return strings.Replace(strconv.FormatFloat(v, 'f', -1, 64), "-", "−", 1)
}

func enumList(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = code(v)
	}
	return strings.Join(parts, ", ")
}

func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

// defaults decodes a parsed spec into the generic form the schema
// describes (JSON tags equal YAML keys), so defaults come from the code.
func defaults() (map[string]any, error) {
	s, err := spec.Parse("defaults.yaml", []byte(minimalSpec))
	if err != nil {
		return nil, fmt.Errorf("parse the minimal spec: %w", err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// defaultCell returns the code's default for key in obj, "required",
// "see below" for sections, or "—".
func defaultCell(n *schemaNode, parent *schemaNode, key string, obj map[string]any, set bool) string {
	if slices.Contains(parent.Required, key) {
		return "required"
	}
	if t, _ := n.Type.(string); t == "object" {
		return "[see below](#" + key + ")"
	}
	if !set {
		if n.Default != nil {
			return code(n.Default)
		}
		return "—"
	}
	v, ok := obj[key]
	switch {
	case !ok && n.Default != nil: // omitted from JSON because zero
		return code(n.Default)
	case !ok && typeOf(n) == "boolean":
		return "`false`"
	case !ok, v == nil, v == "":
		return "—"
	}
	return code(v)
}

// table renders one object's fields. obj holds the code's completed values
// for it; set says whether obj's values are defaults (false for fields the
// minimal spec sets itself).
func table(b *bytes.Buffer, n *schemaNode, typ reflect.Type, obj map[string]any, given []string, problems *[]string, where string) {
	b.WriteString("| Field | Type | Unit | Default | Allowed | Meaning |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, k := range n.keys(typ) {
		p := n.Properties[k]
		isGiven := slices.Contains(given, k)
		def := defaultCell(p, n, k, obj, !isGiven)
		if p.Default != nil && !isGiven {
			got, ok := obj[k]
			if !ok { // omitempty: the validator left the zero value
				got = reflect.Zero(reflect.TypeOf(p.Default)).Interface()
			}
			if !reflect.DeepEqual(got, p.Default) {
				*problems = append(*problems, fmt.Sprintf("%s%s: specs/schema.json says default %v, the validator fills in %v", where, k, p.Default, got))
			}
		}
		desc := p.Description
		if desc == "" {
			desc = goDoc(typ, k)
		}
		if desc == "" {
			desc = extraDesc[k]
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s | %s | %s |\n", k, typeOf(p), unitOf(k), def, cell(allowed(p)), cell(desc))
	}
	b.WriteString("\n")
}

// constDoc returns the line comment of the constant in harness/spec/spec.go
// whose value is val ("pgd" → "L∞ projected gradient descent (Han 2020
// baseline)").
func constDoc(val string) string {
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(repoRoot, "harness/spec/spec.go"), nil, parser.ParseComments)
	if err != nil {
		return ""
	}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, sp := range g.Specs {
			vs := sp.(*ast.ValueSpec)
			if len(vs.Values) != 1 || vs.Comment == nil {
				continue
			}
			if lit, ok := vs.Values[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, _ := strconv.Unquote(lit.Value); v == val {
					return strings.TrimSpace(vs.Comment.Text())
				}
			}
		}
	}
	return ""
}

// valueList writes the meaning of each allowed value, from the
// comments on the constants in harness/spec/spec.go.
func valueList(b *bytes.Buffer, label string, values []string) {
	fmt.Fprintf(b, "Values of %s:\n\n", label)
	for _, v := range values {
		fmt.Fprintf(b, "- `%s`: %s\n", v, orUndocumented(constDoc(v)))
	}
	b.WriteString("\n")
}

// extraDesc describes the top-level fields the Go types leave undocumented.
var extraDesc = map[string]string{
	"apiVersion": "Version of the spec format.",
	"kind":       "Kind of document.",
	"attacks":    "The attacks of the run, in order: [see below](#attacks).",
	"criteria":   "The acceptance criteria: [see below](#criteria).",
}

// goDoc is a field's Go doc comment in harness/spec/spec.go, for fields
// the schema does not describe ("Split selects records: …").
func goDoc(typ reflect.Type, key string) string {
	field, fieldType := "", ""
	for i := range typ.NumField() {
		if strings.Split(typ.Field(i).Tag.Get("yaml"), ",")[0] == key {
			field, fieldType = typ.Field(i).Name, typ.Field(i).Type.Name()
		}
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(repoRoot, "harness/spec/spec.go"), nil, parser.ParseComments)
	if err != nil || field == "" {
		return ""
	}
	doc := ""
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != typ.Name() {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		for _, fl := range st.Fields.List {
			for _, nm := range fl.Names {
				if nm.Name == field && fl.Doc != nil {
					doc = strings.Join(strings.Fields(fl.Doc.Text()), " ")
				}
			}
		}
		return false
	})
	if doc == "" && fieldType != "" { // a section: its type's doc
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE && g.Doc != nil && len(g.Specs) == 1 &&
				g.Specs[0].(*ast.TypeSpec).Name.Name == fieldType {
				return strings.Join(strings.Fields(g.Doc.Text()), " ")
			}
		}
	}
	for _, verb := range []string{" is ", " are ", " "} {
		if rest, ok := strings.CutPrefix(doc, field+verb); ok {
			if verb == " " {
				return doc
			}
			return strings.ToUpper(rest[:1]) + rest[1:]
		}
	}
	return doc
}

// metricDoc reads the metric name constants and their comments from
// harness/spec/metrics.go: value → description, run-wide and per attack.
func metricDoc() (runWide, perAttack map[string]string, err error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(repoRoot, "harness/spec/metrics.go"), nil, parser.ParseComments)
	if err != nil {
		return nil, nil, fmt.Errorf("parse metrics.go: %w", err)
	}
	runWide, perAttack = map[string]string{}, map[string]string{}
	section := ""
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if len(vs.Names) != 1 || len(vs.Values) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Metric") {
				continue
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				continue
			}
			val, _ := strconv.Unquote(lit.Value)
			desc := ""
			if vs.Doc != nil {
				doc := strings.Join(strings.Fields(vs.Doc.Text()), " ")
				if rest, ok := strings.CutPrefix(doc, vs.Names[0].Name+" is "); ok {
					desc = strings.TrimSuffix(rest, ".")
				} else {
					section = doc
				}
			}
			if vs.Comment != nil {
				desc = strings.TrimSpace(vs.Comment.Text())
			}
			m := perAttack
			if strings.HasPrefix(section, "Run-wide") {
				m = runWide
			}
			if _, seen := m[val]; !seen {
				m[val] = desc
			}
		}
	}
	return runWide, perAttack, nil
}

// specReference renders docs/spec-reference.md.
func specReference() ([]byte, error) {
	var root schemaNode
	if err := json.Unmarshal(specs.Schema, &root); err != nil {
		return nil, fmt.Errorf("specs/schema.json: %w", err)
	}
	def, err := defaults()
	if err != nil {
		return nil, err
	}
	ex, err := spec.Parse("example.yaml", []byte(exampleSpec))
	if err != nil {
		return nil, fmt.Errorf("the example spec: %w", err)
	}
	if err := ex.CheckExprs(verdict.Check); err != nil {
		return nil, fmt.Errorf("the example spec's criteria: %w", err)
	}
	var b bytes.Buffer
	var problems []string
	b.WriteString(`# Spec reference

<!-- Generated by TestSpecReference (docs/specref_test.go) from harness/spec
and specs/schema.json: run ` + "`make docs`" + ` after changing them; do not edit. -->

A spec is a YAML file (` + "`apiVersion: ecgrobust/v1`, `kind: RobustnessSpec`" + `) read
strictly: an unknown key, a float where an integer belongs, a field that does
not apply to an attack's type or a value outside "Allowed" is an error naming
the file, line and field. "Default" is what the validator fills in when the
field is left out ("required": it may not be left out; "—": no value).
` + "`ecgrobust validate SPEC`" + ` checks a spec; ` + "`ecgrobust specs schema`" + ` prints the JSON
Schema for editors; ` + "`ecgrobust specs show NAME`" + ` prints a bundled spec to start from.
Guides: [vendor](vendor-guide.md), [auditor](auditor-guide.md), [CI](ci-guide.md).

Units: amplitudes in µV (fields ending ` + "`_uv`" + `), rates in Hz (` + "`_hz`" + `), ratios
in dB (` + "`_db`" + `), lengths in samples; SAP kernels in samples at 300 Hz (scaled
to the model's rate, keeping their extent in seconds).

A small complete spec (every field left out takes the default below):

` + "```yaml\n" + exampleSpec + "```" + `

Contents: [top level](#top-level) · [metadata](#metadata) · [model](#model) ·
[dataset](#dataset) · [preprocessing](#preprocessing) · [attacks](#attacks) ·
[gradient_fidelity](#gradient_fidelity) · [limits](#limits) ·
[criteria](#criteria) · [outputs](#outputs) · [metric names](#metric-names)

## Top level

`)
	table(&b, &root, reflect.TypeOf(spec.Spec{}), def, nil, &problems, "")
	sections := []struct {
		key   string
		typ   reflect.Type
		given []string
	}{
		{"metadata", reflect.TypeOf(spec.Metadata{}), []string{"name", "version", "description"}},
		{"model", reflect.TypeOf(spec.Model{}), []string{"plugin"}},
		{"dataset", reflect.TypeOf(spec.Dataset{}), []string{"source", "seed"}},
		{"preprocessing", reflect.TypeOf(spec.Preprocessing{}), nil},
	}
	for _, s := range sections {
		fmt.Fprintf(&b, "## %s\n\n", s.key)
		obj, _ := def[s.key].(map[string]any)
		table(&b, root.Properties[s.key], s.typ, obj, s.given, &problems, s.key+".")
		if s.key == "dataset" {
			b.WriteString("`split` defaults to the source's first split: `han2020-test` for `cinc2017`, `all` for `demo` and `mitdb`. " +
				"`seed` defaults to the spec's `seed`.\n\n")
			valueList(&b, "`source`", spec.Sources)
		}
	}

	b.WriteString("## attacks\n\nA list of at least one attack. Each has an `id` (its metrics are named `<id>_<metric>`) " +
		"and a `type`; the other fields depend on the type, and a field of another type is an error.\n\n")
	attacks, _ := def["attacks"].([]any)
	for _, alt := range root.Properties["attacks"].Items.OneOf {
		typ, _ := alt.Properties["type"].Const.(string)
		fmt.Fprintf(&b, "### type: %s\n\n", typ)
		if d := constDoc(typ); d != "" {
			fmt.Fprintf(&b, "%s.\n\n", strings.ToUpper(d[:1])+d[1:])
		}
		var obj map[string]any
		for _, a := range attacks {
			if m, _ := a.(map[string]any); m["type"] == typ {
				obj = m
			}
		}
		if obj == nil {
			return nil, fmt.Errorf("the minimal spec has no %s attack", typ)
		}
		if got, want := sortedKeys(alt.Properties), sorted(spec.AttackFields(typ)); !slices.Equal(got, want) {
			problems = append(problems, fmt.Sprintf("attack %s: schema fields %v, validator accepts %v", typ, got, want))
		}
		table(&b, alt, reflect.TypeOf(spec.Attack{}), obj, []string{"id", "type", "of", "description"}, &problems, "attacks."+typ+".")
	}
	valueList(&b, "`gradient` (pgd and sap)", spec.Gradients)
	for _, s := range []struct {
		key string
		typ reflect.Type
	}{{"gradient_fidelity", reflect.TypeOf(spec.GradientFidelity{})}, {"limits", reflect.TypeOf(spec.Limits{})}} {
		fmt.Fprintf(&b, "## %s\n\n", s.key)
		obj, _ := def[s.key].(map[string]any)
		given := []string(nil)
		if s.key == "gradient_fidelity" {
			given = []string{"records"}
		}
		table(&b, root.Properties[s.key], s.typ, obj, given, &problems, s.key+".")
		if s.key == "gradient_fidelity" {
			valueList(&b, "`on_failure`", spec.OnFailures)
		}
	}
	b.WriteString("## criteria\n\nA list of at least one criterion. A run PASSes when every `error` criterion holds; " +
		"a `warning` that does not hold is reported but does not fail the run.\n\n")
	table(&b, root.Properties["criteria"].Items, reflect.TypeOf(spec.Criterion{}), map[string]any{"severity": "error"},
		[]string{"id", "expr", "description"}, &problems, "criteria.")
	b.WriteString("`expr` is a [govaluate](https://github.com/Knetic/govaluate) expression over the metric names below: " +
		"comparison (`< <= > >= == !=`), arithmetic (`+ - * /`), `&&`, `||`, `!`, parentheses, numbers such as `0.05` or `1e-3`, " +
		"and the functions `min(...)`, `max(...)` and `abs(x)`. A name the spec does not produce is an error at load time that " +
		"lists the names it does. A criterion over a metric the run could not measure, or one the limits mark unreliable, " +
		"makes the run INCONCLUSIVE rather than PASS. Arithmetic is in float64, so a ratio of rates that lands exactly on " +
		"its threshold may fall just below it (27/58 < 0.9 × 30/58): compare counts, which are exact, e.g. " +
		"`10 * sap_search_succeeded >= 9 * sap_succeeded` for \"at least 90 % as many\".\n\n")
	b.WriteString("## outputs\n\n")
	obj, _ := def["outputs"].(map[string]any)
	table(&b, root.Properties["outputs"], reflect.TypeOf(spec.Outputs{}), obj, nil, &problems, "outputs.")
	b.WriteString("Every run writes the whole evidence bundle: results.json, timings.json, report.html, junit.xml, " +
		"summary.md and manifest.json.\n\n")

	if err := metricSection(&b); err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("the schema and the validator disagree:\n  %s", strings.Join(problems, "\n  "))
	}
	return b.Bytes(), nil
}

func metricSection(b *bytes.Buffer) error {
	runWide, perAttack, err := metricDoc()
	if err != nil {
		return err
	}
	s, err := spec.Parse("defaults.yaml", []byte(minimalSpec))
	if err != nil {
		return err
	}
	b.WriteString("## Metric names\n\nThe names criteria may use. `ecgrobust validate` lists those a given spec offers.\n\n" +
		"### Run-wide\n\n| Name | Meaning |\n| --- | --- |\n")
	prefixes := make([]string, len(s.Attacks))
	for i, a := range s.Attacks {
		prefixes[i] = a.ID + "_"
	}
	for _, v := range s.Variables() {
		if slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(v, p) }) {
			continue
		}
		desc := runWide[v]
		if v == spec.MetricGradientCosineMin || v == spec.MetricGradientCosineMean || v == spec.MetricGradientFidelityPass {
			desc += " (only when `gradient_fidelity.records` > 0)"
		}
		fmt.Fprintf(b, "| `%s` | %s |\n", v, cell(orUndocumented(desc)))
	}
	b.WriteString("\n### Per attack\n\nPrefixed with the attack's id and an underscore: `sap_success_rate` for an attack with `id: sap`.\n\n")
	for _, typ := range spec.AttackTypes {
		a := spec.Attack{Type: typ}
		if typ == spec.TypeNoiseStress {
			a.Noise, a.SNRdB = []string{"em"}, []float64{24}
		}
		fmt.Fprintf(b, "#### %s\n\n| Name | Meaning |\n| --- | --- |\n", typ)
		for _, m := range spec.AttackMetrics(a) {
			if typ == spec.TypeNoiseStress && m == spec.NoiseMetric("em", 24) {
				fmt.Fprintf(b, "| `accuracy_<noise>_<snr>` | accuracy under noise `<noise>` (em, bw, ma) at `<snr>` dB; "+
					"a minus sign is written `m` and a decimal point `p`: `%s`, `%s`, `%s` |\n",
					spec.NoiseMetric("em", 24), spec.NoiseMetric("ma", -6), spec.NoiseMetric("bw", 1.5))
				continue
			}
			fmt.Fprintf(b, "| `%s` | %s |\n", m, cell(orUndocumented(perAttack[m])))
		}
		b.WriteString("\n")
	}
	return nil
}

func orUndocumented(s string) string {
	if s == "" {
		return "(no description in harness/spec/metrics.go)"
	}
	return s
}

func sortedKeys(m map[string]*schemaNode) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
