package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"

	"gopkg.in/yaml.v3"
)

var reflectSpec = reflect.TypeOf(Spec{})

// Canonical returns the spec's canonical form: compact JSON of the
// completed spec (defaults filled in) with fields in declaration order.
// Two spec files that differ only in layout, comments, key order or
// spelled-out defaults have the same canonical form. model.instances is
// written as 0 whatever its value: the engine's results do not depend on
// the number of workers.
func (s *Spec) Canonical() ([]byte, error) {
	c := *s
	c.Model.Instances = 0 // operational, see above
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("encode canonical spec: %w", err)
	}
	return b, nil
}

// Identity returns the hex SHA-256 of the canonical form. Reports carry it
// so a reader can tell exactly which spec a run used.
func (s *Spec) Identity() (string, error) {
	b, err := s.Canonical()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Validate checks a spec built or changed in Go against the rules a file
// must meet. Unlike Parse it fills in no defaults: a zero where a value is
// required is an error. Positions in its errors refer to the YAML encoding
// of s, not to the file it came from.
func (s *Spec) Validate() error {
	b, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode spec: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("decode encoded spec: %w", err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	w := walker{file: s.File, nodes: map[string]*yaml.Node{}}
	w.walk(root, reflectSpec, "", 0)
	if len(w.errs) > 0 {
		return w.errs
	}
	v := &validator{s: s, nodes: w.nodes}
	v.validate()
	if len(v.errs) > 0 {
		return v.errs
	}
	return nil
}
