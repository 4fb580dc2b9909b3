package model

import (
	"fmt"
	"math"
	"strings"
)

// InfoError is returned by [Info.Validate]. Field names the offending
// field as the plugin protocol's Describe answer spells it (e.g.
// "sample_rate_hz", "classes[2]"), so plugin authors find it in their
// code.
type InfoError struct {
	Field   string
	Problem string
}

func (e *InfoError) Error() string { return fmt.Sprintf("field %s: %s", e.Field, e.Problem) }

// Validate reports the first problem with i as an *InfoError: an empty
// name, fewer than two classes or an empty or repeated class label, a
// sample rate or gain that is not a finite positive number, lengths not
// satisfying 1 ≤ MinLength ≤ MaxLength, or a negative MaxBatch.
func (i Info) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &InfoError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	switch {
	case strings.TrimSpace(i.Name) == "":
		return bad("name", "empty")
	case len(i.Classes) < 2:
		return bad("classes", "%d labels %q, want at least 2", len(i.Classes), i.Classes)
	case !(i.SampleRate > 0) || math.IsInf(i.SampleRate, 0):
		return bad("sample_rate_hz", "%v is not a positive rate in Hz", i.SampleRate)
	case !(i.Gain > 0) || math.IsInf(i.Gain, 0):
		return bad("gain_adu_per_mv", "%v is not a positive gain in adu/mV", i.Gain)
	case i.MinLength < 1 || i.MaxLength < i.MinLength:
		return bad("min_length/max_length", "%d/%d, want 1 ≤ min_length ≤ max_length", i.MinLength, i.MaxLength)
	case i.MaxBatch < 0:
		return bad("max_batch", "%d is negative", i.MaxBatch)
	}
	seen := make(map[string]bool, len(i.Classes))
	for k, c := range i.Classes {
		if strings.TrimSpace(c) == "" || seen[c] {
			return bad(fmt.Sprintf("classes[%d]", k), "%q is empty or repeated", c)
		}
		seen[c] = true
	}
	return nil
}
