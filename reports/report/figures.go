// Figures: the charts of report.html, built from a Result with
// reports/chart.

package report

import (
	"fmt"
	"html/template"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/reports/chart"
)

var idUnsafe = regexp.MustCompile(`[^a-z0-9]+`)

func figureID(parts ...string) string {
	return strings.Trim(idUnsafe.ReplaceAllString(strings.ToLower(strings.Join(parts, "-")), "-"), "-")
}

// svgRenderer is any chart that renders to SVG.
type svgRenderer interface{ SVG() ([]byte, error) }

func draw(id, title, caption string, c svgRenderer) figure {
	f := figure{ID: id, Title: title, Caption: caption}
	b, err := c.SVG()
	if err != nil {
		f.Err = err.Error()
		return f
	}
	f.SVG = template.HTML(b) // produced by reports/chart, which escapes its text
	return f
}

// group is attacks of one kind (type, gradient source, target).
func attackGroup(a engine.AttackSummary) string { return attackKind(a) }

// epsilonFigures draws success rate against ε for every kind of attack
// with a budget, with its 95 % confidence bounds dashed.
func epsilonFigures(r *engine.Result) []figure {
	type pt struct{ eps, rate, lo, hi float64 }
	groups := map[string][]pt{}
	var order []string
	for _, a := range r.Attacks {
		rate, ok := a.Metrics["success_rate"]
		if !ok || a.EpsilonUV <= 0 {
			continue
		}
		k := attackGroup(a)
		if _, seen := groups[k]; !seen {
			order = append(order, k)
		}
		lo, okl := a.Metrics["success_rate_ci_low"]
		hi, okh := a.Metrics["success_rate_ci_high"]
		if !okl || !okh {
			lo, hi = math.NaN(), math.NaN()
		}
		groups[k] = append(groups[k], pt{a.EpsilonUV, rate, lo, hi})
	}
	var figs []figure
	// Explicit curves from the engine take precedence over points built
	// from the summaries.
	l := chart.Line{XLabel: "ε, L∞ budget (µV)", YLabel: "Success rate", YRange: &[2]float64{0, 1}, Width: figureWidth}
	for i, k := range order {
		pts := groups[k]
		slices.SortFunc(pts, func(a, b pt) int { return cmpFloat(a.eps, b.eps) })
		color := chart.Palette[i%len(chart.Palette)]
		var x, y, lo, hi []float64
		for _, p := range pts {
			x, y, lo, hi = append(x, p.eps), append(y, p.rate), append(lo, p.lo), append(hi, p.hi)
		}
		sr := chart.Series{Name: k, X: x, Y: y, Color: color, Dots: true, Width: 2}
		if !allNaN(lo) {
			sr.Low, sr.High = lo, hi
		}
		l.Series = append(l.Series, sr)
	}
	if len(l.Series) > 0 {
		figs = append(figs, draw("success-vs-epsilon", "Attack success rate vs perturbation budget ε",
			"Fraction of correctly classified records whose label the attack changed, by L∞ budget. Bars: Wilson 95 % confidence intervals.", l))
	}
	for _, a := range r.Attacks {
		for _, c := range a.Curves {
			if curveKind(c) == "epsilon" {
				figs = append(figs, curveFigure(a.ID, []engine.Curve{c}, nil))
			}
		}
	}
	return figs
}

// extent returns the least and greatest of v.
func extent(v []float64) (lo, hi float64, ok bool) {
	if len(v) == 0 {
		return 0, 0, false
	}
	lo, hi = v[0], v[0]
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi, true
}

// prettyName turns an identifier-like curve name into words.
func prettyName(s string) string { return strings.ReplaceAll(s, "_", " ") }

func allNaN(v []float64) bool {
	for _, x := range v {
		if !math.IsNaN(x) {
			return false
		}
	}
	return true
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// curveKind sorts curves into the page's sections by their labels.
func curveKind(c engine.Curve) string {
	s := strings.ToLower(c.Name + " " + c.XLabel)
	switch {
	case strings.Contains(s, "quer"):
		return "queries"
	case strings.Contains(s, "snr"):
		return "snr"
	case strings.Contains(s, "epsilon") || strings.Contains(s, "ε"):
		return "epsilon"
	}
	return "other"
}

// curveFigure draws curves that share axes, plus optional reference lines.
func curveFigure(attack string, cs []engine.Curve, refs []chart.Series) figure {
	l := chart.Line{XLabel: cs[0].XLabel, YLabel: cs[0].YLabel, Width: figureWidth}
	unit := true
	for _, c := range cs {
		for _, v := range c.Y {
			if v < 0 || v > 1 {
				unit = false
			}
		}
	}
	yl := strings.ToLower(cs[0].YLabel)
	if unit && (strings.Contains(yl, "rate") || strings.Contains(yl, "accuracy") || strings.Contains(yl, "fraction")) {
		l.YRange = &[2]float64{0, 1}
	}
	for _, c := range cs {
		l.Series = append(l.Series, chart.Series{Name: prettyName(c.Name), X: c.X, Y: c.Y, Dots: len(c.X) <= 30, Width: 2})
	}
	l.Series = append(l.Series, refs...)
	title := cs[0].YLabel + " vs " + cs[0].XLabel + ": " + attack
	if len(cs) == 1 {
		title = prettyName(cs[0].Name) + ": " + attack
	}
	return draw(figureID("curve", attack, cs[0].Name), title, "", l)
}

// queryFigures draws success against queries for black-box attacks, with
// the white-box success rate of the same attack type and budget dashed.
func queryFigures(r *engine.Result) []figure {
	var figs []figure
	for _, a := range r.Attacks {
		var cs []engine.Curve
		for _, c := range a.Curves {
			if curveKind(c) == "queries" {
				cs = append(cs, c)
			}
		}
		// White-box attacks also count queries (their gradient steps),
		// but the trade-off matters only where queries are the cost.
		blackBox := isBlackBox(a) || (a.Gradient == "" && !r.Run.Model.InputGradient)
		if len(cs) == 0 || !blackBox {
			continue
		}
		// Success at 0 queries is 0: start the curve there, so a curve
		// whose successes all came at one query count is still a line.
		for i, c := range cs {
			if len(c.X) > 0 && c.X[0] > 0 {
				cs[i].X = append([]float64{0}, c.X...)
				cs[i].Y = append([]float64{0}, c.Y...)
			}
		}
		var refs []chart.Series
		for _, b := range r.Attacks {
			rate, ok := b.Metrics["success_rate"]
			if b.ID == a.ID || !ok || b.Type != a.Type || b.EpsilonUV != a.EpsilonUV || b.Target != a.Target || isBlackBox(b) {
				continue
			}
			lo, hi, ok := xBounds(cs)
			if !ok {
				continue
			}
			refs = append(refs, chart.Series{Name: "white-box " + b.ID, X: []float64{lo, hi}, Y: []float64{rate, rate}, Color: "#555555", Dashed: true, Width: 1.5})
		}
		f := curveFigure(a.ID, cs, refs)
		f.Title = "Success rate vs queries per record: " + a.ID + " (" + attackKind(a) + ")"
		f.Caption = "Black-box attack with a finite-difference gradient estimate; every signal sent to the model counts as a query."
		if a.Gradient == attack.SourceSearch {
			f.Caption = "Black-box random search (no gradient, not even an estimate); every signal sent to the model counts as a query."
		}
		figs = append(figs, f)
	}
	return figs
}

func xBounds(cs []engine.Curve) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, c := range cs {
		for _, x := range c.X {
			lo, hi, ok = math.Min(lo, x), math.Max(hi, x), true
		}
	}
	return lo, hi, ok
}

// noiseFigures draws accuracy against SNR for noise-stress attacks, from
// their curves or, failing those, from "accuracy_<noise>_<snr>" metrics.
func noiseFigures(r *engine.Result) []figure {
	var figs []figure
	for _, a := range r.Attacks {
		var cs []engine.Curve
		for _, c := range a.Curves {
			if curveKind(c) == "snr" {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 && a.Type == "noise-stress" {
			cs = noiseCurvesFromMetrics(a.Metrics)
		}
		if len(cs) == 0 {
			continue
		}
		var refs []chart.Series
		if acc, ok := r.Metrics["clean_accuracy"]; ok {
			if lo, hi, ok := xBounds(cs); ok {
				refs = append(refs, chart.Series{Name: "clean accuracy", X: []float64{lo, hi}, Y: []float64{acc, acc}, Color: "#555555", Dashed: true, Width: 1.5})
			}
		}
		f := curveFigure(a.ID, cs, refs)
		f.Title = "Accuracy vs signal-to-noise ratio: " + a.ID
		f.Caption = "Accuracy on records with recorded noise added at each SNR (dB); lower SNR is more noise. Dashed: accuracy without noise."
		figs = append(figs, f)
	}
	return figs
}

var noiseMetric = regexp.MustCompile(`^accuracy_([a-z0-9]+)_(m?[0-9]+(?:p[0-9]+)?)$`)

func noiseCurvesFromMetrics(m map[string]float64) []engine.Curve {
	by := map[string]*engine.Curve{}
	var names []string
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		s := noiseMetric.FindStringSubmatch(k)
		if s == nil {
			continue
		}
		snr, err := strconv.ParseFloat(strings.ReplaceAll(strings.ReplaceAll(s[2], "m", "-"), "p", "."), 64)
		if err != nil {
			continue
		}
		c := by[s[1]]
		if c == nil {
			c = &engine.Curve{Name: s[1], XLabel: "SNR (dB)", YLabel: "Accuracy"}
			by[s[1]] = c
			names = append(names, s[1])
		}
		c.X = append(c.X, snr)
		c.Y = append(c.Y, m[k])
	}
	var out []engine.Curve
	for _, n := range names {
		c := by[n]
		idx := make([]int, len(c.X))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return cmpFloat(c.X[a], c.X[b]) })
		sorted := engine.Curve{Name: c.Name, XLabel: c.XLabel, YLabel: c.YLabel}
		for _, i := range idx {
			sorted.X, sorted.Y = append(sorted.X, c.X[i]), append(sorted.Y, c.Y[i])
		}
		out = append(out, sorted)
	}
	return out
}

func otherFigures(r *engine.Result) []figure {
	var figs []figure
	for _, a := range r.Attacks {
		for _, c := range a.Curves {
			if curveKind(c) == "other" {
				figs = append(figs, curveFigure(a.ID, []engine.Curve{c}, nil))
			}
		}
	}
	return figs
}

// classOrder returns the model's classes, then any other label seen, so
// tables and bars keep one order.
func classOrder(r *engine.Result, seen map[string]bool) []string {
	var out []string
	for _, c := range r.Run.Model.Classes {
		if seen[c] {
			out = append(out, c)
		}
	}
	var extra []string
	for c := range seen {
		if !slices.Contains(out, c) {
			extra = append(extra, c)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

// maxLabelledBars is the most bars a chart writes values on; more would
// overlap at 100 % zoom.
const maxLabelledBars = 16

func perClassFigures(r *engine.Result) []figure {
	seen := map[string]bool{}
	var attacks []engine.AttackSummary
	for _, a := range r.Attacks {
		has := false
		for c, m := range a.PerClass {
			if _, ok := m["success_rate"]; ok {
				seen[c], has = true, true
			}
		}
		if has {
			attacks = append(attacks, a)
		}
	}
	if len(attacks) == 0 {
		return nil
	}
	classes := classOrder(r, seen)
	// Headroom above 1 keeps the value labels clear of the legend.
	b := chart.Bars{Categories: classes, XLabel: "True class", YLabel: "Success rate", YRange: &[2]float64{0, 1.1}, Labels: 2, Width: figureWidth}
	if len(classes)*len(attacks) > maxLabelledBars {
		b.Labels = -1
		b.YRange = &[2]float64{0, 1}
	}
	for _, a := range attacks {
		s := chart.BarSeries{Name: a.ID}
		for _, c := range classes {
			v, ok := a.PerClass[c]["success_rate"]
			if !ok {
				v = math.NaN()
			}
			s.Values = append(s.Values, v)
		}
		b.Series = append(b.Series, s)
	}
	figs := []figure{draw("per-class-success", "Success rate by true class",
		"For each attack, the fraction of correctly classified records of each class whose label the attack changed. A missing bar: no attacked record of that class.", b)}
	if f, ok := perClassAccuracy(r, classes); ok {
		figs = append(figs, f)
	}
	return figs
}

// perClassAccuracy draws, per true class, the clean accuracy next to the
// accuracy left after each attack (the engine's per-class clean_accuracy
// and robust_accuracy).
func perClassAccuracy(r *engine.Result, classes []string) (figure, bool) {
	var clean []float64
	var series []chart.BarSeries
	for _, a := range r.Attacks {
		s := chart.BarSeries{Name: "after " + a.ID}
		any := false
		for i, c := range classes {
			if clean == nil {
				clean = make([]float64, len(classes))
				for j := range clean {
					clean[j] = math.NaN()
				}
			}
			if v, ok := a.PerClass[c]["clean_accuracy"]; ok && math.IsNaN(clean[i]) {
				clean[i] = v
			}
			v, ok := a.PerClass[c]["robust_accuracy"]
			if !ok {
				v = math.NaN()
			} else {
				any = true
			}
			s.Values = append(s.Values, v)
		}
		if any {
			series = append(series, s)
		}
	}
	if len(series) == 0 || allNaN(clean) {
		return figure{}, false
	}
	b := chart.Bars{Categories: classes, XLabel: "True class", YLabel: "Accuracy", YRange: &[2]float64{0, 1.1}, Labels: 2, Width: figureWidth,
		Series: append([]chart.BarSeries{{Name: "clean", Values: clean, Color: "#555555"}}, series...)}
	for i := range b.Series[1:] {
		b.Series[i+1].Color = chart.Palette[i%len(chart.Palette)]
	}
	if len(classes)*len(b.Series) > maxLabelledBars {
		b.Labels = -1
		b.YRange = &[2]float64{0, 1}
	}
	return draw("per-class-accuracy", "Accuracy by true class, clean and after each attack",
		"Fraction of the records of each class classified correctly, before any attack (grey) and after each attack.", b), true
}

func flips(r *engine.Result) []flipView {
	var out []flipView
	for _, a := range r.Attacks {
		if len(a.FlipMatrix) == 0 {
			continue
		}
		seen := map[string]bool{}
		for t, row := range a.FlipMatrix {
			seen[t] = true
			for c := range row {
				seen[c] = true
			}
		}
		classes := classOrder(r, seen)
		v := flipView{Attack: a.ID, Classes: classes}
		for _, t := range classes {
			row, ok := a.FlipMatrix[t]
			if !ok {
				continue
			}
			fr := flipRow{True: t}
			for _, c := range classes {
				fr.Total += row[c]
			}
			for _, c := range classes {
				n := row[c]
				shade := 0.0
				if fr.Total > 0 {
					shade = float64(n) / float64(fr.Total)
				}
				// Grey (unchanged) stays light enough for dark digits.
				alpha := shade * 0.85
				if c == t {
					alpha = shade * 0.45
				}
				fr.Cells = append(fr.Cells, flipCell{N: n, Diagonal: c == t, Shade: strconv.FormatFloat(alpha, 'f', 2, 64)})
			}
			v.Rows = append(v.Rows, fr)
		}
		out = append(out, v)
	}
	return out
}

// overlays draws each example as its clean and adversarial trace over the
// perturbation, grouped by record so PGD and SAP sit next to each other.
func overlays(r *engine.Result) []overlayGroup {
	var groups []overlayGroup
	index := map[string]int{}
	for _, ex := range r.Examples {
		key := ex.Record
		i, ok := index[key]
		if !ok {
			i = len(groups)
			index[key] = i
			groups = append(groups, overlayGroup{Record: ex.Record, TrueLabel: ex.TrueLabel})
		}
		groups[i].Items = append(groups[i].Items, overlay(r, ex))
	}
	return groups
}

func overlay(r *engine.Result, ex engine.Example) overlayView {
	var sum *engine.AttackSummary
	for i := range r.Attacks {
		if r.Attacks[i].ID == ex.Attack {
			sum = &r.Attacks[i]
		}
	}
	kind, eps := "", 0.0
	if sum != nil {
		kind, eps = attackKind(*sum), sum.EpsilonUV
	}
	v := overlayView{Title: fmt.Sprintf("%s · %s", ex.Record, ex.Attack)}
	if kind != "" && kind != ex.Attack {
		v.Title += " (" + kind + ")"
	}
	v.Title += fmt.Sprintf(": %s → %s", ex.TrueLabel, ex.AdvLabel)
	id := figureID("overlay", ex.Record, ex.Attack)
	if ex.Rate <= 0 || ex.Gain <= 0 || len(ex.Clean) != len(ex.Adversarial) {
		v.Figure = figure{ID: id, Title: v.Title, Err: fmt.Sprintf("example has rate %v Hz, gain %v adu/mV, %d clean and %d adversarial samples",
			ex.Rate, ex.Gain, len(ex.Clean), len(ex.Adversarial))}
		return v
	}
	t := chart.Trace{EpsilonUV: eps, OriginalName: "original (" + ex.TrueLabel + ")", AdversarialName: "adversarial (" + ex.AdvLabel + ")", Width: figureWidth}
	linf, hf := 0.0, math.NaN()
	for i := range ex.Clean {
		t.Time = append(t.Time, float64(ex.Start-ex.ValidStart+i)/ex.Rate)
		t.Original = append(t.Original, ex.Clean[i]/ex.Gain)
		t.Adversarial = append(t.Adversarial, ex.Adversarial[i]/ex.Gain)
		d := (ex.Adversarial[i] - ex.Clean[i]) * 1000 / ex.Gain
		t.PerturbationUV = append(t.PerturbationUV, d)
		linf = math.Max(linf, math.Abs(d))
	}
	for _, rr := range r.Records {
		if rr.Record == ex.Record && rr.Attack == ex.Attack {
			hf = rr.HighFreqFraction
		}
	}
	v.Figure = draw(id, v.Title, "", t)
	// One second from the middle of the window, where the shape of the
	// perturbation (PGD's square wave, SAP's smooth curve) is visible.
	if n := len(t.Time); v.Figure.Err == "" && n > int(2*ex.Rate) {
		w := int(ex.Rate)
		a := n/2 - w/2
		z := chart.Line{XLabel: "Time (s)", YLabel: "Perturbation (µV)", Width: figureWidth, Height: 170, XRange: &[2]float64{t.Time[a], t.Time[a+w-1]},
			Series: []chart.Series{{Name: "adversarial − original, 1 s", X: t.Time[a : a+w], Y: t.PerturbationUV[a : a+w], Color: "#0072B2", Width: 1.5}}}
		if eps > 0 {
			z.YRange = &[2]float64{-1.25 * eps, 1.25 * eps}
			if lo, hi, ok := extent(t.PerturbationUV[a : a+w]); ok && (lo < -1.25*eps || hi > 1.25*eps) {
				z.YRange = nil
			}
		}
		if b, err := z.SVG(); err == nil {
			v.Figure.Zoom = template.HTML(b) // produced by reports/chart, which escapes its text
			v.Figure.ZoomCaption = fmt.Sprintf("Zoom: the perturbation from %s s to %s s.", num(math.Round(t.Time[a]*100)/100), num(math.Round(t.Time[a+w-1]*100)/100))
		}
	}
	v.Details = fmt.Sprintf("%d samples at %s Hz, %s s after the recording began; largest perturbation in this window %s µV",
		len(ex.Clean), num(ex.Rate), num(float64(ex.Start-ex.ValidStart)/ex.Rate), num(math.Round(linf*100)/100))
	if !math.IsNaN(hf) {
		v.Details += fmt.Sprintf("; %s of the perturbation's energy above 40 Hz (whole record)", pct(hf))
	}
	return v
}
