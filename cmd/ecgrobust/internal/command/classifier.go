package command

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/plugins/host"
	"github.com/ecgrobust/ecgrobust/reference-model/cnn"
	"github.com/ecgrobust/ecgrobust/reference-model/weights"
)

// ClassifierRequest says which model to open.
type ClassifierRequest struct {
	Model spec.Model
	// SpecDir is the directory of the spec file ("" for a bundled spec);
	// relative plugin paths are resolved against it first.
	SpecDir string
	// Instances is the number of model instances wanted, one per worker.
	Instances int
	Logger    *slog.Logger
}

// OpenedModel is a model ready for a run.
type OpenedModel struct {
	// Pool holds one classifier per worker.
	Pool []model.Classifier
	// Kind is "plugin" or "reference"; Path the plugin binary, SHA256 its
	// hash (or the reference weights' hash).
	Kind, Path, SHA256 string
	// Close releases the model: it kills plugin processes. It is safe to
	// call more than once.
	Close func() error
}

// errNotAvailable marks a part of the pipeline that has not landed yet.
var errNotAvailable = errors.New("not available yet in this build")

func notAvailable(what string) error { return fmt.Errorf("%s: %w", what, errNotAvailable) }

// openClassifier is the default Factory.OpenClassifier: the reference CNN
// in process for plugin "reference", else req.Instances processes of a
// plugin binary through plugins/host.
func openClassifier(ctx context.Context, req ClassifierRequest) (*OpenedModel, error) {
	if req.Model.IsReference() {
		return openReference(req.Instances)
	}
	path, err := resolvePluginPath(req.Model.Plugin, req.SpecDir)
	if err != nil {
		return nil, err
	}
	sum, err := fileSHA256(path)
	if err != nil {
		return nil, fmt.Errorf("hash plugin: %w", err)
	}
	// model.retries budgets restarts per call (retry.go): a call that
	// crashed or hung the plugin is retried that often, each time on a
	// restarted process; the host itself may restart as often as needed.
	cfg := host.Config{
		Path: path, Args: req.Model.Args, SHA256: req.Model.SHA256,
		CallTimeout: time.Duration(req.Model.Timeout), MaxRestarts: maxHostRestarts, Logger: req.Logger,
	}
	n := max(req.Instances, 1)
	var plugins []*host.Plugin
	closeAll := func() error {
		var errs []error
		for _, p := range plugins {
			errs = append(errs, p.Close())
		}
		return errors.Join(errs...)
	}
	base := filepath.Base(path)
	for i := range n {
		c := cfg
		c.Name = base
		if n > 1 {
			c.Name = fmt.Sprintf("%s#%d", base, i+1)
		}
		p, err := host.Open(ctx, c)
		if err != nil {
			_ = closeAll()
			return nil, err
		}
		plugins = append(plugins, p)
	}
	pool := make([]model.Classifier, len(plugins))
	for i, p := range plugins {
		pool[i] = newRetrying(p, req.Model.Retries, req.Logger)
	}
	return &OpenedModel{Pool: pool, Kind: "plugin", Path: path, SHA256: sum, Close: closeAll}, nil
}

// openReference returns n in-process reference CNNs sharing the cores.
func openReference(n int) (*OpenedModel, error) {
	n = max(n, 1)
	per := max(runtime.GOMAXPROCS(0)/n, 1)
	pool := make([]model.Classifier, n)
	for i := range pool {
		m, err := cnn.Reference(per)
		if err != nil {
			return nil, fmt.Errorf("reference model: %w", err)
		}
		pool[i] = m
	}
	return &OpenedModel{Pool: pool, Kind: "reference", SHA256: weights.SHA256, Close: func() error { return nil }}, nil
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
			return filepath.Abs(c)
		}
	}
	return "", fmt.Errorf("plugin %q not found (tried %s); build it with 'make build' or give its path with --model",
		p, strings.Join(tried, ", "))
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
