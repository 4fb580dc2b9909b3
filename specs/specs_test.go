package specs_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
	"github.com/ecgrobust/ecgrobust/specs"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(specs.Schema))
	if err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("compile schema.json: %v", err)
	}
	return sch
}

// instance decodes YAML into the JSON value a schema validator sees.
func instance(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("to json: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestBundledSpecs(t *testing.T) {
	sch := compileSchema(t)
	names := specs.Names()
	for _, want := range []string{"audit-full", "ci-gate-quick", "han2020-reproduction", "noise-stress-ec57"} {
		if !slices.Contains(names, want) {
			t.Errorf("bundled specs %v lack %s", names, want)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := specs.Read(name)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(instance(t, data)); err != nil {
				t.Errorf("schema: %v", err)
			}
			s, err := spec.Parse(name+".yaml", data)
			if err != nil {
				t.Fatalf("Go validator: %v", err)
			}
			if err := s.CheckExprs(verdict.Check); err != nil {
				t.Errorf("criteria: %v", err)
			}
			if s.Metadata.Name != name {
				t.Errorf("metadata.name = %q, want the file name %q", s.Metadata.Name, name)
			}
			if len(strings.Fields(s.Metadata.Description)) < 40 {
				t.Errorf("description has %d words; say what the spec tests and why its thresholds are what they are",
					len(strings.Fields(s.Metadata.Description)))
			}
		})
	}
}

func TestRead(t *testing.T) {
	for _, bad := range []string{"", "../go", "a/b", "nope"} {
		if _, err := specs.Read(bad); err == nil {
			t.Errorf("Read(%q) succeeded", bad)
		}
	}
}

// schemaBlind lists broken specs the JSON Schema cannot reject: the rule
// they break spans fields or documents. The Go validator rejects them all.
var schemaBlind = map[string]bool{
	"collate-of-later.yaml":         true,
	"step-larger-than-epsilon.yaml": true,
	"even-kernel.yaml":              true,
	"duplicate-attack-id.yaml":      true,
	"two-documents.yaml":            true,
	"syntax-error.yaml":             true,
}

// TestBrokenSpecsFailSchema checks that the schema rejects every broken
// spec it can express, so editors flag them too.
func TestBrokenSpecsFailSchema(t *testing.T) {
	sch := compileSchema(t)
	files, err := filepath.Glob("../harness/spec/testdata/broken/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no broken specs: %v", err)
	}
	for _, f := range files {
		base := filepath.Base(f)
		if schemaBlind[base] {
			continue
		}
		t.Run(base, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(instance(t, data)); err == nil {
				t.Errorf("schema accepts %s", base)
			}
		})
	}
}

// TestSchemaMatchesGoTypes keeps schema.json in step with the spec types:
// every object lists exactly the YAML fields the Go type has.
func TestSchemaMatchesGoTypes(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal(specs.Schema, &root); err != nil {
		t.Fatal(err)
	}
	props := func(obj any) []string {
		m := obj.(map[string]any)["properties"].(map[string]any)
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	top := root["properties"].(map[string]any)
	check := func(name string, obj any, typ reflect.Type) {
		got, want := props(obj), yamlKeys(typ)
		if !slices.Equal(got, want) {
			t.Errorf("%s: schema properties %v, Go fields %v", name, got, want)
		}
	}
	check("spec", root, reflect.TypeOf(spec.Spec{}))
	for key, typ := range map[string]reflect.Type{
		"metadata": reflect.TypeOf(spec.Metadata{}), "model": reflect.TypeOf(spec.Model{}),
		"dataset": reflect.TypeOf(spec.Dataset{}), "preprocessing": reflect.TypeOf(spec.Preprocessing{}),
		"gradient_fidelity": reflect.TypeOf(spec.GradientFidelity{}), "limits": reflect.TypeOf(spec.Limits{}),
		"outputs": reflect.TypeOf(spec.Outputs{}),
	} {
		check(key, top[key], typ)
	}
	check("criteria", top["criteria"].(map[string]any)["items"], reflect.TypeOf(spec.Criterion{}))
	for _, alt := range top["attacks"].(map[string]any)["items"].(map[string]any)["oneOf"].([]any) {
		typ := alt.(map[string]any)["properties"].(map[string]any)["type"].(map[string]any)["const"].(string)
		want := spec.AttackFields(typ)
		sort.Strings(want)
		if got := props(alt); !slices.Equal(got, want) {
			t.Errorf("attack %s: schema properties %v, Go allows %v", typ, got, want)
		}
	}
}

func yamlKeys(t reflect.Type) []string {
	var ks []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" && f.IsExported() {
			ks = append(ks, tag)
		}
	}
	sort.Strings(ks)
	return ks
}
