package cinc

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Label is one line of a REFERENCE.csv file: a record and its class.
type Label struct {
	ID    string
	Label string
}

// ParseReference reads a CinC REFERENCE.csv (lines "A00001,N"). name is
// used in errors, which give the line number. Empty lines are skipped; a
// record listed twice is an error.
func ParseReference(r io.Reader, name string) ([]Label, error) {
	var out []Label
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if s == "" {
			continue
		}
		id, label, ok := strings.Cut(s, ",")
		id, label = strings.TrimSpace(id), strings.TrimSpace(label)
		if !ok || id == "" || label == "" || strings.Contains(label, ",") {
			return nil, fmt.Errorf("%s:%d: want \"record,label\", got %q", name, line, s)
		}
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("%s:%d: record %s already listed on line %d", name, line, id, prev)
		}
		seen[id] = line
		out = append(out, Label{ID: id, Label: label})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no records", name)
	}
	return out, nil
}
