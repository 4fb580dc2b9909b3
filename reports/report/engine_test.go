package report_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/model/modeltest"
	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/reports/report"
)

// engineSpec runs the attacks of the paper, white-box and black-box, on
// the analytic test model.
const engineSpec = `apiVersion: ecgrobust/v1
kind: RobustnessSpec
metadata:
  name: report-engine-test
  version: 1.0.0
  description: The report rendered from a real engine run.
model:
  plugin: reference
dataset:
  source: demo
seed: 11
attacks:
  - id: pgd
    type: pgd
  - id: sap
    type: sap
    steps: 10
    pgd_steps: 5
  - id: sap_fd
    type: sap
    steps: 4
    pgd_steps: 2
    gradient: finite-difference
    fd_directions: 4
    query_budget: 400
criteria:
  - id: sap-success
    expr: sap_success_rate <= 0.05
  - id: accuracy
    expr: clean_accuracy >= 0.5
outputs:
  examples: 2
`

// TestRenderEngineResult checks the renderers against what the engine
// really produces (curve names, per-class keys, example windows), not
// only against the hand-made fixture.
func TestRenderEngineResult(t *testing.T) {
	s, err := spec.Parse("engine.yaml", []byte(engineSpec))
	if err != nil {
		t.Fatal(err)
	}
	recs := modeltest.Records(8, 3000, 5)
	for i := range recs {
		sc, err := modeltest.Analytic{}.Predict(context.Background(), [][]float64{recs[i].Signal.Samples})
		if err != nil {
			t.Fatal(err)
		}
		recs[i].Label = ecg.CinCClasses[model.Argmax(sc[0])]
	}
	res, err := engine.Run(context.Background(), s, engine.Records(recs), []model.Classifier{modeltest.Analytic{}}, engine.Options{HarnessVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := report.WriteAll(dir, res, report.Options{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(filepath.Join(dir, report.HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(html)
	if strings.Contains(page, "Chart not drawn") {
		i := strings.Index(page, "Chart not drawn")
		t.Errorf("a chart failed: %s", page[i:min(len(page), i+200)])
	}
	for _, want := range []string{`data-chart="success-vs-epsilon"`, `data-chart="per-class-success"`, `class="flip"`} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %s", want)
		}
	}
	if len(res.Examples) > 0 && !strings.Contains(page, `data-chart="overlay-`) {
		t.Error("the engine's examples drew no overlay")
	}
	if !strings.Contains(page, `data-chart="curve-sap-fd-success-vs-queries"`) {
		t.Errorf("the black-box attack has no success-vs-queries chart (curves: %+v)", res.Attacks[2].Curves)
	}
	// results.json round-trips through the reader byte for byte.
	b, _ := os.ReadFile(filepath.Join(dir, report.ResultsFile))
	back, err := report.DecodeResults(b)
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := report.Write(&again, back, report.JSON); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, again.Bytes()) {
		t.Error("results.json of an engine run does not round-trip")
	}
	if os.Getenv("ECGROBUST_KEEP_REPORT") != "" {
		_ = os.WriteFile(os.Getenv("ECGROBUST_KEEP_REPORT"), html, 0o644)
	}
}
