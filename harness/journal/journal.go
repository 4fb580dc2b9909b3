// Package journal is the crash journal of a run: every (record, attack)
// row is appended as JSON Lines to a file as soon as its batch finishes,
// and the file is fsynced once per batch, so a run killed at any moment
// (kill -9, power loss, an evicted pod) loses at most the batch in flight.
// A resumed run reads the rows back and passes them to engine.Options.Done,
// so finished records are never computed again. Errored rows may be
// retried by the resumed run; the retried row is appended and replaces
// the errored one when the journal is read.
//
// # Format
//
// The first line is a [Header] naming what the rows belong to (spec,
// model and data hashes, seed, shard); every further line is one
// engine.RecordResult encoded with encoding/json, which round-trips
// float64 exactly, so a resumed run's results.json is byte-identical to
// an uninterrupted one.
//
// A kill can tear the last line. [Read] drops a last line that does not
// decode (its row is recomputed) and reports the length of the intact
// prefix; [Resume] cuts the file there before appending. A line that does
// not decode anywhere else is corruption, reported with its line number.
package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ecgrobust/ecgrobust/harness/engine"
)

// Format identifies the journal layout in its header line.
const Format = "ecgrobust.journal/v1"

// File is the journal's name inside a run's output directory.
const File = "journal.jsonl"

// Header identifies the run a journal belongs to. A journal is resumed
// only by a run with an equal header.
type Header struct {
	Format         string        `json:"format"`
	Spec           string        `json:"spec_sha256"`
	Model          string        `json:"model_sha256"`
	Dataset        string        `json:"dataset_sha256"`
	Seed           uint64        `json:"seed"`
	Shard          *engine.Shard `json:"shard,omitempty"`
	HarnessVersion string        `json:"harness_version"`
}

// Mismatch returns nil when h and o describe the same run, else an error
// naming the first field that differs (o is the journal's header).
func (h Header) Mismatch(o Header) error {
	diff := func(field, want, got string) error {
		return fmt.Errorf("journal: the journal's %s is %s, this run's is %s", field, got, want)
	}
	switch {
	case h.Spec != o.Spec:
		return diff("spec sha256", h.Spec, o.Spec)
	case h.Model != o.Model:
		return diff("model sha256", h.Model, o.Model)
	case h.Dataset != o.Dataset:
		return diff("dataset sha256", h.Dataset, o.Dataset)
	case h.Seed != o.Seed:
		return diff("seed", fmt.Sprint(h.Seed), fmt.Sprint(o.Seed))
	case shardString(h.Shard) != shardString(o.Shard):
		return diff("shard", shardString(h.Shard), shardString(o.Shard))
	case h.HarnessVersion != o.HarnessVersion:
		return diff("harness version", h.HarnessVersion, o.HarnessVersion)
	}
	return nil
}

func shardString(s *engine.Shard) string {
	if s == nil {
		return "none (whole run)"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Contents is what Read found in a journal.
type Contents struct {
	Header Header
	// Rows are the intact rows in the order they were written.
	Rows []engine.RecordResult
	// Valid is the byte length of the intact prefix of the file.
	Valid int64
	// Torn is true when a torn last line was dropped.
	Torn bool
}

// Read reads the journal at path. A torn last line is dropped; any other
// undecodable line, or a (record, attack) pair written twice, is an error
// naming the line, unless the earlier row was errored: a resumed run
// retries errored rows, and the later row replaces it.
func Read(path string) (*Contents, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	return read(f, path)
}

func read(r io.Reader, path string) (*Contents, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	c := &Contents{}
	seen := map[[2]string]int{} // → index in c.Rows
	var lines []int             // line of each row of c.Rows
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("journal: read %s: %w", path, err)
		}
		if len(b) == 0 {
			break
		}
		complete := b[len(b)-1] == '\n'
		last := errors.Is(err, io.EOF)
		if line == 1 {
			if !complete {
				return nil, fmt.Errorf("journal: %s:1: torn header line (the run was killed before its first write)", path)
			}
			if err := decode(b, &c.Header); err != nil {
				return nil, fmt.Errorf("journal: %s:1: header: %w", path, err)
			}
			if c.Header.Format != Format {
				return nil, fmt.Errorf("journal: %s:1: format %q, want %q", path, c.Header.Format, Format)
			}
			c.Valid += int64(len(b))
			continue
		}
		var row engine.RecordResult
		if derr := decode(b, &row); derr != nil || !complete {
			if last && !complete {
				c.Torn = true
				break
			}
			if derr == nil {
				derr = errors.New("line not terminated")
			}
			return nil, fmt.Errorf("journal: %s:%d: %w", path, line, derr)
		}
		if row.Record == "" || row.Attack == "" {
			return nil, fmt.Errorf("journal: %s:%d: row without record or attack", path, line)
		}
		key := [2]string{row.Record, row.Attack}
		if prev, ok := seen[key]; ok {
			if c.Rows[prev].Error == "" {
				return nil, fmt.Errorf("journal: %s:%d: record %q attack %q already written at line %d", path, line, row.Record, row.Attack, lines[prev])
			}
			c.Rows[prev] = row // a resumed run retried an errored row
			lines[prev] = line
		} else {
			seen[key] = len(c.Rows)
			lines = append(lines, line)
			c.Rows = append(c.Rows, row)
		}
		c.Valid += int64(len(b))
		if last {
			break
		}
	}
	if c.Header.Format == "" {
		return nil, fmt.Errorf("journal: %s is empty", path)
	}
	return c, nil
}

func decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// Writer appends rows to a journal. It is not safe for concurrent use
// (engine.Options.Sink calls are serialised). After a write or sync error
// every later call returns that error.
type Writer struct {
	path string
	f    *os.File
	w    *bufio.Writer
	err  error
	rows int
	done bool
}

// Create starts a new journal at path with header h, replacing any file
// there, and syncs the header and the directory entry to disk.
func Create(path string, h Header) (*Writer, error) {
	h.Format = Format
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	w := &Writer{path: path, f: f, w: newBuf(f)}
	b, err := json.Marshal(h)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal: encode header: %w", err)
	}
	w.write(append(b, '\n'))
	if err := w.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	// Make the new file's directory entry durable too.
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return w, nil
}

// Resume opens the journal at path for appending after checking that its
// header matches h. It cuts a torn last line off and returns the rows
// already written.
func Resume(path string, h Header) (*Writer, []engine.RecordResult, error) {
	c, err := Read(path)
	if err != nil {
		return nil, nil, err
	}
	if err := h.Mismatch(c.Header); err != nil {
		return nil, nil, fmt.Errorf("%w: %s belongs to another run", err, path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	if err := f.Truncate(c.Valid); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("journal: cut torn line of %s: %w", path, err)
	}
	if _, err := f.Seek(c.Valid, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	return &Writer{path: path, f: f, w: newBuf(f), rows: len(c.Rows)}, c.Rows, nil
}

func newBuf(f *os.File) *bufio.Writer { return bufio.NewWriterSize(f, 64<<10) }

func (w *Writer) write(b []byte) {
	if w.err != nil {
		return
	}
	if _, err := w.w.Write(b); err != nil {
		w.err = fmt.Errorf("journal: write %s: %w", w.path, err)
	}
}

// Add buffers one row; Sync makes it durable.
func (w *Writer) Add(row engine.RecordResult) error {
	if w.err != nil {
		return w.err
	}
	b, err := json.Marshal(row)
	if err != nil {
		return fmt.Errorf("journal: encode row of record %q: %w", row.Record, err)
	}
	w.write(append(b, '\n'))
	if w.err == nil {
		w.rows++
	}
	return w.err
}

// Rows returns the number of rows in the journal, read and written.
func (w *Writer) Rows() int { return w.rows }

// Sync writes the buffered rows and fsyncs the file.
func (w *Writer) Sync() error {
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = fmt.Errorf("journal: write %s: %w", w.path, err)
		return w.err
	}
	if err := w.f.Sync(); err != nil {
		w.err = fmt.Errorf("journal: %w", err)
	}
	return w.err
}

// Err returns the first write or sync error, if any.
func (w *Writer) Err() error { return w.err }

// Close syncs and closes the file. Later calls return nil.
func (w *Writer) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	err := w.Sync()
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("journal: close %s: %w", w.path, cerr)
	}
	return err
}
