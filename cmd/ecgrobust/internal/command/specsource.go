package command

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
	"github.com/ecgrobust/ecgrobust/specs"
)

// specReferenceDoc is where spec errors send the reader.
const specReferenceDoc = "docs/spec-reference.md"

// bundledPrefix marks a bundled spec in file names shown to the user.
const bundledPrefix = "bundled:"

// loadSpec reads arg as a spec file, or as the name of a bundled spec when
// no such file exists, validates it completely (criteria included) and
// returns it. An invalid spec gives an ExitUsage error.
func loadSpec(arg string) (*spec.Spec, error) {
	s, err := readSpec(arg)
	if err != nil {
		return nil, err
	}
	if err := s.CheckExprs(verdict.Check); err != nil {
		return nil, &exitError{code: ExitUsage, err: fmt.Errorf("invalid spec (fields, units, defaults, metric names: %s):\n%w", specReferenceDoc, err)}
	}
	return s, nil
}

func readSpec(arg string) (*spec.Spec, error) {
	var (
		s   *spec.Spec
		err error
	)
	_, statErr := os.Stat(arg)
	switch {
	case statErr == nil:
		s, err = spec.Load(arg)
	case errors.Is(statErr, fs.ErrNotExist) && isBundledName(arg):
		name := strings.TrimPrefix(arg, bundledPrefix)
		data, rerr := specs.Read(name)
		if rerr != nil {
			return nil, usageErrorf("spec %q: no such file, and %w", arg, rerr)
		}
		s, err = spec.Parse(bundledPrefix+name, data)
	default:
		return nil, usageErrorf("read spec: %w", statErr)
	}
	if err != nil {
		var list spec.ErrorList
		if errors.As(err, &list) {
			return nil, &exitError{code: ExitUsage, err: fmt.Errorf("invalid spec (fields, units, defaults, metric names: %s):\n%w", specReferenceDoc, err)}
		}
		return nil, usageErrorf("%w", err) // unreadable: a directory, no permission
	}
	return s, nil
}

func isBundledName(arg string) bool {
	return !strings.ContainsAny(strings.TrimPrefix(arg, bundledPrefix), `/\.`)
}
