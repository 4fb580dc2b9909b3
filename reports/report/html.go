package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
)

//go:embed templates/report.html.tmpl
var htmlTemplate string

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"num": num,
	"pct": pct,
	"lower": func(o verdict.Outcome) string {
		return strings.ToLower(string(o))
	},
	"shown": shownOutcome,
	// wbr lets long metric names break after their underscores.
	"wbr": func(s string) template.HTML {
		return template.HTML(strings.ReplaceAll(template.HTMLEscapeString(s), "_", "_<wbr>"))
	},
	"lowerStr": strings.ToLower,
}).Parse(htmlTemplate))

// figureWidth is the natural width of every chart in pixels. The page
// lays figures out in columns at least 600 px wide, so charts are shown
// close to their natural size and their text stays readable at 100 %.
const figureWidth = 680

// figure is one chart on the page.
type figure struct {
	// ID is unique on the page (data-chart attribute).
	ID      string
	Title   string
	Caption string
	SVG     template.HTML
	// Err is set instead of SVG when the chart could not be drawn.
	Err string
	// Zoom is an optional second drawing under the first (an overlay's
	// perturbation over one second), with its caption.
	Zoom        template.HTML
	ZoomCaption string
}

type criterionView struct {
	verdict.CriterionResult
	Measures []measure
}

type overlayView struct {
	Title   string
	Figure  figure
	Details string
}

type overlayGroup struct {
	Record, TrueLabel string
	Items             []overlayView
}

type flipView struct {
	Attack  string
	Classes []string
	Rows    []flipRow
}

type flipRow struct {
	True  string
	Cells []flipCell
	Total int
}

type flipCell struct {
	N        int
	Diagonal bool
	// Shade is the cell's background alpha in [0, 1], by row share.
	Shade string
}

type kv struct{ Key, Value string }

type metricTable struct {
	Attack string
	Rows   []kv
}

type page struct {
	R           *engine.Result
	Title       string
	Lead        string
	Criteria    []criterionView
	Attacks     []attackRow
	Epsilon     []figure
	Queries     []figure
	Overlays    []overlayGroup
	PerClass    []figure
	Flips       []flipView
	Noise       []figure
	Other       []figure
	Metrics     []kv
	AttackTable []metricTable
	Identity    []kv
	Generated   string
	// Rows are the records where an attack succeeded or that errored, at
	// most maxRows of them; RowsOmitted counts the rest.
	Rows        []recordRow
	RowsTotal   int
	RowsOmitted int
}

// maxRows caps the per-record table; results.json has every row.
const maxRows = 300

type recordRow struct {
	engine.RecordResult
	Linf, L2, SNR, HF string
}

func recordRows(r *engine.Result) (rows []recordRow, total, omitted int) {
	for _, rr := range r.Records {
		if !rr.Success && rr.Error == "" {
			continue
		}
		total++
		if len(rows) == maxRows {
			omitted++
			continue
		}
		row := recordRow{RecordResult: rr, Linf: num(rr.LinfUV), L2: num(rr.L2UV), SNR: "—", HF: pct(rr.HighFreqFraction)}
		if rr.SNRdB != nil {
			row.SNR = num(*rr.SNRdB)
		}
		rows = append(rows, row)
	}
	return rows, total, omitted
}

func (o Options) writeHTML(w io.Writer, r *engine.Result) error {
	p := page{
		R:         r,
		Lead:      lead(r),
		Title:     fmt.Sprintf("ecgrobust %s: %s %s", r.Verdict, r.Run.Spec.Name, r.Run.Spec.Version),
		Attacks:   attackRows(r),
		Generated: o.now().Format(time.RFC3339),
	}
	for _, c := range r.Criteria {
		p.Criteria = append(p.Criteria, criterionView{CriterionResult: c, Measures: measures(c)})
	}
	p.Epsilon = epsilonFigures(r)
	p.Queries = queryFigures(r)
	p.Overlays = overlays(r)
	p.PerClass = perClassFigures(r)
	p.Flips = flips(r)
	p.Noise = noiseFigures(r)
	p.Other = otherFigures(r)
	p.Metrics = sortedKV(r.Metrics)
	for _, a := range r.Attacks {
		p.AttackTable = append(p.AttackTable, metricTable{Attack: a.ID, Rows: sortedKV(a.Metrics)})
	}
	p.Identity = identity(r, o.version(r))
	p.Rows, p.RowsTotal, p.RowsOmitted = recordRows(r)
	if err := pageTemplate.Execute(w, p); err != nil {
		return fmt.Errorf("render html: %w", err)
	}
	return nil
}

// lead is the line under the title: model, data and seed.
func lead(r *engine.Result) string {
	ri := r.Run
	var parts []string
	if m := strings.TrimSpace(ri.Model.Name + " " + ri.Model.Version); m != "" {
		parts = append(parts, "Model "+m)
	}
	d := strings.TrimSpace(ri.Dataset.Source + " " + ri.Dataset.Split)
	if ri.Dataset.Records > 0 {
		d = strings.TrimSpace(d + fmt.Sprintf(", %d records", ri.Dataset.Records))
	}
	if d != "" {
		parts = append(parts, d)
	}
	parts = append(parts, "seed "+strconv.FormatUint(ri.Seed, 10))
	return strings.Join(parts, " · ")
}

func sortedKV(m map[string]float64) []kv {
	var out []kv
	for k, v := range m {
		out = append(out, kv{k, num(v)})
	}
	slices.SortFunc(out, func(a, b kv) int { return strings.Compare(a.Key, b.Key) })
	return out
}

func identity(r *engine.Result, version string) []kv {
	ri := r.Run
	model := ri.Model.Name + " " + ri.Model.Version + " (" + ri.Model.Kind + ")"
	grad := "no (black-box)"
	if ri.Model.InputGradient {
		grad = "yes"
	}
	rows := []kv{
		{"Spec", ri.Spec.Name + " " + ri.Spec.Version},
		{"Spec SHA-256", ri.Spec.SHA256},
		{"Model", model},
		{"Model SHA-256", orDash(ri.Model.SHA256)},
		{"Model input", fmt.Sprintf("%s Hz, %s adu/mV, classes %s, input gradient %s", num(ri.Model.SampleRate), num(ri.Model.Gain), strings.Join(ri.Model.Classes, " "), grad)},
		{"Dataset", strings.TrimSpace(ri.Dataset.Source + " " + ri.Dataset.Split + fmt.Sprintf(", %d records", ri.Dataset.Records))},
		{"Data SHA-256", ri.Dataset.SHA256},
		{"Seed", strconv.FormatUint(ri.Seed, 10)},
		{"Harness version", ri.HarnessVersion},
	}
	if ri.Shard != nil {
		rows = append(rows, kv{"Shard", fmt.Sprintf("%d of %d", ri.Shard.Index+1, ri.Shard.Count)})
	}
	if version != ri.HarnessVersion {
		rows = append(rows, kv{"Rendered by", "ecgrobust " + version})
	}
	rows = append(rows, kv{"Results schema", r.SchemaVersion})
	if r.Timings != nil {
		rows = append(rows, kv{"Wall time", num(math.Round(r.Timings.TotalSeconds*10)/10) + " s (timings.json)"})
	}
	return rows
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
