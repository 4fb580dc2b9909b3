package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadAppliesDefaults(t *testing.T) {
	s, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	pgd, sap, col, noise := s.Attacks[0], s.Attacks[1], s.Attacks[3], s.Attacks[4]
	tests := []struct {
		name      string
		got, want any
	}{
		{"model.timeout", time.Duration(s.Model.Timeout), 60 * time.Second},
		{"model.instances", s.Model.Instances, 1},
		{"dataset.split", s.Dataset.Split, "all"},
		{"dataset.seed", *s.Dataset.Seed, uint64(42)},
		{"preprocessing.length_samples", s.Preprocessing.LengthSamples, 18000},
		{"pgd.epsilon_uv", pgd.EpsilonUV, 10.0},
		{"pgd.steps", pgd.Steps, 20},
		{"pgd.gradient", pgd.Gradient, GradientAuto},
		{"sap.steps", sap.Steps, 40},
		{"sap.pgd_steps", sap.PGDSteps, 20},
		{"sap.kernel_sizes", fmt.Sprint(sap.KernelSizes), "[5 7 11 15 19]"},
		{"collate.trials (set)", col.Trials, 10},
		{"collate.noise_sigma_uv", col.NoiseSigmaUV, 5.0},
		{"noise.noise", strings.Join(noise.Noise, ","), "em,bw,ma"},
		{"limits.max_errored_fraction", s.Limits.MaxErroredFraction, 0.05},
		{"criteria[0].severity", s.Criteria[0].Severity, SeverityError},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if !s.Attacks[2].Targeted() || s.Attacks[2].Target != "N" {
		t.Errorf("sap_targeted: Targeted() = %v, Target %q; want true, N", s.Attacks[2].Targeted(), s.Attacks[2].Target)
	}
}

func TestExplicitZeroIsNotDefaulted(t *testing.T) {
	data := mustRead(t, "testdata/valid.yaml")
	data = []byte(strings.Replace(string(data), "per_class: 2", "per_class: 0", 1))
	s, err := Parse("x.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if s.Dataset.PerClass != 0 {
		t.Errorf("per_class = %d, want 0", s.Dataset.PerClass)
	}
	data = []byte(strings.Replace(string(data), "epsilon_uv: 10", "epsilon_uv: 0", 1))
	if _, err := Parse("x.yaml", data); err == nil || !strings.Contains(err.Error(), "attacks[1].epsilon_uv: 0 is out of range") {
		t.Errorf("explicit epsilon_uv: 0: err = %v, want out of range", err)
	}
}

// TestBrokenSpecs checks that each spec under testdata/broken fails with
// the message its first line ("# want: …") gives.
func TestBrokenSpecs(t *testing.T) {
	files, err := filepath.Glob("testdata/broken/*.yaml")
	if err != nil || len(files) < 20 {
		t.Fatalf("broken specs: %d files, err %v", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data := mustRead(t, f)
			first, _, _ := strings.Cut(string(data), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("first line %q does not start with \"# want: \"", first)
			}
			_, err := Load(f)
			if err == nil {
				t.Fatalf("Load succeeded, want error %q", want)
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T %v is not an ErrorList", err, err)
			}
			if got := list[0].Error(); got != want {
				t.Errorf("first error:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestIdentityIgnoresLayoutAndDefaults(t *testing.T) {
	a := `apiVersion: ecgrobust/v1
kind: RobustnessSpec
metadata: {name: x, version: 1.0.0, description: d}
model: {plugin: reference}
dataset: {source: demo}
seed: 7
attacks: [{id: sap, type: sap}]
criteria: [{id: c, expr: sap_success_rate < 0.1}]
`
	b := `# the same spec, spelled out
kind: RobustnessSpec
apiVersion: ecgrobust/v1
seed: 7
metadata:
  version: 1.0.0
  name: x
  description: d
model:
  plugin: reference
  timeout: 1m
dataset:
  source: demo
  split: all
attacks:
  - type: sap
    id: sap
    epsilon_uv: 10.0
    steps: 40
criteria:
  - id: c
    expr: sap_success_rate < 0.1
    severity: error
`
	sa, err := Parse("a.yaml", []byte(a))
	if err != nil {
		t.Fatal(err)
	}
	sb, err := Parse("b.yaml", []byte(b))
	if err != nil {
		t.Fatal(err)
	}
	if sa.SHA256 != sb.SHA256 || len(sa.SHA256) != 64 {
		t.Errorf("identities differ: %s vs %s", sa.SHA256, sb.SHA256)
	}
	d := strings.Replace(b, "  timeout: 1m\n", "  timeout: 1m\n  instances: 4\n", 1)
	sd, err := Parse("d.yaml", []byte(d))
	if err != nil {
		t.Fatal(err)
	}
	if sd.SHA256 != sa.SHA256 || sd.Model.Instances != 4 {
		t.Errorf("model.instances changed the identity (%s vs %s) or was lost (%d)", sd.SHA256, sa.SHA256, sd.Model.Instances)
	}
	c := strings.Replace(b, "steps: 40", "steps: 41", 1)
	sc, err := Parse("c.yaml", []byte(c))
	if err != nil {
		t.Fatal(err)
	}
	if sc.SHA256 == sa.SHA256 {
		t.Errorf("changing steps kept the identity %s", sa.SHA256)
	}
}

func TestValidateBuiltSpec(t *testing.T) {
	s, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("Validate of a loaded spec: %v", err)
	}
	s.Attacks[0].Steps = 0
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "attacks[0].steps: 0 is out of range") {
		t.Errorf("Validate with steps 0: err = %v", err)
	}
}

func TestVariables(t *testing.T) {
	s, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	vs := s.Variables()
	for _, want := range []string{"clean_accuracy", "sap_success_rate", "sap_success_rate_ci_high",
		"sap_targeted_success_rate", "collate_gaussian_fraction", "noise_accuracy_em_m6", "noise_accuracy_min"} {
		if !slices.Contains(vs, want) {
			t.Errorf("Variables() lacks %q", want)
		}
	}
	if slices.Contains(vs, "noise_accuracy_em_24") {
		t.Errorf("Variables() has noise_accuracy_em_24, but the spec lists only 6, 0, -6 dB")
	}
	if !slices.IsSorted(vs) {
		t.Errorf("Variables() is not sorted")
	}
}

func TestVariableClash(t *testing.T) {
	data := string(mustRead(t, "testdata/valid.yaml"))
	data = strings.Replace(data, "id: pgd\n", "id: clean\n", 1)
	data = strings.Replace(data, "id: noise\n", "id: clean_accuracy\n", 1)
	// "clean" + "accuracy_min" is fine; no clash expected.
	if _, err := Parse("x.yaml", []byte(data)); err != nil {
		t.Fatalf("no clash expected: %v", err)
	}
	data = strings.Replace(data, "id: sap_targeted\n", "id: sap_success\n", 1)
	// "sap_success" + "rate"? no such metric: still fine. Force a real clash:
	data = strings.Replace(data, "id: collate\n    type: collate", "id: sap\n    type: collate", 1)
	_, err := Parse("x.yaml", []byte(data))
	if err == nil || !strings.Contains(err.Error(), `"sap" is already the id`) {
		t.Errorf("err = %v, want duplicate id", err)
	}
}

func TestCheckExprsPositions(t *testing.T) {
	s, err := Load("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = s.CheckExprs(func(expr string, vars []string) error {
		if !slices.Contains(vars, "sap_success_rate") {
			t.Errorf("check got variables without sap_success_rate")
		}
		return errors.New("unknown variable")
	})
	want := "testdata/valid.yaml:31:11: criteria[0].expr: unknown variable"
	if err == nil || err.Error() != want {
		t.Errorf("CheckExprs = %v, want %q", err, want)
	}
}

func TestParseRejectsHugeAndEmpty(t *testing.T) {
	if _, err := Parse("e.yaml", nil); err == nil || !strings.Contains(err.Error(), "spec is empty") {
		t.Errorf("empty: %v", err)
	}
	if _, err := Parse("h.yaml", make([]byte, MaxSize+1)); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("huge: %v", err)
	}
	if _, err := Parse("s.yaml", []byte("just a string")); err == nil || !strings.Contains(err.Error(), "must be a mapping") {
		t.Errorf("scalar: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("testdata/broken/*.yaml")
	for _, p := range append(files, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			if s != nil {
				t.Fatalf("Parse returned a spec and an error")
			}
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T is not a non-empty ErrorList: %v", err, err)
			}
			return
		}
		if len(s.SHA256) != 64 {
			t.Fatalf("valid spec without identity")
		}
		// A valid spec stays valid, with the same identity, after a
		// round trip through Validate's encoding.
		if err := s.Validate(); err != nil {
			t.Fatalf("valid spec fails Validate: %v", err)
		}
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSourceClasses(t *testing.T) {
	data := string(mustRead(t, "testdata/valid.yaml"))
	mit := strings.Replace(data, "source: demo", "source: mitdb", 1)
	mit = strings.Replace(mit, "    target: N\n", "    target: A\n", 1)
	s, err := Parse("m.yaml", []byte(mit))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Dataset.Classes, ","); got != "N,A,O" {
		t.Errorf("mitdb default classes = %s, want N,A,O", got)
	}
	bad := strings.Replace(mit, "  per_class: 2", "  per_class: 2\n  classes: [N, \"~\"]", 1)
	_, err = Parse("m.yaml", []byte(bad))
	if err == nil || !strings.Contains(err.Error(), `dataset.classes[1]: "~" is not a class of mitdb; use one of: N, A, O`) {
		t.Errorf("err = %v", err)
	}
}

func TestAliasBombIsRejected(t *testing.T) {
	// 5,000 references to an attack whose kernel list has 2,000 entries:
	// 10 million nodes once aliases are expanded, from a 40 kB file.
	var b strings.Builder
	b.WriteString("k: &k [" + strings.Repeat("5, ", 1999) + "5]\n")
	b.WriteString("m: &m {id: a, type: sap, kernel_sizes: *k}\n")
	b.WriteString("attacks: [" + strings.Repeat("*m, ", 4999) + "*m]\n")
	done := make(chan error, 1)
	go func() { _, err := Parse("bomb.yaml", []byte(b.String())); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "aliases nested too far") {
			t.Fatalf("err = %.300v, want the node budget error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Parse of an alias bomb did not return within 10 s")
	}
}

func TestSearchDefaults(t *testing.T) {
	s, err := Parse("x.yaml", []byte(`apiVersion: ecgrobust/v1
kind: RobustnessSpec
metadata: {name: x, version: 1.0.0, description: d}
model: {plugin: reference}
dataset: {source: demo}
seed: 1
attacks:
  - {id: sap, type: sap, gradient: search}
  - {id: pgd, type: pgd, gradient: search, query_budget: 800, loss: logit_margin, early_stop: true}
criteria:
  - {id: c, expr: sap_success_rate < 0.1}
`))
	if err != nil {
		t.Fatal(err)
	}
	sap, pgd := s.Attacks[0], s.Attacks[1]
	if sap.Loss != LossCrossEntropy || sap.QueryBudget != 5000 || sap.EpsilonUV != 10 || len(sap.KernelSizes) != 5 {
		t.Errorf("sap search: loss %q, budget %d, ε %v, kernels %v; want cross_entropy, 5000, 10, Han 2020's", sap.Loss, sap.QueryBudget, sap.EpsilonUV, sap.KernelSizes)
	}
	// Settings a search does not use are not filled in, so the resolved
	// spec does not claim steps that never ran.
	if sap.Steps != 0 || sap.StepUV != 0 || sap.PGDSteps != 0 || sap.FDDirections != 0 || sap.FDSigmaUV != 0 {
		t.Errorf("sap search got steps %d, step %v, pgd_steps %d, fd %d/%v; want all 0", sap.Steps, sap.StepUV, sap.PGDSteps, sap.FDDirections, sap.FDSigmaUV)
	}
	if pgd.Loss != LossLogitMargin || pgd.QueryBudget != 800 {
		t.Errorf("pgd search: loss %q, budget %d; want the spec's logit_margin, 800", pgd.Loss, pgd.QueryBudget)
	}
}

// TestStudySpecsParse keeps the specs that BENCHMARKS.md and the
// reproduction cite as commands (harness/attack/testdata, docs/reproduction)
// valid as the schema moves.
func TestStudySpecsParse(t *testing.T) {
	files, _ := filepath.Glob("../attack/testdata/*.yaml")
	more, _ := filepath.Glob("../../docs/reproduction/*.yaml")
	files = append(files, more...)
	if len(files) < 5 {
		t.Fatalf("found %d study specs (%v); the glob is wrong", len(files), files)
	}
	for _, p := range files {
		if _, err := Load(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
