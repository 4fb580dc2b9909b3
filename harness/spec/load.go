package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	closest "github.com/ecgrobust/ecgrobust/harness/internal/suggest"
)

// MaxSize is the largest spec file Parse accepts, in bytes.
const MaxSize = 1 << 20

// Load reads, validates and completes the spec in the file at path.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes, validates and completes the spec in data. name is the
// file name used in error messages. The returned error is an ErrorList when
// the spec is invalid; every entry names the file, line, field and what is
// allowed.
func Parse(name string, data []byte) (*Spec, error) {
	if len(data) > MaxSize {
		return nil, ErrorList{{File: name, Msg: fmt.Sprintf("spec is %d bytes, larger than the %d allowed", len(data), MaxSize)}}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ErrorList{{File: name, Msg: "spec is empty"}}
		}
		return nil, yamlErrors(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil {
			return nil, yamlErrors(name, err)
		}
		return nil, ErrorList{{File: name, Line: line, Msg: "spec holds more than one YAML document; put one spec per file"}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	w := walker{file: name, nodes: map[string]*yaml.Node{}}
	w.walk(root, reflect.TypeOf(Spec{}), "", 0)
	if len(w.errs) > 0 {
		return nil, w.errs
	}

	s := &Spec{File: name, node: root}
	sd := yaml.NewDecoder(bytes.NewReader(data))
	sd.KnownFields(true)
	if err := sd.Decode(s); err != nil {
		return nil, yamlErrors(name, err)
	}
	s.File, s.node = name, root
	v := &validator{s: s, nodes: w.nodes}
	v.applyDefaults()
	v.validate()
	if len(v.errs) > 0 {
		return nil, v.errs
	}
	sum, err := s.Identity()
	if err != nil {
		return nil, err
	}
	s.SHA256 = sum
	return s, nil
}

// Error is one problem in a spec.
type Error struct {
	File string
	// Line and Column are 1-based; 0 when unknown.
	Line, Column int
	// Field is the path of the offending field, e.g. "attacks[1].epsilon_uv".
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
	} else {
		b.WriteString("spec")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in a spec, in document order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlErrors turns a yaml.v3 error into an ErrorList with file and line.
func yamlErrors(file string, err error) ErrorList {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var out ErrorList
	for _, m := range msgs {
		e := &Error{File: file, Msg: strings.TrimPrefix(m, "yaml: ")}
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			e.Line, _ = strconv.Atoi(g[1])
			e.Msg = g[2]
		}
		out = append(out, e)
	}
	return out
}

// walker checks a document against the Go types before decoding, so that
// unknown keys list the allowed ones and a float where an integer belongs is
// an error rather than a truncation. It records the node of every path.
type walker struct {
	file    string
	nodes   map[string]*yaml.Node
	errs    ErrorList
	visited int
}

// maxNodes bounds the nodes a walk visits, aliases expanded, so that a
// small document of nested aliases ("billion laughs") cannot hang Parse.
const maxNodes = 200_000

var (
	durationType = reflect.TypeOf(Duration(0))
	attackType   = reflect.TypeOf(Attack{})
)

// attackAllowed returns the keys an attack mapping accepts, given its type
// when the mapping names a known one.
func attackAllowed(n *yaml.Node) []string {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "type" {
			if _, ok := attackFields[n.Content[i+1].Value]; ok {
				return AttackFields(n.Content[i+1].Value)
			}
		}
	}
	return sortedKeys(yamlFields(attackType))
}

const maxDepth = 32

func (w *walker) errorf(n *yaml.Node, path, format string, args ...any) {
	w.errs = append(w.errs, &Error{File: w.file, Line: n.Line, Column: n.Column, Field: path, Msg: fmt.Sprintf(format, args...)})
}

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string, depth int) {
	if depth > maxDepth {
		w.errorf(n, path, "nested too deeply")
		return
	}
	if w.visited++; w.visited > maxNodes {
		if w.visited == maxNodes+1 {
			w.errorf(n, path, "spec expands to more than %d nodes (aliases nested too far)", maxNodes)
		}
		return
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
		depth++
		if depth > maxDepth {
			w.errorf(n, path, "aliases nested too deeply")
			return
		}
	}
	w.nodes[path] = n
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // absent; required fields are checked by the validator
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durationType:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
			w.errorf(n, path, "must be a duration string such as \"30s\" or \"2m\", got %s", describe(n))
		}
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			w.errorf(n, path, "must be a mapping, got %s", describe(n))
			return
		}
		fields := yamlFields(t)
		allowed := sortedKeys(fields)
		if t == attackType {
			allowed = attackAllowed(n)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				w.errorf(k, path, "keys must be plain strings")
				continue
			}
			f, ok := fields[k.Value]
			sub := joinPath(path, k.Value)
			if !ok {
				w.errorf(k, sub, "unknown field%s; allowed here: %s", suggest(k.Value, allowed), strings.Join(allowed, ", "))
				continue
			}
			w.walk(v, f.Type, sub, depth+1)
		}
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.errorf(n, path, "must be a list, got %s", describe(n))
			return
		}
		for i, c := range n.Content {
			w.walk(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
	case t.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode {
			w.errorf(n, path, "must be a string, got %s", describe(n))
		}
	case t.Kind() == reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			w.errorf(n, path, "must be true or false, got %s", describe(n))
		}
	case t.Kind() == reflect.Int || t.Kind() == reflect.Uint64:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			w.errorf(n, path, "must be an integer, got %s", describe(n))
			return
		}
		if t.Kind() == reflect.Uint64 {
			if _, err := strconv.ParseUint(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err != nil {
				w.errorf(n, path, "must be an integer from 0 to %d, got %s", uint64(1<<64-1), n.Value)
			}
		} else if _, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err != nil {
			w.errorf(n, path, "integer %s is out of range", n.Value)
		}
	case t.Kind() == reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
			w.errorf(n, path, "must be a number, got %s", describe(n))
		}
	}
}

// describe names what a node holds, for error messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		switch n.Tag {
		case "!!str":
			return strconv.Quote(v)
		case "!!float":
			return "the number " + v
		case "!!int":
			return "the integer " + v
		case "!!bool":
			return v
		}
		return v
	}
	return "an unexpected node"
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// yamlFields maps a struct's YAML keys to its fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		m[tag] = f
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// suggest returns ` (did you mean "x"?)` for the allowed value closest to
// got, when it is close enough to be a likely typo, else "".
func suggest(got string, allowed []string) string {
	best, d := closest.Closest(got, allowed)
	if d < 0 || d > max(1, len(got)/3) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
