package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"math"
	"regexp"
	"strconv"
)

// Trace is an ECG overlay: the original and adversarial signals in mV on
// top, the perturbation in µV in a panel below, on one time axis.
type Trace struct {
	// Time holds each sample's time in seconds.
	Time []float64
	// Original and Adversarial are in mV.
	Original, Adversarial []float64
	// PerturbationUV is Adversarial − Original in µV.
	PerturbationUV []float64
	// OriginalName and AdversarialName label the legend; empty names
	// default to "original" and "adversarial".
	OriginalName, AdversarialName string
	// EpsilonUV, when positive, draws the ±ε budget as dashed lines in the
	// perturbation panel.
	EpsilonUV float64
	Width     int
	// TopHeight and BottomHeight are the panel heights in pixels.
	TopHeight, BottomHeight int
}

// SVG renders t as one SVG document holding both panels.
func (t Trace) SVG() ([]byte, error) {
	top, bottom, err := t.panels()
	if err != nil {
		return nil, err
	}
	a, err := top.SVG()
	if err != nil {
		return nil, fmt.Errorf("chart: trace signal panel: %w", err)
	}
	b, err := bottom.SVG()
	if err != nil {
		return nil, fmt.Errorf("chart: trace perturbation panel: %w", err)
	}
	w := top.Width
	h1, h2 := top.Height, bottom.Height
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 %d %d">`, w, h1+h2)
	buf.Write(nest(a, 0, w, h1))
	buf.Write(nest(b, h1, w, h2))
	buf.WriteString("</svg>")
	return buf.Bytes(), nil
}

var svgOpen = regexp.MustCompile(`^<svg [^>]*>`)

// nest turns a go-chart SVG document into an <svg> element placed at y.
func nest(doc []byte, y, w, h int) []byte {
	open := fmt.Sprintf(`<svg x="0" y="%d" width="%d" height="%d" viewBox="0 0 %d %d">`, y, w, h, w, h)
	return svgOpen.ReplaceAll(doc, []byte(open))
}

// PNG renders t as one PNG image holding both panels.
func (t Trace) PNG() ([]byte, error) {
	top, bottom, err := t.panels()
	if err != nil {
		return nil, err
	}
	var imgs []image.Image
	for _, p := range []Line{top, bottom} {
		b, err := p.PNG()
		if err != nil {
			return nil, err
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("chart: decode panel: %w", err)
		}
		imgs = append(imgs, img)
	}
	b0, b1 := imgs[0].Bounds(), imgs[1].Bounds()
	out := image.NewRGBA(image.Rect(0, 0, max(b0.Dx(), b1.Dx()), b0.Dy()+b1.Dy()))
	draw.Draw(out, image.Rect(0, 0, b0.Dx(), b0.Dy()), imgs[0], b0.Min, draw.Src)
	draw.Draw(out, image.Rect(0, b0.Dy(), b1.Dx(), b0.Dy()+b1.Dy()), imgs[1], b1.Min, draw.Src)
	var buf bytes.Buffer
	if err := png.Encode(&buf, out); err != nil {
		return nil, fmt.Errorf("chart: encode trace: %w", err)
	}
	return buf.Bytes(), nil
}

// panels builds the two stacked line charts with aligned plot areas.
func (t Trace) panels() (top, bottom Line, err error) {
	n := len(t.Time)
	if n < 2 {
		return Line{}, Line{}, errNoData
	}
	if len(t.Original) != n || len(t.Adversarial) != n || len(t.PerturbationUV) != n {
		return Line{}, Line{}, fmt.Errorf("chart: trace lengths differ: time %d, original %d, adversarial %d, perturbation %d",
			n, len(t.Original), len(t.Adversarial), len(t.PerturbationUV))
	}
	on, an := t.OriginalName, t.AdversarialName
	if on == "" {
		on = "original"
	}
	if an == "" {
		an = "adversarial"
	}
	w := t.Width
	if w <= 0 {
		w = DefaultWidth
	}
	h1, h2 := t.TopHeight, t.BottomHeight
	if h1 <= 0 {
		h1 = 260
	}
	if h2 <= 0 {
		h2 = 190
	}
	xr := &[2]float64{t.Time[0], t.Time[n-1]}
	top = Line{
		XLabel: "Time (s)",
		YLabel: "Amplitude (mV)",
		Width:  w, Height: h1,
		XRange: xr,
		Series: []Series{
			{Name: on, X: t.Time, Y: t.Original, Color: "#222222", Width: 1.5},
			{Name: an, X: t.Time, Y: t.Adversarial, Color: "#D55E00", Width: 1.2},
		},
	}
	bottom = Line{
		XLabel: "Time (s)",
		YLabel: "Perturbation (µV)",
		Width:  w, Height: h2,
		XRange: xr,
		Series: []Series{{Name: "adversarial − original", X: t.Time, Y: t.PerturbationUV, Color: "#0072B2", Width: 1.2}},
	}
	if t.EpsilonUV > 0 {
		e := t.EpsilonUV
		lim := &[2]float64{-e * 1.25, e * 1.25}
		pad := 0.0
		if lo, hi, ok := bounds(t.PerturbationUV); ok {
			pad = math.Max(math.Abs(lo), math.Abs(hi))
		}
		if pad > e*1.25 {
			lim = &[2]float64{-pad * 1.1, pad * 1.1}
		}
		bottom.YRange = lim
		label := "±ε = " + strconv.FormatFloat(e, 'g', -1, 64) + " µV"
		ends := []float64{t.Time[0], t.Time[n-1]}
		bottom.Series = append(bottom.Series,
			Series{Name: label, X: ends, Y: []float64{e, e}, Color: "#777777", Dashed: true, Width: 1},
			Series{X: ends, Y: []float64{-e, -e}, Color: "#777777", Dashed: true, Width: 1},
		)
	}
	// Align the two plot areas: go-chart sizes the canvas from the widest
	// Y tick label, so give both panels labels of the same width.
	wt, wb := top.tickLabelWidth(), bottom.tickLabelWidth()
	top.padRight, bottom.padRight = max(wt, wb)-wt, max(wt, wb)-wb
	return top, bottom, nil
}
