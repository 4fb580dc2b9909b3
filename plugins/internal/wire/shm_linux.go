//go:build linux

package wire

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// SharedMemorySupported reports whether this system has the shared-memory
// fast path.
const SharedMemorySupported = true

// NewShmFile creates an empty anonymous memory file (memfd, close-on-exec)
// sealed against shrinking, so the other process can never truncate it
// under a mapping (which would raise SIGBUS in the mapper). It can grow.
func NewShmFile(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, unix.F_SEAL_SHRINK|unix.F_SEAL_SEAL); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("seal memfd: %w", err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// GrowShm extends f to size bytes (never shrinks it).
func GrowShm(f *os.File, size int64) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat shm: %w", err)
	}
	if st.Size() >= size {
		return nil
	}
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("grow shm to %d bytes: %w", size, err)
	}
	return nil
}

// MapShm maps size bytes of fd read-write and shared. It refuses a file
// shorter than size, whose missing pages would raise SIGBUS when touched.
func MapShm(fd int, size uint64) ([]byte, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("fstat descriptor %d: %w", fd, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("descriptor %d is not a memory file", fd)
	}
	if size < ShmHeader || size > 1<<40 || uint64(st.Size) < size {
		return nil, fmt.Errorf("region of %d bytes does not fit descriptor %d of %d bytes", size, fd, st.Size)
	}
	if seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0); err != nil || seals&unix.F_SEAL_SHRINK == 0 {
		return nil, fmt.Errorf("descriptor %d is not sealed against shrinking", fd)
	}
	b, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %d bytes: %w", size, err)
	}
	return b, nil
}

// UnmapShm releases a mapping made by MapShm.
func UnmapShm(b []byte) error {
	if b == nil {
		return nil
	}
	return unix.Munmap(b)
}

// NewDoorbell creates a connected pair of stream unix sockets (both
// close-on-exec): the host keeps the first, the plugin inherits the second
// as DoorbellFD.
func NewDoorbell() (host, plugin *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "doorbell-host"), os.NewFile(uintptr(fds[1]), "doorbell-plugin"), nil
}

// IsSocket reports whether fd is an open socket, so that a descriptor
// number named by the other process is checked before it is wrapped (and
// its original closed).
func IsSocket(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK
}
