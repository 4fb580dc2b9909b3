//go:build !linux

package wire

import "os"

// SharedMemorySupported reports whether this system has the shared-memory
// fast path.
const SharedMemorySupported = false

// NewShmFile returns ErrNoSharedMemory.
func NewShmFile(string) (*os.File, error) { return nil, ErrNoSharedMemory }

// GrowShm returns ErrNoSharedMemory.
func GrowShm(*os.File, int64) error { return ErrNoSharedMemory }

// MapShm returns ErrNoSharedMemory.
func MapShm(int, uint64) ([]byte, error) { return nil, ErrNoSharedMemory }

// UnmapShm does nothing.
func UnmapShm([]byte) error { return nil }

// NewDoorbell returns ErrNoSharedMemory.
func NewDoorbell() (host, plugin *os.File, err error) { return nil, nil, ErrNoSharedMemory }

// IsSocket returns false.
func IsSocket(int) bool { return false }
