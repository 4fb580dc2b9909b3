package wire

import (
	"bytes"
	"errors"
	"fmt"
)

// Shared-memory region layout (see plugins/proto, MapRegion): a header of
// ShmHeader bytes that starts with the host's random token, then the
// request area, then from the answer offset to the end the answer area.
// Every signal's slot starts on a ShmAlign boundary.
const (
	ShmHeader   = 4096
	ShmAlign    = 64
	ShmTokenLen = 16
	// ShmFD is the descriptor number of the region in the plugin process:
	// the host passes it as the first extra file.
	ShmFD = 3
)

// ErrNoSharedMemory is returned by the region functions on systems without
// memfd (anything but Linux).
var ErrNoSharedMemory = errors.New("wire: shared memory is not supported on this system")

// ShmSlot returns the bytes a signal of n samples takes in a region: 4n
// rounded up to ShmAlign.
func ShmSlot(n int) int { return (4*n + ShmAlign - 1) &^ (ShmAlign - 1) }

// ShmSpan returns the bytes starting at off that hold n float32 samples in
// region, or an error saying why they do not fit. It is the one check of
// an offset supplied by the other process: the span must lie after the
// header and inside region, whatever off and n are.
func ShmSpan(region []byte, off uint64, n uint32) ([]byte, error) {
	size := uint64(len(region))
	need := 4 * uint64(n)
	switch {
	case off < ShmHeader:
		return nil, fmt.Errorf("wire: shm offset %d is inside the region header (%d bytes)", off, ShmHeader)
	case off > size || need > size-off:
		return nil, fmt.Errorf("wire: shm offset %d + %d bytes (%d samples) is outside the region of %d bytes", off, need, n, size)
	}
	return region[off : off+need : off+need], nil
}

// CheckShmToken reports whether a mapped region starts with token.
func CheckShmToken(region, token []byte) error {
	if len(token) != ShmTokenLen {
		return fmt.Errorf("wire: shm token of %d bytes, want %d", len(token), ShmTokenLen)
	}
	if len(region) < ShmHeader || !bytes.Equal(region[:ShmTokenLen], token) {
		return errors.New("wire: the mapped region does not start with the host's token (wrong descriptor?)")
	}
	return nil
}

// MapShmToken is the plugin's side of MapRegion: it maps size bytes of fd
// (MapShm) and checks that they start with the host's token, unmapping
// them again when they do not.
func MapShmToken(fd int, size uint64, token []byte) ([]byte, error) {
	mem, err := MapShm(fd, size)
	if err != nil {
		return nil, err
	}
	if err := CheckShmToken(mem, token); err != nil {
		_ = UnmapShm(mem)
		return nil, err
	}
	return mem, nil
}
