package command

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/spec"
)

// ClassifierRequest says which model to open.
type ClassifierRequest struct {
	Model spec.Model
	// SpecDir is the directory of the spec file ("" for a bundled spec);
	// relative plugin paths are resolved against it first.
	SpecDir string
	// Instances is the number of parallel model instances wanted.
	Instances int
	Logger    *slog.Logger
}

// errNotAvailable marks a part of the pipeline that has not landed yet.
var errNotAvailable = errors.New("not available yet in this build")

func notAvailable(what string) error { return fmt.Errorf("%s: %w", what, errNotAvailable) }

// openClassifier is the default Factory.OpenClassifier: the reference CNN
// in process for plugin "reference", else a plugin binary through
// plugins/host. The returned close function kills plugin processes.
func openClassifier(_ context.Context, req ClassifierRequest) (model.Classifier, func() error, error) {
	if req.Model.IsReference() {
		return nil, nil, notAvailable("the in-process reference model (reference-model/cnn)")
	}
	path, err := resolvePluginPath(req.Model.Plugin, req.SpecDir)
	if err != nil {
		return nil, nil, err
	}
	_ = path
	return nil, nil, notAvailable("the plugin host (plugins/host.Open)")
}

// resolvePluginPath finds a plugin binary: an absolute path as given; a
// relative one against the spec's directory, then the directory of the
// ecgrobust executable, then the working directory.
func resolvePluginPath(p, specDir string) (string, error) {
	if filepath.IsAbs(p) {
		return p, nil
	}
	var tried []string
	var dirs []string
	if specDir != "" {
		dirs = append(dirs, specDir)
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	dirs = append(dirs, ".")
	for _, d := range dirs {
		c := filepath.Join(d, p)
		tried = append(tried, c)
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, nil
		}
	}
	return "", fmt.Errorf("plugin %q not found (tried %s); build it with 'make build' or give its path with --model",
		p, strings.Join(tried, ", "))
}
