package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
	"github.com/ecgrobust/ecgrobust/reports/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixedOptions gives stable bytes: a fixed clock, version, build and
// working directory.
func fixedOptions() Options {
	return Options{
		Now:         func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) },
		Version:     "0.1.0-test",
		Command:     []string{"ecgrobust", "run", "testdata/spec.yaml", "--out", "out"},
		WorkDir:     ".",
		Attachments: []Attachment{{Name: "spec.yaml", Role: RoleSpec, Data: []byte("metadata: {name: audit-full, version: 1.0.0}\n")}},
		Inputs: []Input{
			{Role: RoleSpec, Path: "testdata/spec.yaml"},
			{Role: RolePlugin, Path: "testdata/plugin.bin"},
			{Role: RoleData, Path: "testdata/REFERENCE.csv"},
		},
		BuildInfo: func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{
				GoVersion: "go1.26.0",
				Main:      debug.Module{Path: "github.com/ecgrobust/ecgrobust", Version: "(devel)"},
				Deps: []*debug.Module{
					{Path: "github.com/spf13/cobra", Version: "v1.10.2", Sum: "h1:abc="},
					{Path: "github.com/wcharczuk/go-chart/v2", Version: "v2.1.2", Sum: "h1:def="},
				},
				Settings: []debug.BuildSetting{
					{Key: "vcs", Value: "git"},
					{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
					{Key: "vcs.time", Value: "2026-11-25T11:00:00Z"},
					{Key: "vcs.modified", Value: "true"},
				},
			}, true
		},
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `make golden` to create it)", err)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		lo := max(0, i-80)
		t.Errorf("%s differs from the golden file at byte %d (run `make golden` if the change is intended)\n got: …%q…\nwant: …%q…",
			name, i, got[lo:min(len(got), i+80)], want[lo:min(len(want), i+80)])
	}
}

func TestWriteAllGolden(t *testing.T) {
	dir := t.TempDir()
	r := reporttest.Result()
	m, err := WriteAll(dir, r, fixedOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ResultsFile, TimingsFile, HTMLFile, JUnitFile, MarkdownFile, ManifestFile} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		golden(t, name+".golden", b)
	}
	if got, want := len(m.Files), 3+1+5; got != want {
		t.Errorf("manifest lists %d files, want %d (3 inputs, 1 attachment, 5 outputs)", got, want)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left in the output directory", e.Name())
		}
	}
}

func TestResultsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := Write(&a, reporttest.Result(), JSON); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, reporttest.Result(), JSON); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two renderings of the same result differ")
	}
	if bytes.Contains(a.Bytes(), []byte("total_seconds")) {
		t.Error("results.json holds wall-clock timings")
	}
	// Round trip: decoding and re-encoding gives the same bytes.
	r, err := DecodeResults(a.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var c bytes.Buffer
	if err := Write(&c, r, JSON); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("decode + encode changed results.json")
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, reporttest.Result(), Format("pdf"))
	if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), `"pdf"`) {
		t.Errorf("err = %v, want ErrUnknownFormat naming pdf", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes for an unknown format", buf.Len())
	}
	if _, err := ParseFormat("junit"); err != nil {
		t.Errorf("ParseFormat(junit): %v", err)
	}
}

func TestWriteRejectsNaN(t *testing.T) {
	r := reporttest.Result()
	r.Attacks[2].Metrics["success_rate"] = math.NaN()
	err := Write(&bytes.Buffer{}, r, JSON)
	if err == nil || !strings.Contains(err.Error(), `results.attacks[2].metrics["success_rate"] is NaN`) {
		t.Errorf("err = %v, want the path of the NaN", err)
	}
	r = reporttest.Result()
	r.Examples[1].Adversarial[5] = math.Inf(-1)
	err = Write(&bytes.Buffer{}, r, JSON)
	if err == nil || !strings.Contains(err.Error(), `results.examples[1].adversarial_adu[5] is -Inf`) {
		t.Errorf("err = %v, want the path of the -Inf", err)
	}
	inf := math.Inf(1)
	r = reporttest.Result()
	r.Records[7].SNRdB = &inf
	err = Write(&bytes.Buffer{}, r, JSON)
	if err == nil || !strings.Contains(err.Error(), `results.records[7].snr_db is +Inf`) {
		t.Errorf("err = %v, want the path of the +Inf", err)
	}
}

func TestDecodeResultsErrors(t *testing.T) {
	var good bytes.Buffer
	if err := Write(&good, reporttest.Result(), JSON); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, want string
	}{
		{"syntax", "{\n  \"schema_version\": \"ecgrobust.results/v1\",\n  \"run\": {,\n}", "line 3, column 11"},
		{"type", "{\n  \"schema_version\": \"ecgrobust.results/v1\",\n  \"records\": 7\n}", "line 3"},
		{"unknown field", "{\"schema_version\": \"ecgrobust.results/v1\", \"extra\": 1}", `unknown field "extra"`},
		{"schema", `{"schema_version": "ecgrobust.results/v9"}`, `schema_version "ecgrobust.results/v9"`},
		{"trailing", good.String() + "{}", "unexpected data"},
		{"empty", "", "decode results"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeResults([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func FuzzDecodeResults(f *testing.F) {
	var good bytes.Buffer
	if err := Write(&good, reporttest.Result(), JSON); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add([]byte(`{"schema_version":"ecgrobust.results/v1","metrics":{"a":1e309}}`))
	f.Add([]byte(`{"schema_version":"ecgrobust.results/v1","records":[{"snr_db":null}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeResults(b)
		if err != nil {
			return
		}
		// Whatever decodes must render in every format without panicking.
		for _, fm := range Formats {
			_ = Write(&bytes.Buffer{}, r, fm)
		}
	})
}

func TestThresholds(t *testing.T) {
	tests := []struct {
		expr string
		want map[string]string
	}{
		{"sap_success_rate <= 0.05", map[string]string{"sap_success_rate": "≤ 0.05"}},
		{"clean_accuracy >= 0.85 && pgd_success_rate_ci_high < 0.1", map[string]string{"clean_accuracy": "≥ 0.85", "pgd_success_rate_ci_high": "< 0.1"}},
		{"0.2 > [noise.accuracy_min]", map[string]string{"noise.accuracy_min": "< 0.2"}},
		{"a >= 0.1 && a <= 0.9", map[string]string{"a": "≥ 0.1 and ≤ 0.9"}},
		{"a < b", map[string]string{}},
		{"10 * a_succeeded >= 9 * b_succeeded", map[string]string{}},
		{"a >= 0.9 * b", map[string]string{}},
		{"a + b <= 0.1 && c > 2", map[string]string{"c": "> 2"}},
		{"2 * a < 1 || a-1 > 0 || 0.5 < b", map[string]string{"b": "> 0.5"}},
	}
	for _, tt := range tests {
		got := thresholds(tt.expr)
		if len(got) != len(tt.want) {
			t.Errorf("thresholds(%q) = %v, want %v", tt.expr, got, tt.want)
			continue
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("thresholds(%q)[%q] = %q, want %q", tt.expr, k, got[k], v)
			}
		}
	}
}

func TestJUnitFailureMessage(t *testing.T) {
	var buf bytes.Buffer
	if err := (fixedOptions()).Write(&buf, reporttest.Result(), JUnit); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{
		`tests="5" failures="1" errors="1" skipped="1"`,
		`<skipped message="WARN: measured pgd_10uv_high_freq_fraction_mean = 0.41, threshold ≤ 0.1; expression: pgd_10uv_high_freq_fraction_mean &lt;= 0.1 (does not hold with pgd_10uv_high_freq_fraction_mean = 0.41) [severity warning: not counted in the verdict]"`,
		`<failure message="FAIL: measured sap_10uv_success_rate_ci_high = 0.8824, threshold ≤ 0.05; expression: sap_10uv_success_rate_ci_high &lt;= 0.05`,
		`<error message="INCONCLUSIVE: measured sap_blackbox_success_rate = not measured, threshold ≤ 0.1`,
		`<testcase name="clean-accuracy" classname="ecgrobust.audit-full" time="0">`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("junit.xml lacks %s", want)
		}
	}
}

func TestHTMLSelfContained(t *testing.T) {
	var buf bytes.Buffer
	if err := (fixedOptions()).Write(&buf, reporttest.Result(), HTML); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	// The only URLs allowed are XML namespace names, which are not fetched.
	clean := strings.NewReplacer(`xmlns="http://www.w3.org/2000/svg"`, "", `xmlns:xlink="http://www.w3.org/1999/xlink"`, "").Replace(s)
	for _, bad := range []string{"http://", "https://", "<script", "<link", "src="} {
		if strings.Contains(clean, bad) {
			t.Errorf("report.html contains %q: it must be self-contained", bad)
		}
	}
	for _, id := range wantCharts {
		if !strings.Contains(s, `data-chart="`+id+`"`) {
			t.Errorf("report.html lacks chart %s", id)
		}
	}
	if strings.Contains(s, "chart-error\">") {
		t.Error("a chart failed to draw")
	}
	// go-chart draws an unused axis at y ≈ −9.2e18 unless it is hidden.
	if strings.Contains(s, "922337") {
		t.Error("report.html has elements at overflowed coordinates")
	}
	for _, want := range []string{"Time (s)", "Amplitude (mV)", "Perturbation (µV)", "SNR (dB)", "Queries per record", data(t, "Spec SHA-256")} {
		if !strings.Contains(s, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}

func data(t *testing.T, s string) string { t.Helper(); return s }

// wantCharts are the charts the fixture must produce.
var wantCharts = []string{
	"success-vs-epsilon",
	"curve-sap-blackbox-success-vs-queries",
	"overlay-a00001-pgd-10uv",
	"overlay-a00001-sap-10uv",
	"per-class-success",
	"per-class-accuracy",
	"curve-noise-ec57-accuracy-vs-snr-em",
}

func TestChartErrorIsShownNotFatal(t *testing.T) {
	r := reporttest.Result()
	r.Examples[0].Adversarial = r.Examples[0].Adversarial[:10]
	var buf bytes.Buffer
	if err := Write(&buf, r, HTML); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Chart not drawn: example has rate 300 Hz, gain 1000 adu/mV, 1200 clean and 10 adversarial samples") {
		t.Error("a broken example does not show its error on the page")
	}
}

func TestVerify(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteAll(dir, reporttest.Result(), fixedOptions()); err != nil {
		t.Fatal(err)
	}
	_, checks, err := Verify(dir)
	if err != nil {
		t.Fatalf("fresh bundle: %v", err)
	}
	if len(checks) != 9 {
		t.Errorf("%d checks, want 9", len(checks))
	}
	// Change one output and remove another.
	p := filepath.Join(dir, ResultsFile)
	b, _ := os.ReadFile(p)
	b = bytes.Replace(b, []byte(`"verdict": "FAIL"`), []byte(`"verdict": "PASS"`), 1)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, MarkdownFile)); err != nil {
		t.Fatal(err)
	}
	_, checks, err = Verify(dir)
	if !errors.Is(err, ErrChanged) {
		t.Fatalf("err = %v, want ErrChanged", err)
	}
	for _, want := range []string{"output results.json changed", "output summary.md missing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to name %q", err, want)
		}
	}
	bad := 0
	for _, c := range checks {
		if c.Status != StatusOK {
			bad++
		}
	}
	if bad != 2 {
		t.Errorf("%d files flagged, want 2", bad)
	}
}

func TestVerifyInputChanged(t *testing.T) {
	dir := t.TempDir()
	work := t.TempDir()
	spec := filepath.Join(work, "spec.yaml")
	if err := os.WriteFile(spec, []byte("a: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := fixedOptions()
	o.WorkDir = work
	o.Inputs = []Input{{Role: RoleSpec, Path: "spec.yaml"}}
	if _, err := WriteAll(dir, reporttest.Result(), o); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Verify(dir); err != nil {
		t.Fatalf("fresh bundle: %v", err)
	}
	if err := os.WriteFile(spec, []byte("a: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := Verify(dir)
	if err == nil || !strings.Contains(err.Error(), "spec spec.yaml changed") {
		t.Errorf("err = %v, want it to name the changed spec", err)
	}
}

func TestWriteAllMissingInput(t *testing.T) {
	o := fixedOptions()
	o.Inputs = []Input{{Role: RolePlugin, Path: "testdata/no-such-plugin"}}
	_, err := WriteAll(t.TempDir(), reporttest.Result(), o)
	if err == nil || !strings.Contains(err.Error(), "plugin") || !strings.Contains(err.Error(), "no-such-plugin") {
		t.Errorf("err = %v, want it to name the missing plugin file", err)
	}
}

func TestTimingsOptional(t *testing.T) {
	r := reporttest.Result()
	r.Timings = nil
	dir := t.TempDir()
	m, err := WriteAll(dir, r, fixedOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, TimingsFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("timings.json written without timings (stat err %v)", err)
	}
	for _, f := range m.Files {
		if f.Path == TimingsFile {
			t.Error("manifest lists timings.json")
		}
	}
}

func renderHTML(t *testing.T, r *engine.Result) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, r, HTML); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// figureHTML returns the markup of the figure with the given data-chart id.
func figureHTML(t *testing.T, page, id string) string {
	t.Helper()
	_, rest, ok := strings.Cut(page, `data-chart="`+id+`"`)
	if !ok {
		t.Fatalf("no figure %s", id)
	}
	fig, _, _ := strings.Cut(rest, "</figure>")
	return fig
}

func TestOverlayTimeAxisFromRecordingStart(t *testing.T) {
	r := reporttest.Result()
	// The trace starts at the first recorded sample of a padded input.
	r.Examples[0].Start, r.Examples[0].ValidStart = 4500, 4500
	page := renderHTML(t, r)
	fig := figureHTML(t, page, "overlay-a00001-pgd-10uv")
	if !strings.Contains(fig, ">0.0</text>") || strings.Contains(fig, ">15.0</text>") {
		t.Error("time axis does not start at 0 s after the recording began")
	}
	if !strings.Contains(page, "1200 samples at 300 Hz, 0 s after the recording began") {
		t.Error("overlay details do not give the offset in the recording")
	}
	// Without ValidStart the fixture's window is 2 s into the recording.
	fig = figureHTML(t, renderHTML(t, reporttest.Result()), "overlay-a00001-pgd-10uv")
	if !strings.Contains(fig, ">2.0</text>") || !strings.Contains(fig, ">5.5</text>") {
		t.Error("time axis of the 2–6 s window lacks its ticks")
	}
}

func TestQueryChartsOnlyForBlackBox(t *testing.T) {
	r := reporttest.Result()
	// A white-box attack with a queries curve gets no chart.
	r.Attacks[3].Curves = []engine.Curve{{Name: "success_vs_queries", XLabel: "queries per record", YLabel: "success rate", X: []float64{20, 60}, Y: []float64{0.2, 0.6}}}
	page := renderHTML(t, r)
	if strings.Contains(page, `data-chart="curve-sap-10uv-success-vs-queries"`) {
		t.Error("a white-box attack got a success-vs-queries chart")
	}
	if !strings.Contains(page, `data-chart="curve-sap-blackbox-success-vs-queries"`) {
		t.Error("the black-box attack lost its chart")
	}
}

func TestRecordsTable(t *testing.T) {
	r := reporttest.Result()
	r.Records[1].Error = "plugin: predict: deadline exceeded"
	page := renderHTML(t, r)
	if !strings.Contains(page, "plugin: predict: deadline exceeded") {
		t.Error("an errored record is not listed")
	}
	n := 0
	for _, rr := range r.Records {
		if rr.Success || rr.Error != "" {
			n++
		}
	}
	if !strings.Contains(page, fmt.Sprintf("<summary>%d (record, attack) pairs", n)) {
		t.Errorf("records summary does not count %d rows", n)
	}
}

func TestAttachments(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteAll(dir, reporttest.Result(), fixedOptions()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "spec.yaml"), []byte("metadata: {name: other}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := Verify(dir)
	if err == nil || !strings.Contains(err.Error(), "spec spec.yaml changed") {
		t.Errorf("tampered spec copy: err = %v", err)
	}
	for _, name := range []string{"", "../spec.yaml", "sub/spec.yaml", "results.json", "manifest.json"} {
		o := fixedOptions()
		o.Attachments = []Attachment{{Name: name, Role: RoleSpec, Data: []byte("x")}}
		if _, err := WriteAll(t.TempDir(), reporttest.Result(), o); err == nil {
			t.Errorf("attachment named %q accepted", name)
		}
	}
}

func FuzzThresholds(f *testing.F) {
	f.Add("sap_success_rate <= 0.05")
	f.Add("clean_accuracy >= 0.85 && [pgd.x] < 0.1 || 3 > y")
	f.Fuzz(func(t *testing.T, expr string) {
		for name, th := range thresholds(expr) {
			if name == "" || strings.ContainsAny(name, "[]") {
				t.Errorf("thresholds(%q) gave the name %q", expr, name)
			}
			if th == "" {
				t.Errorf("thresholds(%q) gave an empty bound for %q", expr, name)
			}
		}
		c := verdict.CriterionResult{ID: "x", Expr: expr, Outcome: verdict.Fail}
		if msg := failureMessage(c); !strings.Contains(msg, expr) {
			t.Errorf("failure message %q lacks the expression", msg)
		}
	})
}

func TestVerifyInputDirs(t *testing.T) {
	dir, work, elsewhere := t.TempDir(), t.TempDir(), t.TempDir()
	plugin := filepath.Join(work, "vendor-plugin")
	if err := os.WriteFile(plugin, []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := fixedOptions()
	o.WorkDir = work
	o.Inputs = []Input{{Role: RolePlugin, Path: plugin}}
	if _, err := WriteAll(dir, reporttest.Result(), o); err != nil {
		t.Fatal(err)
	}
	// The auditor has the plugin, but not at the vendor's path.
	if err := os.Remove(plugin); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Verify(dir); err == nil || !strings.Contains(err.Error(), "plugin "+plugin+" missing") {
		t.Fatalf("err = %v, want the plugin missing", err)
	}
	if err := os.WriteFile(filepath.Join(elsewhere, "vendor-plugin"), []byte("binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, checks, err := VerifyWith(dir, VerifyOptions{InputDirs: []string{t.TempDir(), elsewhere}})
	if err != nil {
		t.Fatalf("with the input directory: %v", err)
	}
	if checks[0].Resolved != filepath.Join(elsewhere, "vendor-plugin") {
		t.Errorf("plugin hashed at %s", checks[0].Resolved)
	}
	if err := os.WriteFile(filepath.Join(elsewhere, "vendor-plugin"), []byte("other binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := VerifyWith(dir, VerifyOptions{InputDirs: []string{elsewhere}}); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("a different plugin passes: %v", err)
	}
}

func TestVerdictBanner(t *testing.T) {
	for _, v := range []verdict.Outcome{verdict.Pass, verdict.Fail, verdict.Inconclusive} {
		r := reporttest.Result()
		r.Verdict = v
		page := renderHTML(t, r)
		want := fmt.Sprintf(`<section class="banner %s" id="verdict" data-verdict="%s">`, strings.ToLower(string(v)), v)
		if !strings.Contains(page, want) {
			t.Errorf("%s: banner %q not found", v, want)
		}
	}
}

func TestMinimalResult(t *testing.T) {
	r := &engine.Result{SchemaVersion: engine.SchemaVersion, Verdict: verdict.Pass}
	for _, f := range Formats {
		var buf bytes.Buffer
		if err := Write(&buf, r, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if strings.Contains(buf.String(), "Chart not drawn") {
			t.Errorf("%s: a chart without data was attempted", f)
		}
	}
	if _, err := WriteAll(t.TempDir(), r, Options{}); err != nil {
		t.Errorf("WriteAll: %v", err)
	}
}

func TestHostileLabelsAreEscaped(t *testing.T) {
	r := reporttest.Result()
	evil := `<script>alert(1)</script>&]]>`
	r.Run.Spec.Name = evil
	r.Examples[0].Record = evil
	r.Examples[0].TrueLabel = evil
	r.Attacks[0].ID = evil
	r.Criteria[0].Description = evil
	r.Records[0].Error = evil
	page := renderHTML(t, r)
	if strings.Contains(page, "<script") {
		t.Error("report.html contains an unescaped <script> from the results")
	}
	var md bytes.Buffer
	if err := Write(&md, r, Markdown); err != nil {
		t.Fatal(err)
	}
	var ju bytes.Buffer
	if err := Write(&ju, r, JUnit); err != nil {
		t.Fatal(err)
	}
	// JUnit: attributes are escaped, bodies are CDATA; the file parses and
	// gives back the text unchanged.
	var doc struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Out string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(ju.Bytes(), &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	if doc.Suites[0].Name != evil || !strings.Contains(doc.Suites[0].Cases[0].Out, evil) {
		t.Errorf("junit.xml altered the text: suite %q, system-out %q", doc.Suites[0].Name, doc.Suites[0].Cases[0].Out)
	}
}

func TestCollateRow(t *testing.T) {
	r := reporttest.Result()
	r.Attacks = append(r.Attacks, engine.AttackSummary{ID: "collate", Type: "collate", Records: 6,
		Metrics: map[string]float64{"gaussian_fraction": 0.876, "concat_fraction": 1, "uniform_fraction": 1, "collated": 3}})
	var md bytes.Buffer
	if err := Write(&md, r, Markdown); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| collate | collate | — | noise 87.6 %, concat 100.0 %, band 100.0 % | — |") {
		t.Errorf("collate row missing:\n%s", md.String())
	}
}

func TestHTMLIDsUnique(t *testing.T) {
	page := renderHTML(t, reporttest.Result())
	seen := map[string]bool{}
	for _, part := range strings.Split(page, ` id="`)[1:] {
		id, _, _ := strings.Cut(part, `"`)
		if seen[id] {
			t.Errorf("id %q used twice", id)
		}
		seen[id] = true
	}
	if len(seen) < 10 {
		t.Errorf("only %d ids found", len(seen))
	}
}
