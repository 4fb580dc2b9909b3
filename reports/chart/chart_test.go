package chart

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"strings"
	"testing"

	gochart "github.com/wcharczuk/go-chart/v2"
)

func TestAxisTicks(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi float64
		n      int
		exact  bool
		want   []string
		wantLo float64
		wantHi float64
	}{
		{name: "unit interval", lo: 0, hi: 1, n: 5, want: []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}, wantLo: 0, wantHi: 1},
		{name: "widened", lo: 0.13, hi: 0.87, n: 4, want: []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}, wantLo: 0, wantHi: 1},
		{name: "microvolts", lo: -10, hi: 10, n: 4, want: []string{"-10", "-5", "0", "5", "10"}, wantLo: -10, wantHi: 10},
		{name: "flat", lo: 3, hi: 3, n: 5, want: []string{"2.5", "3.0", "3.5", "4.0"}, wantLo: 2.4, wantHi: 4},
		{name: "exact keeps ends", lo: 2, hi: 6.997, n: 10, exact: true,
			want: []string{"2.0", "2.5", "3.0", "3.5", "4.0", "4.5", "5.0", "5.5", "6.0", "6.5", ""}, wantLo: 2, wantHi: 6.997},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := axisTicks(tt.lo, tt.hi, tt.n, tt.exact)
			var got []string
			for _, tk := range a.ticks {
				got = append(got, tk.Label)
			}
			if tt.name != "flat" && strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("labels = %q, want %q", got, tt.want)
			}
			const tol = 1e-9
			if tt.name != "flat" && (math.Abs(a.lo-tt.wantLo) > tol || math.Abs(a.hi-tt.wantHi) > tol) {
				t.Errorf("range = [%v, %v], want [%v, %v]", a.lo, a.hi, tt.wantLo, tt.wantHi)
			}
			if a.ticks[0].Value < a.lo-tol || a.ticks[len(a.ticks)-1].Value > a.hi+tol {
				t.Errorf("ticks %v..%v outside range [%v, %v]", a.ticks[0].Value, a.ticks[len(a.ticks)-1].Value, a.lo, a.hi)
			}
			if a.hi <= a.lo {
				t.Errorf("empty range [%v, %v]", a.lo, a.hi)
			}
		})
	}
}

func TestDecimateKeepsEnvelope(t *testing.T) {
	n := 9000
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = float64(i) / 300
		y[i] = math.Sin(float64(i) / 50)
		if i%97 == 0 {
			y[i] = 5 // a spike that must survive
		}
	}
	y[4321] = -7
	dx, dy := decimate(x, y, 300)
	if len(dx) > 3*300+1 || len(dx) != len(dy) {
		t.Fatalf("decimated to %d/%d points, want ≤ %d", len(dx), len(dy), 3*300+1)
	}
	lo, hi, _ := bounds(dy)
	if lo != -7 || hi != 5 {
		t.Errorf("envelope [%v, %v], want [-7, 5]", lo, hi)
	}
	for i := 1; i < len(dx); i++ {
		if dx[i] <= dx[i-1] {
			t.Fatalf("x not increasing at %d: %v then %v", i, dx[i-1], dx[i])
		}
	}
	if dx[0] != x[0] || dx[len(dx)-1] != x[n-1] {
		t.Errorf("ends %v..%v, want %v..%v", dx[0], dx[len(dx)-1], x[0], x[n-1])
	}
}

func syntheticTrace(n int) Trace {
	tr := Trace{EpsilonUV: 10}
	for i := 0; i < n; i++ {
		s := 1 + float64(i)/300
		o := 1.2 * math.Exp(-math.Pow(math.Mod(s, 0.8)-0.4, 2)/0.0005)
		p := 10.0
		if (i/7)%2 == 0 {
			p = -10
		}
		tr.Time = append(tr.Time, s)
		tr.Original = append(tr.Original, o)
		tr.PerturbationUV = append(tr.PerturbationUV, p)
		tr.Adversarial = append(tr.Adversarial, o+p/1000)
	}
	return tr
}

// wellFormed parses b as XML and returns the text of every <text> element.
// It also fails on coordinates far outside the picture, the mark of an
// axis with an empty range.
func wellFormed(t *testing.T, b []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var texts []string
	inText := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			inText = tok.Name.Local == "text"
			for _, a := range tok.Attr {
				if (a.Name.Local == "x" || a.Name.Local == "y" || a.Name.Local == "d") && strings.Contains(a.Value, "922337") {
					t.Fatalf("element <%s> at an overflowed coordinate %s=%q", tok.Name.Local, a.Name.Local, a.Value)
				}
			}
		case xml.CharData:
			if inText {
				texts = append(texts, string(tok))
			}
		case xml.EndElement:
			inText = false
		}
	}
	return texts
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestTraceSVG(t *testing.T) {
	tr := syntheticTrace(1500)
	tr.AdversarialName = "adversarial <SAP & co>"
	b, err := tr.SVG()
	if err != nil {
		t.Fatal(err)
	}
	texts := wellFormed(t, b)
	for _, want := range []string{"Time (s)", "Amplitude (mV)", "Perturbation (µV)", "original", "adversarial <SAP & co>", "±ε = 10 µV", "1.0", "5.5", "-10"} {
		if !contains(texts, want) {
			t.Errorf("SVG lacks text %q", want)
		}
	}
	if got := bytes.Count(b, []byte("<svg")); got != 3 {
		t.Errorf("%d <svg> elements, want 3 (document + two panels)", got)
	}
}

func TestTracePanelsAligned(t *testing.T) {
	tr := syntheticTrace(600)
	top, bottom, err := tr.panels()
	if err != nil {
		t.Fatal(err)
	}
	wt := top.tickLabelWidth() + top.padRight
	wb := bottom.tickLabelWidth() + bottom.padRight
	if wt != wb || wt == 0 {
		t.Errorf("label column widths %d and %d differ (or are zero): plots would not line up", wt, wb)
	}
}

func TestTracePNG(t *testing.T) {
	tr := syntheticTrace(900)
	tr.Width, tr.TopHeight, tr.BottomHeight = 600, 200, 150
	b, err := tr.PNG()
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds(); got.Dx() != 600 || got.Dy() != 350 {
		t.Errorf("PNG is %dx%d, want 600x350", got.Dx(), got.Dy())
	}
}

func TestErrors(t *testing.T) {
	tr := syntheticTrace(100)
	tr.PerturbationUV = tr.PerturbationUV[:50]
	if _, err := tr.SVG(); err == nil || !strings.Contains(err.Error(), "perturbation 50") {
		t.Errorf("mismatched trace: err = %v, want length error", err)
	}
	if _, err := (Bars{Categories: []string{"N", "A"}, Series: []BarSeries{{Name: "x", Values: []float64{1}}}}).SVG(); err == nil {
		t.Error("bars with too few values: no error")
	}
	if _, err := (Line{Series: []Series{{Name: "nan", X: []float64{math.NaN()}, Y: []float64{1}}}}).SVG(); err == nil {
		t.Error("line without finite points: no error")
	}
	if _, err := (Line{Series: []Series{{X: []float64{1, 2}, Y: []float64{1}}}}).SVG(); err == nil {
		t.Error("line with mismatched lengths: no error")
	}
}

func TestLineAndBarsSVG(t *testing.T) {
	l := Line{XLabel: "ε (µV)", YLabel: "Success rate", YRange: &[2]float64{0, 1}, Series: []Series{
		{Name: "SAP", X: []float64{10}, Y: []float64{0.53}, Dots: true},
		{Name: "PGD", X: []float64{5, 10}, Y: []float64{0.5, math.NaN()}, Dots: true},
	}}
	b, err := l.SVG()
	if err != nil {
		t.Fatal(err)
	}
	texts := wellFormed(t, b)
	for _, want := range []string{"ε (µV)", "Success rate", "SAP", "PGD", "0.0", "1.0"} {
		if !contains(texts, want) {
			t.Errorf("line SVG lacks %q", want)
		}
	}
	bs := Bars{Categories: []string{"N", "A", "O", "~"}, YLabel: "Success rate", XLabel: "True class", Labels: 2,
		Series: []BarSeries{{Name: "SAP", Values: []float64{0.5, 0.7, 0.4, math.NaN()}}, {Name: "PGD", Values: []float64{0.6, 0.8, 0.5, 0.3}}}}
	b, err = bs.SVG()
	if err != nil {
		t.Fatal(err)
	}
	texts = wellFormed(t, b)
	for _, want := range []string{"N", "~", "True class", "0.70", "0.30", "SAP"} {
		if !contains(texts, want) {
			t.Errorf("bar SVG lacks %q", want)
		}
	}
	if contains(texts, "NaN") {
		t.Error("bar SVG labels a NaN bar")
	}
}

func TestErrorBars(t *testing.T) {
	l := Line{XLabel: "ε (µV)", YLabel: "Success rate", Series: []Series{
		{Name: "SAP", X: []float64{10}, Y: []float64{0.5}, Low: []float64{0.2}, High: []float64{0.8}, Dots: true},
	}}
	b, err := l.SVG()
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, b)
	// One bar with two caps: three segments in one path.
	if !strings.Contains(string(b), "M 425 284\nL 433 284") {
		t.Errorf("no error bar drawn:\n%s", b)
	}
	// The value axis covers the bounds even though the point alone does not.
	a := l.yAxis()
	if a.lo > 0.2 || a.hi < 0.8 {
		t.Errorf("y axis [%v, %v] does not cover the interval [0.2, 0.8]", a.lo, a.hi)
	}
	l.Series[0].High = nil
	if _, err := l.SVG(); err == nil {
		t.Error("bounds of the wrong length: no error")
	}
}

// rotatedTexts returns the text of every <text> element with a transform.
func rotatedTexts(t *testing.T, b []byte) []string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	var out []string
	rotated := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			rotated = false
			for _, a := range tok.Attr {
				if tok.Name.Local == "text" && a.Name.Local == "transform" {
					rotated = true
				}
			}
		case xml.CharData:
			if rotated {
				out = append(out, string(tok))
			}
		case xml.EndElement:
			rotated = false
		}
	}
}

func TestOnlyAxisNamesRotated(t *testing.T) {
	l := Line{XLabel: "x (s)", YLabel: "y (mV)", Series: []Series{{Name: "first", X: []float64{0, 1}, Y: []float64{0, 1}}}}
	bs := Bars{Categories: []string{"N", "A"}, YLabel: "rate", Labels: 2, Series: []BarSeries{{Name: "bars", Values: []float64{0.5, 0.25}}}}
	for name, c := range map[string]svgChart{"line": l, "bars": bs} {
		b, err := c.SVG()
		if err != nil {
			t.Fatal(err)
		}
		got := rotatedTexts(t, b)
		if len(got) != 1 || (got[0] != "y (mV)" && got[0] != "rate") {
			t.Errorf("%s: rotated texts %q, want only the Y axis name", name, got)
		}
	}
}

type svgChart interface{ SVG() ([]byte, error) }

func TestMeasureCacheKeepsBytes(t *testing.T) {
	tr := syntheticTrace(600)
	clear(measured.m)
	cold, err := tr.SVG()
	if err != nil {
		t.Fatal(err)
	}
	if len(measured.m) == 0 {
		t.Fatal("nothing was cached")
	}
	warm, err := tr.SVG()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cold, warm) {
		t.Error("a chart drawn with cached text measurements differs")
	}
	// The cache gives what go-chart measures, rotated or not.
	r, _ := measuringSVG(10, 10)
	plain, _ := gochart.SVG(10, 10)
	font, _ := gochart.GetDefaultFont()
	for _, rot := range []bool{false, true} {
		for _, x := range []gochart.Renderer{r, plain} {
			x.SetFont(font)
			x.SetFontSize(11)
			if rot {
				x.SetTextRotation(math.Pi / 2)
			} else {
				x.ClearTextRotation()
			}
		}
		for i := 0; i < 2; i++ {
			if got, want := r.MeasureText("Amplitude (mV)"), plain.MeasureText("Amplitude (mV)"); got != want {
				t.Errorf("rotated %v: cached measure %v, go-chart %v", rot, got, want)
			}
		}
	}
}

func TestPNGSizes(t *testing.T) {
	l := Line{XLabel: "x (s)", YLabel: "y (mV)", Width: 500, Height: 200, Series: []Series{{Name: "a", X: []float64{0, 1}, Y: []float64{0, 1}}}}
	bs := Bars{Categories: []string{"N", "A"}, YLabel: "rate", Width: 400, Height: 250, Series: []BarSeries{{Name: "b", Values: []float64{0.5, 0.25}}}}
	for name, c := range map[string]interface {
		PNG() ([]byte, error)
	}{"line": l, "bars": bs} {
		b, err := c.PNG()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := map[string][2]int{"line": {500, 200}, "bars": {400, 250}}[name]
		if got := img.Bounds(); got.Dx() != want[0] || got.Dy() != want[1] {
			t.Errorf("%s: PNG %dx%d, want %dx%d", name, got.Dx(), got.Dy(), want[0], want[1])
		}
	}
}

func TestLegendWraps(t *testing.T) {
	var entries []legendEntry
	for i := 0; i < 8; i++ {
		entries = append(entries, legendEntry{name: "a fairly long series name", color: Palette[i%len(Palette)]})
	}
	rows := layoutLegend(entries, 600)
	if len(rows) < 2 {
		t.Fatalf("8 long entries in 600 px: %d row(s), want wrapping", len(rows))
	}
	r, _ := legendRenderer()
	n := 0
	for _, row := range rows {
		w := 0
		for _, e := range row {
			w += legendWidth(r, e)
		}
		if w > 600 && len(row) > 1 {
			t.Errorf("a row is %d px wide, more than 600", w)
		}
		n += len(row)
	}
	if n != 8 {
		t.Errorf("%d entries laid out, want 8", n)
	}
}
