package command

import (
	"errors"
	"fmt"
)

// ExitCode is the process exit status of ecgrobust.
type ExitCode int

// Exit codes, documented in README.md and in `ecgrobust --help`.
const (
	ExitPass         ExitCode = 0 // every criterion holds
	ExitFail         ExitCode = 1 // a criterion does not hold
	ExitInconclusive ExitCode = 2 // a criterion could not be evaluated
	ExitUsage        ExitCode = 3 // invalid spec, flags or arguments
	ExitRuntime      ExitCode = 4 // plugin, data or I/O failure
)

// exitError carries the exit code an error maps to.
type exitError struct {
	code ExitCode
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil { // the command already reported; only the code remains
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// usageErrorf returns an error that exits with ExitUsage.
func usageErrorf(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// withCode returns err marked to exit with code; nil stays nil.
func withCode(code ExitCode, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// codeOf maps an error to an exit code: an exitError's own code, else
// ExitRuntime.
func codeOf(err error) ExitCode {
	if err == nil {
		return ExitPass
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return ExitRuntime
}
