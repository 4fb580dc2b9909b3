// Package specs embeds the standard spec library (the *.yaml files beside
// this file) and its JSON Schema, so the ecgrobust binary can run them by
// name without the source tree.
package specs

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Schema is the JSON Schema (draft 2020-12) of a spec file, for editors
// and external validators.
//
//go:embed schema.json
var Schema []byte

// Names lists the bundled specs by name (file name without .yaml), sorted.
func Names() []string {
	ents, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil // the embedded directory always reads
	}
	var names []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Read returns the YAML of the bundled spec name.
func Read(name string) ([]byte, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || path.Clean(name) != name {
		return nil, fmt.Errorf("specs: %q is not a bundled spec name", name)
	}
	b, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("specs: no bundled spec %q; bundled: %s", name, strings.Join(Names(), ", "))
	}
	return b, nil
}
