package chart

import (
	"fmt"
	"math"
	"strconv"

	gochart "github.com/wcharczuk/go-chart/v2"
	"github.com/wcharczuk/go-chart/v2/drawing"
)

// BarSeries is one group member: a value per category.
type BarSeries struct {
	Name string
	// Values has one value per category; NaN leaves a gap.
	Values []float64
	Color  string
}

// Bars is a grouped bar chart: one group per category, one bar per series.
type Bars struct {
	Categories []string
	Series     []BarSeries
	XLabel     string
	YLabel     string
	// YRange fixes the value axis; nil fits [0, max].
	YRange        *[2]float64
	Width, Height int
	// Labels writes each bar's value above it with this many decimals;
	// a negative value writes none.
	Labels int
}

// SVG renders b as an SVG document.
func (b Bars) SVG() ([]byte, error) { return b.render(svgFormat) }

// PNG renders b as a PNG image.
func (b Bars) PNG() ([]byte, error) { return b.render(pngFormat) }

func (b Bars) render(f format) ([]byte, error) {
	if len(b.Categories) == 0 || len(b.Series) == 0 {
		return nil, errNoData
	}
	var vs [][]float64
	for _, s := range b.Series {
		if len(s.Values) != len(b.Categories) {
			return nil, fmt.Errorf("chart: bar series %q has %d values for %d categories", s.Name, len(s.Values), len(b.Categories))
		}
		vs = append(vs, s.Values)
	}
	lo, hi, ok := bounds(vs...)
	if !ok {
		return nil, errNoData
	}
	lo, hi = math.Min(lo, 0), math.Max(hi, 0)
	if b.YRange != nil {
		lo, hi = b.YRange[0], b.YRange[1]
	}
	ya := axisTicks(lo, hi, 8, b.YRange != nil)

	n := len(b.Categories)
	xa := axis{lo: -0.5, hi: float64(n) - 0.5, ticks: []gochart.Tick{{Value: -0.5}}}
	for i, c := range b.Categories {
		xa.ticks = append(xa.ticks, gochart.Tick{Value: float64(i), Label: text(f, c)})
	}
	xa.ticks = append(xa.ticks, gochart.Tick{Value: float64(n) - 0.5})
	w, h := size(b.Width, b.Height)
	var legend []legendEntry
	group := barGroup{labels: b.Labels, f: f}
	for i, s := range b.Series {
		color := s.Color
		if color == "" {
			color = Palette[i%len(Palette)]
		}
		legend = append(legend, legendEntry{name: text(f, s.Name), color: color, box: true})
		group.values = append(group.values, s.Values)
		group.colors = append(group.colors, color)
	}
	c := baseChart(f, w, h, legend)
	c.Series = []gochart.Series{group}
	c.XAxis = xAxis(f, b.XLabel, xa)
	c.XAxis.GridLines = nil
	c.XAxis.TickPosition = gochart.TickPositionUnderTick
	c.YAxis = yAxis(f, b.YLabel, ya)
	return renderChart(c, f)
}

// barGroup is a go-chart series that draws all bars of a grouped chart.
type barGroup struct {
	values [][]float64
	colors []string
	labels int
	f      format
}

func (g barGroup) GetName() string             { return "" }
func (g barGroup) GetYAxis() gochart.YAxisType { return gochart.YAxisPrimary }
func (g barGroup) GetStyle() gochart.Style     { return gochart.Style{} }
func (g barGroup) Validate() error             { return nil }

func (g barGroup) Render(r gochart.Renderer, cb gochart.Box, xr, yr gochart.Range, _ gochart.Style) {
	m := len(g.values)
	width := 0.8 / float64(m)
	base := math.Max(yr.GetMin(), math.Min(0, yr.GetMax()))
	y0 := cb.Bottom - yr.Translate(base)
	font, _ := gochart.GetDefaultFont()
	r.ClearTextRotation() // go-chart leaves the Y axis name's rotation set
	for i, vs := range g.values {
		c := hex(g.colors[i])
		off := (float64(i) - float64(m-1)/2) * width
		for j, v := range vs {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			xc := float64(j) + off
			x0 := cb.Left + xr.Translate(xc-width/2) + 1
			x1 := cb.Left + xr.Translate(xc+width/2) - 1
			y1 := cb.Bottom - yr.Translate(v)
			top, bottom := y1, y0
			if top > bottom {
				top, bottom = bottom, top
			}
			if bottom == top {
				bottom = top + 1
			}
			gochart.Draw.Box(r, gochart.Box{Left: x0, Top: top, Right: x1, Bottom: bottom}, gochart.Style{FillColor: c, StrokeColor: c, StrokeWidth: 1})
			if g.labels >= 0 {
				label := strconv.FormatFloat(v, 'f', g.labels, 64)
				st := gochart.Style{FontSize: 9, FontColor: drawing.ColorFromHex("222222"), Font: font}
				st.WriteTextOptionsToRenderer(r)
				tb := r.MeasureText(label)
				r.Text(label, (x0+x1)/2-tb.Width()/2, top-3)
			}
		}
	}
}
