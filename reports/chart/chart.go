package chart

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	gochart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
)

// Default sizes in pixels, chosen so that the text is readable at 100 %
// zoom when the figure is shown at its natural width.
const (
	DefaultWidth  = 900
	DefaultHeight = 340
)

// Palette is the Okabe–Ito colour-blind-safe palette, in the order series
// take their colours.
var Palette = []string{"#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"}

// Series is one named x/y series.
type Series struct {
	Name string
	X, Y []float64
	// Color is a hex colour "#rrggbb"; empty picks from Palette.
	Color string
	// Dashed draws a dashed line (e.g. a confidence bound).
	Dashed bool
	// Dots marks every point (useful for sparse curves).
	Dots bool
	// Width is the line width in pixels; 0 means 1.5.
	Width float64
	// Low and High, when set (one value per point), draw a vertical error
	// bar from Low to High at each point, e.g. a 95 % confidence interval.
	// NaN leaves a point without a bar.
	Low, High []float64
}

// Line is a chart of one or more series on shared axes.
type Line struct {
	XLabel, YLabel string
	Series         []Series
	// Width and Height in pixels; 0 takes the defaults.
	Width, Height int
	// XRange and YRange fix the axis limits; nil fits the data.
	XRange, YRange *[2]float64

	// padRight widens the right margin so stacked panels line up.
	padRight int
}

// format is the output encoding.
type format int

const (
	svgFormat format = iota
	pngFormat
)

// errNoData is returned for a chart without a single finite point.
var errNoData = errors.New("chart: no finite data points")

// SVG renders l as an SVG document.
func (l Line) SVG() ([]byte, error) { return l.render(svgFormat) }

// PNG renders l as a PNG image.
func (l Line) PNG() ([]byte, error) { return l.render(pngFormat) }

func (l Line) render(f format) ([]byte, error) {
	c, err := l.chart(f)
	if err != nil {
		return nil, err
	}
	return renderChart(c, f)
}

func (l Line) chart(f format) (gochart.Chart, error) {
	w, h := size(l.Width, l.Height)
	xs, ys := [][]float64{}, [][]float64{}
	for _, s := range l.Series {
		if len(s.X) != len(s.Y) {
			return gochart.Chart{}, fmt.Errorf("chart: series %q has %d x values and %d y values", s.Name, len(s.X), len(s.Y))
		}
		if (s.Low != nil || s.High != nil) && (len(s.Low) != len(s.X) || len(s.High) != len(s.X)) {
			return gochart.Chart{}, fmt.Errorf("chart: series %q has %d points but %d low and %d high bounds", s.Name, len(s.X), len(s.Low), len(s.High))
		}
		xs = append(xs, s.X)
		ys = append(ys, s.Y)
	}
	xlo, xhi, ok := bounds(xs...)
	if !ok {
		return gochart.Chart{}, errNoData
	}
	if l.XRange != nil {
		xlo, xhi = l.XRange[0], l.XRange[1]
	} else if l.hasErrorBars() {
		// Keep error bars off the frame, without crossing zero (a budget
		// or a query count is never negative).
		pad := (xhi - xlo) * 0.05
		if xlo >= 0 && xlo-pad < 0 {
			xlo = 0
		} else {
			xlo -= pad
		}
		xhi += pad
	}
	xa := axisTicks(xlo, xhi, 10, l.XRange != nil)
	ya := l.yAxis()

	// Plot-area width in pixels, roughly, for decimation.
	plotW := w - 120
	var series []gochart.Series
	var legend []legendEntry
	nbars := 0
	for _, s := range l.Series {
		if s.Low != nil {
			nbars++
		}
	}
	kbar := 0
	for i, s := range l.Series {
		color := s.Color
		if color == "" {
			color = Palette[i%len(Palette)]
		}
		x, y := finite(s.X, s.Y)
		x, y = decimate(x, y, plotW)
		width := s.Width
		if width == 0 {
			width = 1.5
		}
		st := gochart.Style{StrokeColor: hex(color), StrokeWidth: width}
		if s.Dashed {
			st.StrokeDashArray = []float64{6, 4}
		}
		if s.Dots {
			st.DotColor = hex(color)
			st.DotWidth = 3
		}
		series = append(series, gochart.ContinuousSeries{
			Name:    text(f, s.Name),
			Style:   st,
			XValues: x,
			YValues: y,
		})
		if s.Low != nil {
			// Bars of different series at the same x sit side by side.
			dodge := int(math.Round((float64(kbar) - float64(nbars-1)/2) * 7))
			series = append(series, errorBars{x: s.X, lo: s.Low, hi: s.High, color: color, dodge: dodge})
			kbar++
		}
		if s.Name != "" {
			legend = append(legend, legendEntry{name: text(f, s.Name), color: color, dashed: s.Dashed})
		}
	}
	c := baseChart(f, w, h, legend)
	c.Background.Padding.Right += l.padRight
	c.Series = series
	c.XAxis = xAxis(f, l.XLabel, xa)
	c.YAxis = yAxis(f, l.YLabel, ya)
	return c, nil
}

// hasErrorBars reports whether some series of l has error bars.
func (l Line) hasErrorBars() bool {
	for _, s := range l.Series {
		if s.Low != nil {
			return true
		}
	}
	return false
}

// yAxis returns the value axis of l.
func (l Line) yAxis() axis {
	var ys [][]float64
	for _, s := range l.Series {
		ys = append(ys, s.Y, s.Low, s.High)
	}
	lo, hi, _ := bounds(ys...)
	if l.YRange != nil {
		lo, hi = l.YRange[0], l.YRange[1]
	}
	return axisTicks(lo, hi, 6, l.YRange != nil)
}

// tickLabelWidth is the width in pixels go-chart will give the widest Y
// tick label of l.
func (l Line) tickLabelWidth() int {
	r, err := measuringSVG(10, 10)
	if err != nil {
		return 0
	}
	font, err := gochart.GetDefaultFont()
	if err != nil {
		return 0
	}
	r.SetFont(font)
	r.SetFontSize(axisFontSize)
	w := 0
	for _, t := range l.yAxis().ticks {
		w = max(w, r.MeasureText(t.Label).Width())
	}
	return w
}

const axisFontSize = 10

// baseChart returns a chart with the house style and a legend, wrapped
// onto as many rows above the plot area as it needs.
func baseChart(f format, w, h int, legend []legendEntry) gochart.Chart {
	rows := layoutLegend(legend, w-90)
	top := 12
	if len(rows) > 0 {
		top = 12 + legendRowHeight*len(rows)
	}
	c := gochart.Chart{
		Width:  w,
		Height: h,
		Background: gochart.Style{
			Padding:   gochart.Box{Top: top, Left: 12, Right: 12, Bottom: 10},
			FillColor: drawing.ColorWhite,
		},
		Canvas: gochart.Style{FillColor: drawing.ColorWhite},
		// Unused, but go-chart draws it unless hidden: ticks and grid
		// lines at y ≈ −9.2e18 (its zero range divides by zero).
		YAxisSecondary: gochart.YAxis{Style: gochart.Style{Hidden: true}},
	}
	if len(rows) > 0 {
		c.Elements = []gochart.Renderable{legendRenderable(rows)}
	}
	return c
}

func xAxis(f format, name string, a axis) gochart.XAxis {
	return gochart.XAxis{
		Name:           text(f, name),
		NameStyle:      gochart.Style{FontSize: 11},
		Style:          gochart.Style{FontSize: axisFontSize, StrokeColor: drawing.ColorFromHex("555555"), StrokeWidth: 1, FontColor: drawing.ColorFromHex("333333")},
		Range:          &gochart.ContinuousRange{Min: a.lo, Max: a.hi},
		Ticks:          a.ticks,
		GridMajorStyle: gridStyle,
		GridLines:      gridLines(a),
	}
}

func yAxis(f format, name string, a axis) gochart.YAxis {
	return gochart.YAxis{
		Name:           text(f, name),
		NameStyle:      gochart.Style{FontSize: 11},
		Style:          gochart.Style{FontSize: axisFontSize, StrokeColor: drawing.ColorFromHex("555555"), StrokeWidth: 1, FontColor: drawing.ColorFromHex("333333")},
		Range:          &gochart.ContinuousRange{Min: a.lo, Max: a.hi},
		Ticks:          a.ticks,
		GridMajorStyle: gridStyle,
		GridLines:      gridLines(a),
	}
}

var gridStyle = gochart.Style{StrokeColor: drawing.ColorFromHex("e3e3e3"), StrokeWidth: 1}

func gridLines(a axis) []gochart.GridLine {
	var g []gochart.GridLine
	for _, t := range a.ticks {
		if t.Label == "" {
			continue
		}
		g = append(g, gochart.GridLine{Value: t.Value})
	}
	return g
}

// renderChart renders c in format f.
func renderChart(c gochart.Chart, f format) ([]byte, error) {
	var buf bytes.Buffer
	rp := gochart.RendererProvider(measuringSVG)
	if f == pngFormat {
		rp = gochart.PNG
	}
	if err := c.Render(rp, &buf); err != nil {
		return nil, fmt.Errorf("chart: render: %w", err)
	}
	return buf.Bytes(), nil
}

func size(w, h int) (int, int) {
	if w <= 0 {
		w = DefaultWidth
	}
	if h <= 0 {
		h = DefaultHeight
	}
	return w, h
}

func hex(c string) drawing.Color { return drawing.ColorFromHex(strings.TrimPrefix(c, "#")) }

// text escapes s for go-chart's SVG writer, which copies text verbatim.
func text(f format, s string) string {
	if f != svgFormat {
		return s
	}
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}

// bounds returns the smallest and largest finite values.
func bounds(vs ...[]float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				continue
			}
			lo, hi, ok = math.Min(lo, x), math.Max(hi, x), true
		}
	}
	return lo, hi, ok
}

// finite drops points where x or y is NaN or infinite.
func finite(x, y []float64) ([]float64, []float64) {
	ox, oy := make([]float64, 0, len(x)), make([]float64, 0, len(y))
	for i := range x {
		if math.IsNaN(x[i]) || math.IsInf(x[i], 0) || math.IsNaN(y[i]) || math.IsInf(y[i], 0) {
			continue
		}
		ox, oy = append(ox, x[i]), append(oy, y[i])
	}
	return ox, oy
}

// decimate keeps, for each of about `buckets` equal runs of points, the
// first, minimum and maximum points in their original order, so a dense
// trace keeps its envelope (a square wave stays square) at a fraction of
// the size. Short series are returned unchanged.
func decimate(x, y []float64, buckets int) ([]float64, []float64) {
	if buckets < 1 || len(x) <= 3*buckets {
		return x, y
	}
	ox := make([]float64, 0, 3*buckets+1)
	oy := make([]float64, 0, 3*buckets+1)
	n := len(x)
	last := -1
	for b := 0; b < buckets; b++ {
		i0, i1 := b*n/buckets, (b+1)*n/buckets
		if i0 >= i1 {
			continue
		}
		imin, imax := i0, i0
		for i := i0; i < i1; i++ {
			if y[i] < y[imin] {
				imin = i
			}
			if y[i] > y[imax] {
				imax = i
			}
		}
		idx := []int{i0, imin, imax}
		if imin > imax {
			idx[1], idx[2] = imax, imin
		}
		for _, i := range idx {
			if i != last {
				ox, oy = append(ox, x[i]), append(oy, y[i])
				last = i
			}
		}
	}
	if last != n-1 {
		ox, oy = append(ox, x[n-1]), append(oy, y[n-1])
	}
	return ox, oy
}

// axis is an axis range with its tick marks.
type axis struct {
	lo, hi float64
	ticks  []gochart.Tick
}

// axisTicks returns ticks at a "nice" step (1, 2 or 5 × 10ⁿ) covering
// [lo, hi] with about n intervals. Unless exact, the range is widened to
// whole steps.
func axisTicks(lo, hi float64, n int, exact bool) axis {
	if hi < lo {
		lo, hi = hi, lo
	}
	if hi-lo < 1e-12*math.Max(1, math.Abs(hi)) {
		pad := math.Max(math.Abs(hi)*0.1, 1)
		if lo == 0 {
			lo, hi = 0, pad
		} else {
			lo, hi = lo-pad, hi+pad
		}
	}
	step := niceStep((hi - lo) / float64(n))
	first := math.Ceil(lo/step-1e-9) * step
	if !exact {
		lo = math.Floor(lo/step+1e-9) * step
		hi = math.Ceil(hi/step-1e-9) * step
		first = lo
	}
	dec := decimals(step)
	var ticks []gochart.Tick
	for v := first; v <= hi+step*1e-6; v += step {
		r := math.Round(v/step) * step
		if math.Abs(r) < step*1e-9 {
			r = 0
		}
		ticks = append(ticks, gochart.Tick{Value: r, Label: strconv.FormatFloat(r, 'f', dec, 64)})
	}
	// go-chart sets the axis range to the span of the ticks, so an exact
	// range needs (unlabelled) ticks at both ends.
	if exact {
		if len(ticks) == 0 || ticks[0].Value > lo+step*1e-6 {
			ticks = append([]gochart.Tick{{Value: lo}}, ticks...)
		}
		if ticks[len(ticks)-1].Value < hi-step*1e-6 {
			ticks = append(ticks, gochart.Tick{Value: hi})
		}
	}
	return axis{lo: lo, hi: hi, ticks: ticks}
}

func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	switch m := raw / p; {
	case m <= 1:
		return p
	case m <= 2:
		return 2 * p
	case m <= 5:
		return 5 * p
	default:
		return 10 * p
	}
}

// decimals is the number of decimals that shows every multiple of step.
func decimals(step float64) int {
	d := -int(math.Floor(math.Log10(step) + 1e-9))
	if d < 0 {
		return 0
	}
	return d
}

// legendEntry is one item of the horizontal legend.
type legendEntry struct {
	name   string
	color  string
	dashed bool
	box    bool // a filled square (bars) instead of a line
}

const (
	legendFontSize  = 10
	legendRowHeight = 20
)

// legendWidth is the width of an entry: swatch, gap, text, trailing gap.
func legendWidth(r gochart.Renderer, e legendEntry) int {
	sw := 28
	if e.box {
		sw = 16
	}
	return sw + r.MeasureText(e.name).Width() + 18
}

func legendRenderer() (gochart.Renderer, error) {
	r, err := measuringSVG(10, 10)
	if err != nil {
		return nil, err
	}
	font, err := gochart.GetDefaultFont()
	if err != nil {
		return nil, err
	}
	r.SetFont(font)
	r.SetFontSize(legendFontSize)
	return r, nil
}

// layoutLegend splits entries into rows no wider than width pixels.
func layoutLegend(entries []legendEntry, width int) [][]legendEntry {
	if len(entries) == 0 {
		return nil
	}
	r, err := legendRenderer()
	if err != nil {
		return [][]legendEntry{entries}
	}
	var rows [][]legendEntry
	var row []legendEntry
	x := 0
	for _, e := range entries {
		lw := legendWidth(r, e)
		if len(row) > 0 && x+lw > width {
			rows, row, x = append(rows, row), nil, 0
		}
		row = append(row, e)
		x += lw
	}
	return append(rows, row)
}

// legendRenderable draws the legend rows above the plot area, where they
// never hide data.
func legendRenderable(rows [][]legendEntry) gochart.Renderable {
	return func(r gochart.Renderer, cb gochart.Box, defaults gochart.Style) {
		st := gochart.Style{FontSize: legendFontSize, FontColor: drawing.ColorFromHex("222222"), Font: defaults.Font}
		if st.Font == nil {
			st.Font, _ = gochart.GetDefaultFont()
		}
		// go-chart leaves the Y axis name's rotation set.
		r.ClearTextRotation()
		for k, row := range rows {
			x := cb.Left
			y := cb.Top - 12 - legendRowHeight*(len(rows)-1-k)
			for _, e := range row {
				c := hex(e.color)
				if e.box {
					gochart.Draw.Box(r, gochart.Box{Left: x, Top: y - 6, Right: x + 12, Bottom: y + 6}, gochart.Style{FillColor: c, StrokeColor: c, StrokeWidth: 1})
					x += 16
				} else {
					r.SetStrokeColor(c)
					r.SetStrokeWidth(2.5)
					if e.dashed {
						r.SetStrokeDashArray([]float64{6, 4})
					} else {
						r.SetStrokeDashArray(nil)
					}
					r.MoveTo(x, y)
					r.LineTo(x+24, y)
					r.Stroke()
					r.SetStrokeDashArray(nil)
					x += 28
				}
				st.WriteTextOptionsToRenderer(r)
				tb := r.MeasureText(e.name)
				r.Text(e.name, x, y+tb.Height()/2)
				x += tb.Width() + 18
			}
		}
	}
}

// errorBars is a go-chart series that draws a vertical bar with caps from
// lo to hi at each x.
type errorBars struct {
	x, lo, hi []float64
	color     string
	// dodge shifts the bars this many pixels to the right.
	dodge int
}

func (e errorBars) GetName() string             { return "" }
func (e errorBars) GetYAxis() gochart.YAxisType { return gochart.YAxisPrimary }
func (e errorBars) GetStyle() gochart.Style     { return gochart.Style{} }
func (e errorBars) Validate() error             { return nil }

func (e errorBars) Render(r gochart.Renderer, cb gochart.Box, xr, yr gochart.Range, _ gochart.Style) {
	r.SetStrokeColor(hex(e.color))
	r.SetStrokeWidth(1.5)
	r.SetStrokeDashArray(nil)
	for i := range e.x {
		x, lo, hi := e.x[i], e.lo[i], e.hi[i]
		if math.IsNaN(x) || math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			continue
		}
		px := cb.Left + xr.Translate(x) + e.dodge
		y0, y1 := cb.Bottom-yr.Translate(lo), cb.Bottom-yr.Translate(hi)
		r.MoveTo(px, y0)
		r.LineTo(px, y1)
		r.MoveTo(px-4, y0)
		r.LineTo(px+4, y0)
		r.MoveTo(px-4, y1)
		r.LineTo(px+4, y1)
		r.Stroke()
	}
}
