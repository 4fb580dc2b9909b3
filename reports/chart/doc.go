// Package chart draws the report's figures with github.com/wcharczuk/go-chart/v2
// and returns them as SVG or PNG bytes. It takes plain series (no harness
// types) so it can be tested on its own.
//
// Three kinds of figure cover the report:
//
//   - Line: one or more x/y series on shared axes (success rate vs ε,
//     success vs queries, accuracy vs SNR).
//   - Bars: grouped bars, one group per category (per-class success rate
//     of each attack).
//   - Trace: an ECG overlay stacked over its perturbation, two panels on
//     one time axis (original and adversarial in mV, the difference in µV).
//
// Every figure has labelled axes (callers put the unit in the label, e.g.
// "Time (s)"), a legend above the plot area and "nice" tick values (1, 2
// or 5 × 10ⁿ). go-chart puts its primary Y axis on the right; we keep it
// there rather than use the secondary axis, whose SVG output leaves stray
// labels (go-chart v2.1.2). Two quantities with different units are drawn
// as two stacked panels instead of on two Y axes.
//
// go-chart writes SVG text without escaping it; this package escapes every
// label it hands to go-chart in SVG mode.
package chart
