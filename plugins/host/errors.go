package host

import (
	"errors"
	"fmt"
	"strings"
)

// Kinds of plugin failure. Every error from this package is an *Error whose
// Kind is one of these, so callers test with errors.Is(err, host.ErrTimeout).
var (
	// ErrConfig is returned by Open when the Config is unusable: no path,
	// a missing or non-executable file, a malformed SHA256.
	ErrConfig = errors.New("host: invalid plugin configuration")
	// ErrChecksum is returned by Open when the binary's SHA-256 does not
	// match Config.SHA256. The plugin is not started.
	ErrChecksum = errors.New("host: plugin checksum mismatch")
	// ErrHandshake is returned when the plugin exits, times out or prints
	// something other than the go-plugin handshake before it is served.
	ErrHandshake = errors.New("host: plugin handshake failed")
	// ErrIncompatible is returned when the plugin speaks another protocol
	// version or its Describe answer changes across a restart.
	ErrIncompatible = errors.New("host: plugin protocol incompatible")
	// ErrDescribe is returned when Describe fails or its answer is invalid.
	ErrDescribe = errors.New("host: invalid plugin description")
	// ErrTimeout is returned when a call overruns Config.CallTimeout. The
	// plugin is killed and restarted at the next call.
	ErrTimeout = errors.New("host: plugin call timed out")
	// ErrCrashed is returned when the plugin process dies or drops the
	// connection during a call. It is restarted at the next call.
	ErrCrashed = errors.New("host: plugin process exited")
	// ErrRestarts is returned by every call once the plugin has been
	// restarted Config.MaxRestarts times and failed again.
	ErrRestarts = errors.New("host: plugin restarted too often")
	// ErrInvalidAnswer is returned when an answer has the wrong count or
	// shape, non-finite numbers, or probabilities outside [0, 1] or not
	// summing to 1 ± 1e-3. The plugin keeps running.
	ErrInvalidAnswer = errors.New("host: invalid plugin answer")
	// ErrRejected is returned when the plugin refused the input as invalid
	// (gRPC InvalidArgument). The plugin keeps running.
	ErrRejected = errors.New("host: plugin rejected the input")
	// ErrFailed is returned when the plugin reported an internal error.
	// The plugin keeps running.
	ErrFailed = errors.New("host: plugin call failed")
	// ErrNoGradient is returned by InputGradient when the plugin does not
	// declare the input_gradient capability.
	ErrNoGradient = errors.New("host: plugin offers no input gradient")
	// ErrClosed is returned by calls after Close.
	ErrClosed = errors.New("host: plugin closed")
)

// Error is a failure of one plugin operation.
type Error struct {
	// Plugin is the plugin's name (Config.Name).
	Plugin string
	// Op is the operation: "start", "describe", "predict", "input gradient".
	Op string
	// Kind is one of the Err* sentinels of this package.
	Kind error
	// Err is the underlying cause, or nil.
	Err error
	// Fix says how to fix the problem, or is empty.
	Fix string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "plugin %q: %s: %s", e.Plugin, e.Op, strings.TrimPrefix(e.Kind.Error(), "host: "))
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Fix != "" {
		b.WriteString("; to fix: ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Unwrap returns Kind and, when set, Err.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
