// Package report renders an engine.Result as the files a run leaves in
// its --out directory:
//
//	results.json   the deterministic results (schema in reports/SCHEMA.md)
//	timings.json   wall-clock figures, kept out of results.json
//	report.html    one self-contained page with inline SVG charts
//	junit.xml      one testcase per criterion, for CI systems
//	summary.md     a short Markdown table for a pull-request comment
//	manifest.json  the evidence bundle: hashes of every input, attachment
//	               and output, build identity and the command line that
//	               replays the run
//
// Write renders one format to a writer; WriteAll writes the whole
// directory. The clock, the version and the build information are
// injected through Options, so golden files are stable byte for byte
// (`make golden` rewrites them). ReadResults reads results.json back,
// strictly; Verify and VerifyWith re-check a bundle's hashes.
//
// One file per format (json.go, junit.go, markdown.go, html.go with
// figures.go and templates/, manifest.go), like conftest's output
// package; unlike it, an unknown format is an error, never a silent
// fallback. The charts come from reports/chart.
package report
