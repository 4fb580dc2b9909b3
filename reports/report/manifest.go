package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/engine"
)

// ManifestSchemaVersion identifies the layout of manifest.json.
const ManifestSchemaVersion = "ecgrobust.manifest/v1"

// Roles of the files in a manifest.
const (
	RoleSpec   = "spec"
	RolePlugin = "plugin"
	RoleData   = "data"
	RoleOutput = "output"
)

// Input is a file the run read.
type Input struct {
	// Role is RoleSpec, RolePlugin, RoleData or another short noun.
	Role string
	// Path is absolute or relative to Options.WorkDir.
	Path string
	// SHA256, when set, is used as is instead of hashing Path (for
	// re-rendering a bundle whose inputs are not at hand).
	SHA256 string
	// Bytes is the size that goes with a preset SHA256.
	Bytes int64
}

// Manifest is manifest.json: what a third party needs to check and
// replay a run.
type Manifest struct {
	SchemaVersion string `json:"schema_version"`
	// Created is when the bundle was written (RFC 3339, UTC).
	Created        string `json:"created"`
	HarnessVersion string `json:"harness_version"`
	GoVersion      string `json:"go_version"`
	OS             string `json:"os"`
	Arch           string `json:"arch"`
	// Module is the main module; VCS fields come from the build.
	Module      string   `json:"module,omitempty"`
	VCS         string   `json:"vcs,omitempty"`
	VCSRevision string   `json:"vcs_revision,omitempty"`
	VCSTime     string   `json:"vcs_time,omitempty"`
	VCSModified bool     `json:"vcs_modified,omitempty"`
	Modules     []Module `json:"modules"`
	// Command is the argv that replays the run, run in WorkDir.
	Command []string `json:"command,omitempty"`
	WorkDir string   `json:"work_dir,omitempty"`
	// Run repeats the run's identity from results.json.
	Run RunIdentity `json:"run"`
	// Files are the inputs and outputs with their hashes.
	Files []File `json:"files"`
}

// RunIdentity is the part of results.json that names what was run.
type RunIdentity struct {
	Spec          string `json:"spec"`
	SpecSHA256    string `json:"spec_sha256"`
	Model         string `json:"model"`
	ModelSHA256   string `json:"model_sha256,omitempty"`
	DatasetSHA256 string `json:"dataset_sha256"`
	Seed          uint64 `json:"seed"`
	Verdict       string `json:"verdict"`
}

// Module is a dependency of the harness binary.
type Module struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Sum     string `json:"sum,omitempty"`
	// Replace is the replacement module path, if any.
	Replace string `json:"replace,omitempty"`
}

// File is one hashed file. Files in the bundle (outputs and attachments)
// have a Path relative to the bundle directory; inputs are absolute or
// relative to WorkDir.
type File struct {
	Role   string `json:"role"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
	// InBundle is true for files written into the bundle directory.
	InBundle bool `json:"in_bundle,omitempty"`
}

// Attachment is a file written into the bundle next to the reports, e.g.
// a copy of the spec that was run.
type Attachment struct {
	// Name is the file name in the bundle directory.
	Name string
	// Role is the manifest role, e.g. RoleSpec.
	Role string
	Data []byte
}

func (o Options) manifest(dir string, r *engine.Result, outputs []string) (*Manifest, error) {
	m := &Manifest{
		SchemaVersion:  ManifestSchemaVersion,
		Created:        o.now().Format(time.RFC3339),
		HarnessVersion: o.version(r),
		GoVersion:      runtime.Version(),
		OS:             runtime.GOOS,
		Arch:           runtime.GOARCH,
		Modules:        []Module{},
		Command:        o.Command,
		Run: RunIdentity{
			Spec:          r.Run.Spec.Name + " " + r.Run.Spec.Version,
			SpecSHA256:    r.Run.Spec.SHA256,
			Model:         r.Run.Model.Name + " " + r.Run.Model.Version,
			ModelSHA256:   r.Run.Model.SHA256,
			DatasetSHA256: r.Run.Dataset.SHA256,
			Seed:          r.Run.Seed,
			Verdict:       string(r.Verdict),
		},
		Files: []File{},
	}
	wd := o.WorkDir
	if wd == "" {
		var err error
		if wd, err = os.Getwd(); err != nil {
			return nil, fmt.Errorf("manifest: working directory: %w", err)
		}
	}
	if len(o.Command) > 0 {
		m.WorkDir = wd
	}
	readBI := o.BuildInfo
	if readBI == nil {
		readBI = debug.ReadBuildInfo
	}
	if bi, ok := readBI(); ok && bi != nil {
		if bi.GoVersion != "" {
			m.GoVersion = bi.GoVersion
		}
		m.Module = bi.Main.Path
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs":
				m.VCS = s.Value
			case "vcs.revision":
				m.VCSRevision = s.Value
			case "vcs.time":
				m.VCSTime = s.Value
			case "vcs.modified":
				m.VCSModified = s.Value == "true"
			}
		}
		for _, d := range bi.Deps {
			mod := Module{Path: d.Path, Version: d.Version, Sum: d.Sum}
			if d.Replace != nil {
				mod.Replace = d.Replace.Path + "@" + d.Replace.Version
			}
			m.Modules = append(m.Modules, mod)
		}
	}
	for _, in := range o.Inputs {
		f := File{Role: in.Role, Path: in.Path, SHA256: in.SHA256, Bytes: in.Bytes}
		if f.SHA256 == "" {
			p := in.Path
			if !filepath.IsAbs(p) {
				p = filepath.Join(wd, p)
			}
			sum, n, err := hashFile(p)
			if err != nil {
				return nil, fmt.Errorf("manifest: %s %w", in.Role, err)
			}
			f.SHA256, f.Bytes = sum, n
		}
		m.Files = append(m.Files, f)
	}
	for _, a := range o.Attachments {
		sum, n, err := hashFile(filepath.Join(dir, a.Name))
		if err != nil {
			return nil, fmt.Errorf("manifest: attachment %w", err)
		}
		m.Files = append(m.Files, File{Role: a.Role, Path: a.Name, SHA256: sum, Bytes: n, InBundle: true})
	}
	for _, name := range outputs {
		sum, n, err := hashFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("manifest: output %w", err)
		}
		m.Files = append(m.Files, File{Role: RoleOutput, Path: name, SHA256: sum, Bytes: n, InBundle: true})
	}
	return m, nil
}

func (m *Manifest) encode() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// hashFile returns the SHA-256 (hex) and size of the file at path.
func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("hash %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ReadManifest reads manifest.json from a bundle directory.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, jsonError(b, err))
	}
	if m.SchemaVersion != ManifestSchemaVersion {
		return nil, fmt.Errorf("%s: schema_version %q: this ecgrobust reads %q", path, m.SchemaVersion, ManifestSchemaVersion)
	}
	return &m, nil
}

// Check statuses.
const (
	StatusOK      = "ok"
	StatusChanged = "changed"
	StatusMissing = "missing"
)

// Check is the outcome of re-hashing one manifest file.
type Check struct {
	File File
	// Resolved is the path that was hashed.
	Resolved string
	Status   string
	// SHA256 is the hash found now (empty if missing).
	SHA256 string
	Err    error
}

// ErrChanged is wrapped by Verify's error when a file differs or is gone.
var ErrChanged = errors.New("evidence does not match the manifest")

// Verify re-hashes every file of the bundle in dir. Outputs are looked
// up in dir; input paths as recorded (relative ones in the manifest's
// WorkDir, then in the current directory). The error, when not nil, wraps
// ErrChanged and names every changed or missing file.
func Verify(dir string) (*Manifest, []Check, error) {
	return VerifyWith(dir, VerifyOptions{})
}

// VerifyOptions adjust where Verify looks for input files.
type VerifyOptions struct {
	// InputDirs are searched, in order, for an input file by its base
	// name when it is not at its recorded path: a third party who
	// received the bundle with the plugin binary and data files.
	InputDirs []string
}

// VerifyWith is Verify with options.
func VerifyWith(dir string, o VerifyOptions) (*Manifest, []Check, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, nil, err
	}
	var checks []Check
	var bad []string
	for _, f := range m.Files {
		c := Check{File: f, Resolved: resolve(dir, m.WorkDir, f)}
		if !f.InBundle && f.Role != RoleOutput {
			if _, err := os.Stat(c.Resolved); err != nil {
				for _, d := range o.InputDirs {
					p := filepath.Join(d, filepath.Base(f.Path))
					if _, err := os.Stat(p); err == nil {
						c.Resolved = p
						break
					}
				}
			}
		}
		sum, _, err := hashFile(c.Resolved)
		switch {
		case err != nil:
			c.Status, c.Err = StatusMissing, err
		case sum != f.SHA256:
			c.Status, c.SHA256 = StatusChanged, sum
		default:
			c.Status, c.SHA256 = StatusOK, sum
		}
		if c.Status != StatusOK {
			bad = append(bad, fmt.Sprintf("%s %s %s", f.Role, f.Path, c.Status))
		}
		checks = append(checks, c)
	}
	if len(bad) > 0 {
		return m, checks, fmt.Errorf("%w: %s", ErrChanged, strings.Join(bad, ", "))
	}
	return m, checks, nil
}

func resolve(dir, workDir string, f File) string {
	switch {
	case f.InBundle || f.Role == RoleOutput:
		return filepath.Join(dir, f.Path)
	case filepath.IsAbs(f.Path):
		return f.Path
	}
	if workDir != "" {
		p := filepath.Join(workDir, f.Path)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return f.Path
}
