package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/engine"
)

// Format is an output format of Write.
type Format string

// Formats Write knows.
const (
	JSON     Format = "json"     // results.json
	Timings  Format = "timings"  // timings.json
	HTML     Format = "html"     // report.html
	JUnit    Format = "junit"    // junit.xml
	Markdown Format = "markdown" // summary.md
)

// Formats lists every format in the order WriteAll writes them.
var Formats = []Format{JSON, Timings, HTML, JUnit, Markdown}

// File names WriteAll uses in the output directory.
const (
	ResultsFile  = "results.json"
	TimingsFile  = "timings.json"
	HTMLFile     = "report.html"
	JUnitFile    = "junit.xml"
	MarkdownFile = "summary.md"
	ManifestFile = "manifest.json"
)

// FileName returns the file WriteAll writes format f to.
func (f Format) FileName() string {
	switch f {
	case JSON:
		return ResultsFile
	case Timings:
		return TimingsFile
	case HTML:
		return HTMLFile
	case JUnit:
		return JUnitFile
	case Markdown:
		return MarkdownFile
	}
	return ""
}

// isOutputName reports whether name is the file of some format.
func isOutputName(name string) bool {
	for _, f := range Formats {
		if f.FileName() == name {
			return true
		}
	}
	return false
}

// ErrUnknownFormat is returned for a format Write does not know.
var ErrUnknownFormat = errors.New("report: unknown format")

// ParseFormat returns the format named s.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("%w %q (known: %s)", ErrUnknownFormat, s, strings.Join(names, ", "))
}

// Options are what a report needs besides the Result. The zero value is
// usable: the clock is time.Now and the version the one in the results.
type Options struct {
	// Now is the clock for time stamps (JUnit, HTML foot, manifest).
	Now func() time.Time
	// Version is the harness version rendering the report; empty means
	// the version recorded in the results.
	Version string
	// Command is the command line that replays the run (os.Args of
	// `ecgrobust run`), recorded in manifest.json.
	Command []string
	// WorkDir is the directory Command runs in and relative input paths
	// start from; empty means the current directory.
	WorkDir string
	// Inputs are the files the run read (spec, plugin binary, data
	// files), hashed into manifest.json.
	Inputs []Input
	// Attachments are extra files written into the bundle and hashed
	// (e.g. a copy of the spec).
	Attachments []Attachment
	// BuildInfo supplies module versions and the VCS revision; nil means
	// runtime/debug.ReadBuildInfo.
	BuildInfo func() (*debug.BuildInfo, bool)
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now().UTC()
	}
	return o.Now().UTC()
}

func (o Options) version(r *engine.Result) string {
	if o.Version != "" {
		return o.Version
	}
	return r.Run.HarnessVersion
}

// Write renders r in format f to w with default Options.
func Write(w io.Writer, r *engine.Result, f Format) error {
	return Options{}.Write(w, r, f)
}

// Write renders r in format f to w.
func (o Options) Write(w io.Writer, r *engine.Result, f Format) error {
	if r == nil {
		return errors.New("report: nil result")
	}
	switch f {
	case JSON:
		return writeJSON(w, r)
	case Timings:
		return writeTimings(w, r)
	case HTML:
		return o.writeHTML(w, r)
	case JUnit:
		return o.writeJUnit(w, r)
	case Markdown:
		return writeMarkdown(w, r)
	}
	_, err := ParseFormat(string(f))
	return err
}

// WriteAll writes every format and manifest.json into dir, creating it
// if needed, and returns the manifest. timings.json is written only when
// r has timings. Each file is written to a temporary name and renamed, so
// a crash never leaves a half-written file under the final name.
func WriteAll(dir string, r *engine.Result, o Options) (*Manifest, error) {
	if r == nil {
		return nil, errors.New("report: nil result")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	for _, a := range o.Attachments {
		if a.Name == "" || a.Name != filepath.Base(a.Name) || a.Name == ManifestFile || isOutputName(a.Name) {
			return nil, fmt.Errorf("report: attachment name %q must be a plain file name other than the reports'", a.Name)
		}
		if err := writeFile(filepath.Join(dir, a.Name), a.Data); err != nil {
			return nil, err
		}
	}
	var outputs []string
	for _, f := range Formats {
		if f == Timings && r.Timings == nil {
			continue
		}
		var buf bytes.Buffer
		if err := o.Write(&buf, r, f); err != nil {
			return nil, fmt.Errorf("render %s: %w", f.FileName(), err)
		}
		if err := writeFile(filepath.Join(dir, f.FileName()), buf.Bytes()); err != nil {
			return nil, err
		}
		outputs = append(outputs, f.FileName())
	}
	m, err := o.manifest(dir, r, outputs)
	if err != nil {
		return nil, err
	}
	b, err := m.encode()
	if err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, ManifestFile), b); err != nil {
		return nil, err
	}
	return m, nil
}

// writeFile writes b to path through a temporary file and a rename.
func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
