package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/ecgrobust/ecgrobust/harness/engine"
)

// writeJSON writes r as results.json: two-space indented, map keys
// sorted, HTML characters unescaped, one trailing newline. NaN and ±Inf
// have no JSON form; they are reported with the path of the field.
func writeJSON(w io.Writer, r *engine.Result) error {
	c := *r
	if c.SchemaVersion == "" {
		c.SchemaVersion = engine.SchemaVersion
	}
	if err := checkFinite(reflect.ValueOf(c), "results"); err != nil {
		return err
	}
	return encode(w, c)
}

// writeTimings writes r.Timings as timings.json.
func writeTimings(w io.Writer, r *engine.Result) error {
	t := r.Timings
	if t == nil {
		t = &engine.Timings{}
	}
	if err := checkFinite(reflect.ValueOf(*t), "timings"); err != nil {
		return err
	}
	return encode(w, t)
}

func encode(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// checkFinite walks v and returns an error naming the first NaN or
// infinite float, e.g. `results.attacks[2].metrics["success_rate"] is NaN`.
// The path is built only on the way back from a bad value, so a clean
// walk allocates nothing.
func checkFinite(v reflect.Value, root string) error {
	bad := findNonFinite(v)
	if bad == nil {
		return nil
	}
	var path strings.Builder
	path.WriteString(root)
	for i := len(bad.path) - 1; i >= 0; i-- {
		path.WriteString(bad.path[i])
	}
	return fmt.Errorf("report: %s is %v, which JSON cannot hold", path.String(), bad.value)
}

// nonFinite is a bad value with its path, innermost segment first.
type nonFinite struct {
	value float64
	path  []string
}

func findNonFinite(v reflect.Value) *nonFinite {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return &nonFinite{value: f}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return findNonFinite(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Float64 {
			for i := 0; i < v.Len(); i++ {
				if f := v.Index(i).Float(); math.IsNaN(f) || math.IsInf(f, 0) {
					return &nonFinite{value: f, path: []string{fmt.Sprintf("[%d]", i)}}
				}
			}
			return nil
		}
		for i := 0; i < v.Len(); i++ {
			if bad := findNonFinite(v.Index(i)); bad != nil {
				bad.path = append(bad.path, fmt.Sprintf("[%d]", i))
				return bad
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		for _, k := range keys {
			if bad := findNonFinite(v.MapIndex(k)); bad != nil {
				bad.path = append(bad.path, fmt.Sprintf("[%q]", fmt.Sprint(k)))
				return bad
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < v.NumField(); i++ {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("json"), ",")[0]
			if !f.IsExported() || tag == "-" {
				continue
			}
			if tag == "" {
				tag = f.Name
			}
			if bad := findNonFinite(v.Field(i)); bad != nil {
				bad.path = append(bad.path, "."+tag)
				return bad
			}
		}
	}
	return nil
}

// ReadResults reads a results.json file. Errors name the file and, for
// syntax and type errors, the line and column.
func ReadResults(path string) (*engine.Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	r, err := DecodeResults(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// DecodeResults parses results.json bytes. Unknown fields and a schema
// version other than engine.SchemaVersion are errors, so a re-rendered
// results.json never silently drops data.
func DecodeResults(b []byte) (*engine.Result, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r engine.Result
	if err := dec.Decode(&r); err != nil {
		return nil, jsonError(b, err)
	}
	if dec.More() {
		return nil, errors.New("unexpected data after the results object")
	}
	if r.SchemaVersion != engine.SchemaVersion {
		return nil, fmt.Errorf("schema_version %q: this ecgrobust reads %q", r.SchemaVersion, engine.SchemaVersion)
	}
	return &r, nil
}

// jsonError adds the line and column to a decoding error.
func jsonError(b []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(b)) {
		return fmt.Errorf("decode results: %w", err)
	}
	// The offending byte is the last one read, b[off-1].
	at := max(off-1, 0)
	line := 1 + bytes.Count(b[:at], []byte("\n"))
	col := int(at) - bytes.LastIndexByte(b[:at], '\n')
	return fmt.Errorf("line %d, column %d: decode results: %w", line, col, err)
}
