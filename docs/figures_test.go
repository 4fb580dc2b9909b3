package docs

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
)

// tourFigures maps the files under docs/figures to the charts of the
// report-tour run's report.html they are cut from: a data-chart id, or a
// pattern for ids that depend on the records drawn.
var tourFigures = []struct{ file, chart string }{
	{"success-vs-epsilon.svg", `^success-vs-epsilon$`},
	{"overlay-sap.svg", `^overlay-.*-sap$`},
	{"per-class-success.svg", `^per-class-success$`},
	{"noise.svg", `^curve-noise-`},
}

// TestReportFigures checks the report figures the auditor guide shows.
// With ECGROBUST_TOUR_REPORT set to the report.html of a run of
// docs/report-tour.yaml (make docs-figures), it first cuts them out of it.
func TestReportFigures(t *testing.T) {
	if src := os.Getenv("ECGROBUST_TOUR_REPORT"); src != "" {
		html, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range tourFigures {
			svg, err := chartSVG(string(html), regexp.MustCompile(f.chart))
			if err != nil {
				t.Fatalf("%s: %v", f.file, err)
			}
			if err := os.WriteFile(filepath.Join("figures", f.file), []byte(svg), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	guide := string(mustRead(t, "docs/auditor-guide.md"))
	for _, f := range tourFigures {
		b := mustRead(t, filepath.Join("docs/figures", f.file))
		if len(b) > 300<<10 {
			t.Errorf("figures/%s is %d bytes, want ≤ 300 KiB", f.file, len(b))
		}
		if err := wellFormedSVG(b); err != nil {
			t.Errorf("figures/%s: %v", f.file, err)
		}
		if !strings.Contains(guide, "](figures/"+f.file+")") {
			t.Errorf("docs/auditor-guide.md does not show figures/%s", f.file)
		}
	}
}

// chartSVG returns the first chart SVG (outermost <svg> element, nested
// ones included) of the first figure whose data-chart id matches.
func chartSVG(html string, id *regexp.Regexp) (string, error) {
	fig := regexp.MustCompile(`<figure class="chart" data-chart="([^"]+)"`)
	for _, m := range fig.FindAllStringSubmatchIndex(html, -1) {
		if !id.MatchString(html[m[2]:m[3]]) {
			continue
		}
		rest := html[m[1]:]
		end := strings.Index(rest, "</figure>")
		start := strings.Index(rest, "<svg")
		if start < 0 || (end >= 0 && start > end) {
			return "", fmt.Errorf("chart %s has no SVG (not drawn?)", html[m[2]:m[3]])
		}
		depth := 0
		for i := start; i < len(rest); {
			open, closing := strings.Index(rest[i:], "<svg"), strings.Index(rest[i:], "</svg>")
			if closing < 0 {
				break
			}
			if open >= 0 && open < closing {
				depth++
				i += open + 4
				continue
			}
			depth--
			i += closing + len("</svg>")
			if depth == 0 {
				return rest[start:i] + "\n", nil
			}
		}
		return "", errors.New("unbalanced <svg> elements")
	}
	return "", fmt.Errorf("no chart matches %v", id)
}

// wellFormedSVG checks b is well-formed XML with an <svg> root.
func wellFormedSVG(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("not well-formed XML: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		return fmt.Errorf("root element is %q, want svg", root)
	}
	return nil
}

func TestChartSVG(t *testing.T) {
	html := `<figure class="chart" data-chart="a"><div class="chart-error">x</div></figure>` +
		`<figure class="chart" data-chart="overlay-r1-sap"><svg a><svg b></svg><svg c></svg></svg><svg zoom></svg></figure>`
	got, err := chartSVG(html, regexp.MustCompile(`^overlay-.*-sap$`))
	if want := "<svg a><svg b></svg><svg c></svg></svg>\n"; err != nil || got != want {
		t.Errorf("chartSVG = %q, %v; want %q", got, err, want)
	}
	if _, err := chartSVG(html, regexp.MustCompile(`^a$`)); err == nil {
		t.Error("chartSVG found an SVG in a chart that was not drawn")
	}
}

// TestReportTourSpec keeps docs/report-tour.yaml valid.
func TestReportTourSpec(t *testing.T) {
	s, err := spec.Load("report-tour.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckExprs(verdict.Check); err != nil {
		t.Fatal(err)
	}
}
