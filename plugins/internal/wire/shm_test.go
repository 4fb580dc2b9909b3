package wire

import (
	"math/big"
	"testing"
	"unsafe"
)

// FuzzShmSpan checks the one bounds check of offsets supplied by the other
// process: whatever the region size, offset and sample count, ShmSpan
// never panics, accepts exactly the spans that lie in region[ShmHeader:],
// and returns exactly those 4n bytes of the region, with no spare capacity
// (an append must not run into the next slot).
func FuzzShmSpan(f *testing.F) {
	const maxRegion = 1 << 20 // keeps allocations small; offsets and n stay arbitrary
	for _, seed := range []struct {
		size uint32
		off  uint64
		n    uint32
	}{
		{2 * ShmHeader, ShmHeader, 1},             // first slot
		{2 * ShmHeader, ShmHeader, ShmHeader / 4}, // exactly fills the region
		{2 * ShmHeader, ShmHeader, ShmHeader/4 + 1},
		{2 * ShmHeader, 2 * ShmHeader, 0},     // empty span at the very end
		{2 * ShmHeader, 2*ShmHeader + 1, 0},   // just past the end
		{2 * ShmHeader, ShmHeader - 1, 1},     // inside the header
		{2 * ShmHeader, 0, 0},                 // offset 0: the token
		{ShmHeader, ShmHeader, 0},             // header only
		{ShmHeader - 1, ShmHeader, 0},         // region shorter than the header
		{0, 0, 0},                             // no region at all
		{2 * ShmHeader, 1<<64 - 1, 1},         // off + 4n wraps around
		{2 * ShmHeader, 1<<64 - 4, 1},         // exactly wraps to 0
		{2 * ShmHeader, ShmHeader, 1<<32 - 1}, // 4n above 32 bits
		{2 * ShmHeader, 1 << 62, 1 << 30},
	} {
		f.Add(seed.size, seed.off, seed.n)
	}
	f.Fuzz(func(t *testing.T, size uint32, off uint64, n uint32) {
		size %= maxRegion
		region := make([]byte, size)
		b, err := ShmSpan(region, off, n)

		// The reference, in exact arithmetic: ShmHeader ≤ off and
		// off + 4n ≤ size.
		end := new(big.Int).Add(new(big.Int).SetUint64(off), big.NewInt(4*int64(n)))
		fits := off >= ShmHeader && end.Cmp(big.NewInt(int64(size))) <= 0
		if !fits {
			if err == nil {
				t.Fatalf("ShmSpan(region of %d, off %d, n %d) accepted a span outside region[ShmHeader:]", size, off, n)
			}
			if b != nil {
				t.Fatalf("ShmSpan returned %d bytes with its error %v", len(b), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("ShmSpan(region of %d, off %d, n %d): %v, want the span", size, off, n, err)
		}
		if len(b) != 4*int(n) || cap(b) != 4*int(n) {
			t.Fatalf("span of len %d cap %d, want %d", len(b), cap(b), 4*n)
		}
		if n == 0 {
			return
		}
		start := uintptr(unsafe.Pointer(&b[0])) - uintptr(unsafe.Pointer(&region[0]))
		if uint64(start) != off || start < ShmHeader || start+uintptr(len(b)) > uintptr(size) {
			t.Fatalf("span starts at region offset %d (len %d), want %d inside [%d, %d)", start, len(b), off, ShmHeader, size)
		}
	})
}
