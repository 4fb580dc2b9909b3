package host

import (
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
)

// Defaults for the zero values of Config.
const (
	DefaultCallTimeout  = 2 * time.Minute
	DefaultStartTimeout = 30 * time.Second
	DefaultMaxRestarts  = 3
)

// Config says which plugin to start and how to supervise it.
type Config struct {
	// Path is the plugin executable (a Go binary, or a script with a
	// shebang line). Required.
	Path string
	// Args are the plugin's command-line arguments, after Path.
	Args []string
	// Env holds extra "KEY=value" variables for the plugin on top of the
	// host's environment.
	Env []string
	// SHA256 optionally pins the binary: its lowercase or uppercase hex
	// SHA-256. When set, Open refuses to start a binary whose digest
	// differs (ErrChecksum); `sha256sum plugin` prints the value. It is
	// checked before every launch, restarts included. For a script only
	// the script file is hashed, not its interpreter or imports.
	SHA256 string
	// Name names the plugin in logs and errors. Default: the base name of
	// Path.
	Name string
	// CallTimeout is the deadline of one Describe, Predict or InputGradient
	// call (one batch). A plugin that overruns it is killed and restarted
	// at the next call, and the call fails with ErrTimeout. Default
	// DefaultCallTimeout; choose it above the model's slowest batch.
	CallTimeout time.Duration
	// StartTimeout bounds the start: process launch to handshake. Default
	// DefaultStartTimeout.
	StartTimeout time.Duration
	// MaxRestarts is how many times a crashed or hung plugin is restarted
	// before every call fails with ErrRestarts. Zero means
	// DefaultMaxRestarts; a negative value disables restarts.
	MaxRestarts int
	// Reattach, when set, connects to a plugin already running in debug
	// mode (started by hand with ECGROBUST_PLUGIN_DEBUG=1, e.g. under a
	// debugger) instead of starting Path: the ECGROBUST_PLUGIN_REATTACH
	// value it printed. Open also reads that variable from the environment
	// when Reattach is empty. A reattached plugin is neither pinned nor
	// restarted, and Close leaves its process running.
	Reattach string
	// Logger receives the plugin's stderr, one record per line with the
	// attribute plugin=Name, and lifecycle events. Default slog.Default().
	Logger *slog.Logger
}

// withDefaults checks c and fills in its defaults.
func (c Config) withDefaults() (Config, error) {
	if c.Reattach == "" {
		c.Reattach = os.Getenv(wire.ReattachEnv)
	}
	if c.Reattach != "" {
		if c.Name == "" {
			c.Name = "reattached"
		}
		c.MaxRestarts = -1
		return c.fill(), nil
	}
	if c.Path == "" {
		return c, &Error{Plugin: c.Name, Op: "start", Kind: ErrConfig, Err: fmt.Errorf("no plugin path"), Fix: "set the path of the plugin executable"}
	}
	if c.Name == "" {
		c.Name = filepath.Base(c.Path)
	}
	abs, err := filepath.Abs(c.Path)
	if err != nil {
		return c, &Error{Plugin: c.Name, Op: "start", Kind: ErrConfig, Err: err}
	}
	c.Path = abs
	st, err := os.Stat(c.Path)
	switch {
	case err != nil:
		return c, &Error{Plugin: c.Name, Op: "start", Kind: ErrConfig, Err: err, Fix: "check the plugin path; build it first (make build)"}
	case st.IsDir() || st.Mode().Perm()&0o111 == 0:
		return c, &Error{Plugin: c.Name, Op: "start", Kind: ErrConfig, Err: fmt.Errorf("%s is not an executable file", c.Path), Fix: "chmod +x it, or give the path of the plugin binary"}
	}
	if c.SHA256 != "" {
		c.SHA256 = strings.ToLower(strings.TrimSpace(c.SHA256))
		if b, err := hex.DecodeString(c.SHA256); err != nil || len(b) != 32 {
			return c, &Error{Plugin: c.Name, Op: "start", Kind: ErrConfig, Err: fmt.Errorf("sha256 %q is not 64 hex digits", c.SHA256), Fix: "use the output of sha256sum"}
		}
	}
	return c.fill(), nil
}

// fill sets the defaults of the timing, restart and logging fields.
func (c Config) fill() Config {
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	switch {
	case c.MaxRestarts == 0:
		c.MaxRestarts = DefaultMaxRestarts
	case c.MaxRestarts < 0:
		c.MaxRestarts = 0
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
