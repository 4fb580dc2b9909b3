// Package report renders an engine.Result as the files a run leaves in
// its --out directory:
//
//	results.json   the deterministic results (schema in reports/SCHEMA.md)
//	timings.json   wall-clock figures, kept out of results.json
//	report.html    one self-contained page with inline SVG charts
//	junit.xml      one testcase per criterion, for CI systems
//	summary.md     a short Markdown table for a pull-request comment
//	manifest.json  the evidence bundle: hashes of every input and output,
//	               build identity and the command line to replay the run
//
// Write renders one format to a writer; WriteAll writes the whole
// directory. The clock and the version are injected through Options, so
// golden files are stable byte for byte. Verify re-checks a bundle's
// hashes.
//
// Like conftest's output package, one file per format; unlike it, an
// unknown format is an error, never a silent fallback.
package report
