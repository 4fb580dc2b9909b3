package command

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
)

// runCLI executes args against a fresh tree and returns the exit code,
// stdout and stderr.
func runCLI(t *testing.T, f *Factory, args ...string) (ExitCode, string, string) {
	t.Helper()
	var out, errb strings.Builder
	f.Stdout, f.Stderr, f.Stdin = &out, &errb, strings.NewReader("")
	root := NewRootCmd(f)
	root.SetArgs(args)
	code := execute(context.Background(), root, f.Stderr)
	return code, out.String(), errb.String()
}

func TestRunFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode ExitCode
		check    func(t *testing.T, o *RunOptions)
		wantErr  string
	}{
		{name: "defaults", args: []string{"run", "ci-gate-quick"}, check: func(t *testing.T, o *RunOptions) {
			if o.Spec != "ci-gate-quick" || o.Global.Out != "out" || o.Global.SeedSet || o.Global.Workers != 0 || o.Model != "" {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "all flags", args: []string{"run", "x.yaml", "--out", "d", "--seed", "7", "--workers", "2", "--quiet", "--json",
			"--model", "bin/p", "--model-sha256", strings.Repeat("a", 64), "--data", "/data"}, check: func(t *testing.T, o *RunOptions) {
			g := o.Global
			if g.Out != "d" || !g.SeedSet || g.Seed != 7 || g.Workers != 2 || !g.Quiet || !g.JSON || g.Data != "/data" || o.Model != "bin/p" {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "sha without model", args: []string{"run", "x.yaml", "--model-sha256", "ab"}, wantCode: ExitUsage, wantErr: "--model-sha256 needs --model"},
		{name: "no spec", args: []string{"run"}, wantCode: ExitUsage, wantErr: "accepts 1 arg"},
		{name: "negative workers", args: []string{"run", "x.yaml", "--workers", "-1"}, wantCode: ExitUsage, wantErr: "--workers -1"},
		{name: "bad seed", args: []string{"run", "x.yaml", "--seed", "1.5"}, wantCode: ExitUsage, wantErr: "invalid argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got *RunOptions
			f := &Factory{}
			var out, errb strings.Builder
			f.Stdout, f.Stderr = &out, &errb
			root := NewRootCmd(f)
			for _, c := range root.Commands() {
				if c.Name() == "run" {
					root.RemoveCommand(c)
				}
			}
			root.AddCommand(newCmdRun(f, func(_ context.Context, o *RunOptions) error { got = o; return nil }))
			root.SetArgs(tt.args)
			code := execute(context.Background(), root, f.Stderr)
			if code != tt.wantCode {
				t.Fatalf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, errb.String())
			}
			if tt.wantErr != "" && !strings.Contains(errb.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want %q", errb.String(), tt.wantErr)
			}
			if tt.check != nil {
				if got == nil {
					t.Fatal("run function not called")
				}
				tt.check(t, got)
			}
		})
	}
}

func TestValidateCommand(t *testing.T) {
	code, out, errOut := runCLI(t, &Factory{}, "validate", "ci-gate-quick", "../../../../specs/audit-full.yaml")
	if code != ExitPass || strings.Count(out, ": valid (") != 2 {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, &Factory{}, "validate", t.TempDir())
	if code != ExitUsage || !strings.Contains(errOut, "read spec") {
		t.Errorf("directory as spec: code %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, &Factory{}, "validate", "../../../../harness/spec/testdata/broken/float-into-int.yaml")
	if code != ExitUsage || !strings.Contains(errOut, "float-into-int.yaml:16:12: attacks[0].steps: must be an integer, got the number 20.5") {
		t.Errorf("broken spec: code %d, stderr %q", code, errOut)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad-expr.yaml")
	data, err := os.ReadFile("../../../../harness/spec/testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(strings.Replace(string(data), "sap_success_rate <= 0.05", "sap_succes_rate <= 0.05", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, &Factory{}, "validate", "--json", bad)
	var res []validateResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("json: %v (%q)", err, out)
	}
	if code != ExitUsage || len(res) != 1 || res[0].Valid || len(res[0].Errors) != 1 {
		t.Fatalf("code %d, results %+v", code, res)
	}
	e := res[0].Errors[0]
	if e.Line != 31 || e.Field != "criteria[0].expr" || !strings.Contains(e.Message, `unknown variable "sap_succes_rate" (did you mean "sap_success_rate"?)`) {
		t.Errorf("error = %+v", e)
	}
}

func TestSpecsCommand(t *testing.T) {
	code, out, _ := runCLI(t, &Factory{}, "specs", "list")
	for _, name := range []string{"ci-gate-quick", "han2020-reproduction", "audit-full", "noise-stress-ec57"} {
		if !strings.Contains(out, name) {
			t.Errorf("specs list lacks %s:\n%s", name, out)
		}
	}
	if code != ExitPass {
		t.Errorf("code %d", code)
	}
	code, out, _ = runCLI(t, &Factory{}, "specs", "show", "ci-gate-quick")
	if code != ExitPass || !strings.Contains(out, "name: ci-gate-quick") {
		t.Errorf("show: code %d, out %q", code, out)
	}
	code, _, errOut := runCLI(t, &Factory{}, "specs", "show", "nope")
	if code != ExitUsage || !strings.Contains(errOut, "bundled: audit-full") {
		t.Errorf("show nope: code %d, stderr %q", code, errOut)
	}
}

func writeResult(t *testing.T, dir string, r *engine.Result) string {
	t.Helper()
	r.SchemaVersion = engine.SchemaVersion
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCompareCommand(t *testing.T) {
	tmp := t.TempDir()
	base := writeResult(t, filepath.Join(tmp, "a"), &engine.Result{Verdict: verdict.Pass,
		Metrics:  map[string]float64{"clean_accuracy": 0.9, "sap_success_rate": 0.02, "sap_linf_uv_mean": 10},
		Criteria: []verdict.CriterionResult{{ID: "sap", Outcome: verdict.Pass}, {ID: "clean", Outcome: verdict.Pass}}})
	same := writeResult(t, filepath.Join(tmp, "b"), &engine.Result{Verdict: verdict.Pass,
		Metrics:  map[string]float64{"clean_accuracy": 0.89, "sap_success_rate": 0.03, "sap_linf_uv_mean": 10},
		Criteria: []verdict.CriterionResult{{ID: "sap", Outcome: verdict.Pass}, {ID: "clean", Outcome: verdict.Pass}}})
	worse := writeResult(t, filepath.Join(tmp, "c"), &engine.Result{Verdict: verdict.Fail,
		Metrics:  map[string]float64{"clean_accuracy": 0.9, "sap_success_rate": 0.4, "sap_linf_uv_mean": 10},
		Criteria: []verdict.CriterionResult{{ID: "sap", Outcome: verdict.Fail}, {ID: "clean", Outcome: verdict.Pass}}})
	tests := []struct {
		name     string
		args     []string
		wantCode ExitCode
		want     string
	}{
		{"no regression", []string{"compare", base, same}, ExitPass, "no regression"},
		{"metric direction", []string{"compare", base, same}, ExitPass, "sap_success_rate  0.02  0.03  worse"},
		{"strict", []string{"compare", "--strict", base, same}, ExitFail, "metric sap_success_rate 0.02 → 0.03"},
		{"strict within tolerance", []string{"compare", "--strict", "--tolerance", "0.02", base, same}, ExitPass, "no regression"},
		{"regression", []string{"compare", base, worse}, ExitFail, "criterion sap PASS → FAIL"},
		{"improvement", []string{"compare", worse, base}, ExitPass, "verdict  FAIL"},
		{"missing", []string{"compare", base, filepath.Join(tmp, "nope")}, ExitRuntime, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, &Factory{}, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.want) {
				t.Errorf("code %d (want %d), stdout:\n%s\nstderr: %s\nwant substring %q", code, tt.wantCode, out, errOut, tt.want)
			}
		})
	}
}

// fakeClassifier is never called: the fake engine below does not use it.
type fakeClassifier struct{ model.Classifier }

func (fakeClassifier) Info() model.Info {
	return model.Info{Name: "fake", Classes: []string{"N", "A", "O", "~"}, SampleRate: 300, Gain: 1000,
		MinLength: 18000, MaxLength: 18000}
}

func TestRunPipeline(t *testing.T) {
	closed := 0
	f := &Factory{OpenClassifier: func(_ context.Context, req ClassifierRequest) (*OpenedModel, error) {
		if req.Model.Plugin != "ecgrobust-reference-plugin" || req.Instances != 1 {
			t.Errorf("model plugin = %q, instances %d", req.Model.Plugin, req.Instances)
		}
		return &OpenedModel{Pool: []model.Classifier{fakeClassifier{}}, Kind: "plugin", Close: func() error { closed++; return nil }}, nil
	}}
	metrics := map[string]float64{"clean_accuracy": 0.8, "sap_success_rate": 0.5, "pgd_success_rate": 0.9,
		"sap_errored_fraction": 0, "pgd_errored_fraction": 0, "errored_fraction": 0}
	defer func(old func(context.Context, runInput) (*engine.Result, error)) { runEngine = old }(runEngine)
	defer func(old func(string, *spec.Spec, *engine.Result, []string) ([]string, error)) { writeReports = old }(writeReports)
	writeReports = writeResultsJSON // the report bundle has its own tests
	runEngine = func(_ context.Context, in runInput) (*engine.Result, error) {
		s, set := in.Spec, in.Data
		if set.Len() != 20 {
			t.Errorf("records = %d, want 20 (5 per class)", set.Len())
		}
		in.Progress(set.Len(), set.Len())
		return &engine.Result{SchemaVersion: engine.SchemaVersion, Run: engine.RunInfo{Spec: engine.SpecRef{Name: s.Metadata.Name, SHA256: s.SHA256}},
			Metrics: metrics}, nil
	}
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, f, "run", "ci-gate-quick", "--out", out, "--quiet")
	if code != ExitFail {
		t.Fatalf("exit code %d, want %d (FAIL); stdout %q stderr %q", code, ExitFail, stdout, stderr)
	}
	if closed != 1 {
		t.Errorf("classifier closed %d times, want 1", closed)
	}
	for _, want := range []string{"verdict: FAIL", "FAIL  sap-success", "sap_success_rate = 0.5", "results.json"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	r, err := readResult(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict != verdict.Fail || len(r.Criteria) != 3 {
		t.Errorf("results.json verdict %s with %d criteria", r.Verdict, len(r.Criteria))
	}

	// Too many errored records: INCONCLUSIVE.
	metrics["sap_errored_fraction"] = 0.1
	metrics["sap_success_rate"] = 0.1
	code, stdout, _ = runCLI(t, f, "run", "ci-gate-quick", "--out", out, "--quiet")
	if code != ExitInconclusive || !strings.Contains(stdout, "unreliable") {
		t.Errorf("errored run: exit %d, stdout %s", code, stdout)
	}
	// All good: PASS.
	metrics["sap_errored_fraction"] = 0
	code, stdout, _ = runCLI(t, f, "run", "ci-gate-quick", "--out", out, "--quiet", "--json")
	var sum runSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil || code != ExitPass || sum.Verdict != "PASS" {
		t.Errorf("pass run: exit %d, summary %+v, err %v", code, sum, err)
	}
}

func TestRunReportsBadInputs(t *testing.T) {
	f := &Factory{OpenClassifier: openClassifier}
	code, _, stderr := runCLI(t, f, "run", "ci-gate-quick", "--out", t.TempDir(), "--quiet", "--model", "/nonexistent/plugin")
	if code != ExitRuntime || !strings.Contains(stderr, "open model") {
		t.Errorf("missing plugin: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, f, "run", "ci-gate-quick", "--quiet", "--out", "/proc/no-such-dir/x")
	if code != ExitRuntime || !strings.Contains(stderr, "output directory") {
		t.Errorf("unwritable out: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCLI(t, f, "run", "ci-gate-quick", "--quiet", "--model", "reference", "--model-sha256", strings.Repeat("0", 64))
	if code != ExitUsage || !strings.Contains(stderr, "model.sha256: pins a plugin binary") {
		t.Errorf("sha256 with reference: exit %d, stderr %q", code, stderr)
	}
}

// tinySpec is a fast spec on 4 demo records for end-to-end runs.
const tinySpec = `apiVersion: ecgrobust/v1
kind: RobustnessSpec
metadata: {name: tiny, version: 0.1.0, description: Four demo records and short attacks for end-to-end tests.}
model: {plugin: %s}
dataset: {source: demo, per_class: 1}
seed: 11
attacks:
  - {id: pgd, type: pgd, steps: 3}
  - {id: sap, type: sap, pgd_steps: 2, steps: 3}
criteria:
  - {id: clean, expr: clean_accuracy >= 0.25}
  - {id: sap, expr: sap_success_rate <= 0.5}
`

func runTiny(t *testing.T, plugin string, extra ...string) (ExitCode, *engine.Result, []byte) {
	t.Helper()
	dir := t.TempDir()
	specFile := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(specFile, []byte(strings.Replace(tinySpec, "%s", plugin, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	args := append([]string{"run", specFile, "--out", out, "--quiet"}, extra...)
	code, stdout, stderr := runCLI(t, &Factory{OpenClassifier: openClassifier}, args...)
	if code > ExitInconclusive {
		t.Fatalf("exit %d; stdout %s; stderr %s", code, stdout, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := readResult(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := ExitCode(r.Verdict.ExitCode()); code != want {
		t.Errorf("exit code %d, verdict %s wants %d", code, r.Verdict, want)
	}
	if !strings.Contains(stdout, "verdict: "+string(r.Verdict)) {
		t.Errorf("stdout lacks the verdict:\n%s", stdout)
	}
	return code, r, raw
}

func TestRunReferenceEndToEnd(t *testing.T) {
	_, r, raw := runTiny(t, "reference")
	if r.Run.Dataset.Records != 4 || len(r.Records) != 8 || r.Run.Model.Kind != "reference" {
		t.Errorf("records %d, rows %d, model kind %q", r.Run.Dataset.Records, len(r.Records), r.Run.Model.Kind)
	}
	if _, ok := r.Metrics["sap_success_rate"]; !ok {
		t.Errorf("metrics lack sap_success_rate: %v", r.Metrics)
	}
	_, _, again := runTiny(t, "reference", "--workers", "2")
	if !bytes.Equal(raw, again) {
		t.Errorf("runs with 1 and 2 workers gave different results.json")
	}
	_, reseeded, _ := runTiny(t, "reference", "--seed", "12")
	if reseeded.Run.Seed != 12 || reseeded.Run.Spec.SHA256 == r.Run.Spec.SHA256 {
		t.Errorf("--seed 12: run seed %d, spec sha256 %s (unchanged: %v)", reseeded.Run.Seed, reseeded.Run.Spec.SHA256,
			reseeded.Run.Spec.SHA256 == r.Run.Spec.SHA256)
	}
}

func TestRunPluginEndToEnd(t *testing.T) {
	plugin := referencePlugin(t)
	_, viaPlugin, _ := runTiny(t, plugin)
	_, inProcess, _ := runTiny(t, "reference")
	if viaPlugin.Run.Model.Kind != "plugin" || len(viaPlugin.Run.Model.SHA256) != 64 {
		t.Errorf("model ref %+v", viaPlugin.Run.Model)
	}
	if !reflect.DeepEqual(viaPlugin.Metrics, inProcess.Metrics) {
		t.Errorf("plugin and in-process metrics differ:\nplugin     %v\nin process %v", viaPlugin.Metrics, inProcess.Metrics)
	}
}

func TestRunNoiseStressEndToEnd(t *testing.T) {
	data, err := filepath.Abs("../../../../../shared/data")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(data, "nstdb", "bw.hea")); err != nil {
		t.Skipf("no NSTDB records under %s (the shared data); CI has them", data)
	}
	dir := t.TempDir()
	specFile := filepath.Join(dir, "noise.yaml")
	const noiseSpec = `apiVersion: ecgrobust/v1
kind: RobustnessSpec
metadata: {name: noise-tiny, version: 0.1.0, description: Noise stress on four demo records.}
model: {plugin: reference}
dataset: {source: demo, per_class: 1}
seed: 3
attacks:
  - {id: noise, type: noise-stress, noise: [em, ma], snr_db: [12, -6]}
criteria:
  - {id: mild, expr: "min(noise_accuracy_em_12, noise_accuracy_ma_12) >= 0"}
`
	if err := os.WriteFile(specFile, []byte(noiseSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI(t, &Factory{OpenClassifier: openClassifier}, "run", specFile, "--out", out, "--quiet", "--data", data)
	if code != ExitPass {
		t.Fatalf("exit %d; stdout %s; stderr %s", code, stdout, stderr)
	}
	r, err := readResult(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"noise_accuracy_em_12", "noise_accuracy_ma_m6", "noise_accuracy_min"} {
		if _, ok := r.Metrics[m]; !ok {
			t.Errorf("metrics lack %s", m)
		}
	}
	// Without the noise records the run stops before any work.
	code, _, stderr = runCLI(t, &Factory{OpenClassifier: openClassifier}, "run", specFile, "--out", out, "--quiet", "--data", dir)
	if code != ExitRuntime || !strings.Contains(stderr, "load NSTDB noise") {
		t.Errorf("no data: exit %d, stderr %q", code, stderr)
	}
}

func TestCompleteBundledSpecs(t *testing.T) {
	_, out, _ := runCLI(t, &Factory{}, "__complete", "specs", "show", "")
	for _, name := range []string{"audit-full", "ci-gate-quick"} {
		if !strings.Contains(out, name+"\n") {
			t.Errorf("completion lacks %s:\n%s", name, out)
		}
	}
}

func TestValidateVariables(t *testing.T) {
	code, out, _ := runCLI(t, &Factory{}, "validate", "--variables", "ci-gate-quick")
	for _, want := range []string{"\n  clean_accuracy\n", "\n  sap_success_rate_ci_high\n", "\n  pgd_linf_uv_max\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code != ExitPass {
		t.Errorf("code %d", code)
	}
}

func TestSilentExitErrorPrints(t *testing.T) {
	if got := (&exitError{code: ExitFail}).Error(); got != "exit status 1" {
		t.Errorf("Error() = %q", got)
	}
}

// writeResultsJSON stands in for writeReports where only results.json and
// timings.json matter: it writes those two into dir.
func writeResultsJSON(dir string, _ *spec.Spec, res *engine.Result, _ []string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var paths []string
	write := func(name string, v any) error {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Errorf("encode %s: %w", name, err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, append(b, '\n'), 0o644); err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	}
	if err := write("results.json", res); err != nil {
		return nil, err
	}
	if res.Timings != nil {
		if err := write("timings.json", res.Timings); err != nil {
			return nil, err
		}
	}
	return paths, nil
}
