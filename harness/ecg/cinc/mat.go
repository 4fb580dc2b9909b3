package cinc

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Matrix is one variable of a MATLAB level-4 (.mat v4) file. Data are kept
// in the file's byte order and precision and converted on demand.
type Matrix struct {
	// Name is the variable name, e.g. "val".
	Name string
	// Rows and Cols are the matrix dimensions; data are column-major.
	Rows, Cols int
	// Precision is the P digit of the type word: 0 float64, 1 float32,
	// 2 int32, 3 int16, 4 uint16, 5 uint8.
	Precision int
	// Text reports a text matrix (T digit 1).
	Text bool
	// Complex reports an imaginary part, which Float64s ignores.
	Complex bool

	order binary.ByteOrder
	real  []byte
}

// Len returns Rows·Cols.
func (m *Matrix) Len() int { return m.Rows * m.Cols }

var matElemSize = [...]int{8, 4, 4, 2, 2, 1}

// Float64s returns the real part of m, column by column.
func (m *Matrix) Float64s() []float64 {
	out := make([]float64, m.Len())
	m.Decode(out)
	return out
}

// Decode writes the first min(len(dst), m.Len()) values of the real part of
// m into dst and returns how many it wrote.
func (m *Matrix) Decode(dst []float64) int {
	n := min(len(dst), m.Len())
	b := m.real
	o := m.order
	switch m.Precision {
	case 0:
		for i := range n {
			dst[i] = math.Float64frombits(o.Uint64(b[8*i:]))
		}
	case 1:
		for i := range n {
			dst[i] = float64(math.Float32frombits(o.Uint32(b[4*i:])))
		}
	case 2:
		for i := range n {
			dst[i] = float64(int32(o.Uint32(b[4*i:])))
		}
	case 3:
		if o == binary.LittleEndian {
			b = b[:2*n]
			for i := range n {
				dst[i] = float64(int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8))
			}
		} else {
			for i := range n {
				dst[i] = float64(int16(o.Uint16(b[2*i:])))
			}
		}
	case 4:
		for i := range n {
			dst[i] = float64(o.Uint16(b[2*i:]))
		}
	case 5:
		for i := range n {
			dst[i] = float64(b[i])
		}
	}
	return n
}

// ParseMAT decodes every variable of a MATLAB level-4 file held in b. The
// data of the returned matrices alias b. Errors give the byte offset of the
// offending field; callers add the file name.
//
// Level 4 stores, per variable, five int32 header words (type, mrows, ncols,
// imagf, namlen), the NUL-terminated name, the real part and, when imagf is
// 1, the imaginary part. The type word is M·1000 + O·100 + P·10 + T: M is the
// byte order (0 little-endian, 1 big-endian IEEE; VAX and Cray are
// rejected), O is 0, P the precision and T the matrix kind (0 numeric,
// 1 text; 2 sparse is rejected).
func ParseMAT(b []byte) ([]Matrix, error) {
	var out []Matrix
	off := 0
	for off < len(b) {
		m, n, err := parseMATVar(b[off:], off)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
		off += n
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("mat v4: empty file")
	}
	return out, nil
}

func parseMATVar(b []byte, base int) (Matrix, int, error) {
	var m Matrix
	if len(b) < 20 {
		return m, 0, fmt.Errorf("mat v4: offset %d: truncated header (%d of 20 bytes)", base, len(b))
	}
	t := int64(int32(binary.LittleEndian.Uint32(b)))
	m.order = binary.LittleEndian
	if t < 0 || t >= 1000 {
		tb := int64(int32(binary.BigEndian.Uint32(b)))
		if tb < 1000 || tb >= 2000 {
			return m, 0, fmt.Errorf("mat v4: offset %d: type word %d is not a little- or big-endian IEEE level-4 type", base, t)
		}
		t, m.order = tb-1000, binary.BigEndian
	}
	o, p, k := t/100, t/10%10, t%10
	if o != 0 {
		return m, 0, fmt.Errorf("mat v4: offset %d: type word %d: O digit %d is not 0", base, t, o)
	}
	if p > 5 {
		return m, 0, fmt.Errorf("mat v4: offset %d: type word %d: unknown precision %d", base, t, p)
	}
	if k > 1 {
		return m, 0, fmt.Errorf("mat v4: offset %d: type word %d: matrix kind %d is not supported (only full numeric or text)", base, t, k)
	}
	m.Precision, m.Text = int(p), k == 1
	rows := int64(int32(m.order.Uint32(b[4:])))
	cols := int64(int32(m.order.Uint32(b[8:])))
	imagf := int32(m.order.Uint32(b[12:]))
	namlen := int64(int32(m.order.Uint32(b[16:])))
	if rows < 0 || cols < 0 {
		return m, 0, fmt.Errorf("mat v4: offset %d: negative dimensions %d×%d", base+4, rows, cols)
	}
	if imagf != 0 && imagf != 1 {
		return m, 0, fmt.Errorf("mat v4: offset %d: imagf %d is neither 0 nor 1", base+12, imagf)
	}
	m.Complex = imagf == 1
	if namlen < 1 || namlen > int64(len(b)-20) {
		return m, 0, fmt.Errorf("mat v4: offset %d: name length %d does not fit the %d bytes left", base+16, namlen, len(b)-20)
	}
	name := b[20 : 20+namlen]
	end := 0
	for end < len(name) && name[end] != 0 {
		end++
	}
	if end == len(name) {
		return m, 0, fmt.Errorf("mat v4: offset %d: name is not NUL-terminated", base+20)
	}
	m.Name = string(name[:end])
	off := 20 + namlen
	size := rows * cols // both < 2^31: fits in int64
	parts := int64(1)
	if m.Complex {
		parts = 2
	}
	nbytes := size * int64(matElemSize[p])
	if size > math.MaxInt32 || nbytes*parts > int64(len(b))-off {
		return m, 0, fmt.Errorf("mat v4: offset %d: variable %q needs %d×%d values (%d bytes) but %d bytes are left", base+int(off), m.Name, rows, cols, nbytes*parts, int64(len(b))-off)
	}
	m.Rows, m.Cols = int(rows), int(cols)
	m.real = b[off : off+nbytes]
	return m, int(off + nbytes*parts), nil
}
