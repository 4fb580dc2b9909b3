package cinc

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
)

// Split names used by Han et al. 2020.
const (
	Train = "train"
	Test  = "test"
)

// Assignment is one row of a split file: a record, its label and the split
// it belongs to.
type Assignment struct {
	ID, Label, Split string
}

// Split is a parsed split file.
type Split []Assignment

//go:embed split-han2020.csv
var han2020CSV []byte

// Han2020Split returns the exact train/test split of Han et al. 2020
// (7,675 train, 853 test), embedded from PhysioNet-derived
// split-han2020.csv so that it is available with any copy of the data.
// Each call returns a fresh copy.
func Han2020Split() Split { return slices.Clone(han2020()) }

var han2020 = sync.OnceValue(func() Split {
	s, err := ParseSplit(bytes.NewReader(han2020CSV), "split-han2020.csv")
	if err != nil {
		panic("cinc: embedded split-han2020.csv: " + err.Error()) // covered by tests
	}
	return s
})

// LoadSplit reads a split file from disk; see [ParseSplit].
func LoadSplit(path string) (Split, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open split: %w", err)
	}
	defer f.Close()
	return ParseSplit(f, path)
}

// ParseSplit reads a split file: CSV with the header "record,label,split"
// (columns in any order, extra columns ignored) and one row per record.
// name is used in errors, which give the line number. A record listed
// twice, an empty field or a missing column is an error.
func ParseSplit(r io.Reader, name string) (Split, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty split file", name)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, want := range []string{"record", "label", "split"} {
		if _, ok := col[want]; !ok {
			return nil, fmt.Errorf("%s:1: header %q lacks column %q (want record,label,split)", name, strings.Join(header, ","), want)
		}
	}
	ci, cl, cs := col["record"], col["label"], col["split"]
	need := max(ci, cl, cs) + 1
	var out Split
	seen := map[string]int{}
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// *csv.ParseError gives the line.
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue
		}
		if len(row) < need {
			return nil, fmt.Errorf("%s:%d: %d fields, want at least %d", name, line, len(row), need)
		}
		a := Assignment{ID: strings.TrimSpace(row[ci]), Label: strings.TrimSpace(row[cl]), Split: strings.TrimSpace(row[cs])}
		if a.ID == "" || a.Label == "" || a.Split == "" {
			return nil, fmt.Errorf("%s:%d: empty record, label or split field", name, line)
		}
		if prev, dup := seen[a.ID]; dup {
			return nil, fmt.Errorf("%s:%d: record %s already listed on line %d", name, line, a.ID, prev)
		}
		seen[a.ID] = line
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no records", name)
	}
	return out, nil
}

// Part returns the assignments of split name (e.g. [Test]), in file order.
func (s Split) Part(name string) Split {
	var out Split
	for _, a := range s {
		if a.Split == name {
			out = append(out, a)
		}
	}
	return out
}

// IDs returns the record IDs of s in order.
func (s Split) IDs() []string {
	out := make([]string, len(s))
	for i, a := range s {
		out[i] = a.ID
	}
	return out
}

// Labels returns the labels of s in order.
func (s Split) Labels() []string {
	out := make([]string, len(s))
	for i, a := range s {
		out[i] = a.Label
	}
	return out
}

// Counts returns the number of assignments per label.
func (s Split) Counts() map[string]int {
	out := map[string]int{}
	for _, a := range s {
		out[a.Label]++
	}
	return out
}

// Stratify draws perClass assignments of each of classes (nil: every label
// present) without replacement, keeping file order; see [ecg.Stratify].
func (s Split) Stratify(classes []string, perClass int, rng *rand.Rand) (Split, error) {
	idx, err := ecg.Stratify(s.Labels(), classes, perClass, rng)
	if err != nil {
		return nil, err
	}
	out := make(Split, len(idx))
	for i, j := range idx {
		out[i] = s[j]
	}
	return out, nil
}
