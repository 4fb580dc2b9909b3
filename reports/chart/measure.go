package chart

import (
	"sync"

	"github.com/golang/freetype/truetype"
	gochart "github.com/wcharczuk/go-chart/v2"
)

// go-chart's SVG renderer builds a new truetype face (with a glyph mask of
// several MB) for every MeasureText call, and a chart measures every tick
// label and legend entry several times: rendering a report's overlays
// allocated ~400 MB. measuringSVG wraps that renderer and remembers each
// measurement; the output is byte for byte the same.

type measureKey struct {
	font    *truetype.Font
	size    float64
	dpi     float64
	rotated bool
	theta   float64
	text    string
}

var measured = struct {
	sync.Mutex
	m map[measureKey]gochart.Box
}{m: map[measureKey]gochart.Box{}}

// measureCacheLimit bounds the cache; it is cleared when full.
const measureCacheLimit = 1 << 14

type measuringRenderer struct {
	gochart.Renderer
	font    *truetype.Font
	size    float64
	rotated bool
	theta   float64
}

// measuringSVG is a gochart.RendererProvider: the SVG renderer with cached
// text measurement.
func measuringSVG(width, height int) (gochart.Renderer, error) {
	r, err := gochart.SVG(width, height)
	if err != nil {
		return nil, err
	}
	return &measuringRenderer{Renderer: r}, nil
}

func (m *measuringRenderer) ResetStyle() {
	m.size = 0 // the font survives a reset, the size does not
	m.Renderer.ResetStyle()
}

func (m *measuringRenderer) SetFont(f *truetype.Font) {
	m.font = f
	m.Renderer.SetFont(f)
}

func (m *measuringRenderer) SetFontSize(size float64) {
	m.size = size
	m.Renderer.SetFontSize(size)
}

func (m *measuringRenderer) SetTextRotation(radians float64) {
	m.rotated, m.theta = true, radians
	m.Renderer.SetTextRotation(radians)
}

func (m *measuringRenderer) ClearTextRotation() {
	m.rotated, m.theta = false, 0
	m.Renderer.ClearTextRotation()
}

func (m *measuringRenderer) MeasureText(body string) gochart.Box {
	if m.font == nil {
		return m.Renderer.MeasureText(body)
	}
	k := measureKey{font: m.font, size: m.size, dpi: m.GetDPI(), rotated: m.rotated, theta: m.theta, text: body}
	measured.Lock()
	b, ok := measured.m[k]
	measured.Unlock()
	if ok {
		return b
	}
	b = m.Renderer.MeasureText(body)
	measured.Lock()
	if len(measured.m) >= measureCacheLimit {
		clear(measured.m)
	}
	measured.m[k] = b
	measured.Unlock()
	return b
}
