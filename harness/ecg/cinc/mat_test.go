package cinc

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"
)

// matBytes builds one level-4 variable.
func matBytes(order binary.ByteOrder, typ, rows, cols, imagf int32, name string, data any) []byte {
	var b bytes.Buffer
	m := int32(0)
	if order == binary.BigEndian {
		m = 1000
	}
	for _, v := range []int32{m + typ, rows, cols, imagf, int32(len(name) + 1)} {
		binary.Write(&b, order, v)
	}
	b.WriteString(name)
	b.WriteByte(0)
	if data != nil {
		binary.Write(&b, order, data)
	}
	return b.Bytes()
}

func TestParseMATPrecisions(t *testing.T) {
	for _, tc := range []struct {
		typ  int32
		data any
	}{
		{0, []float64{-1.5, 2, 1e6}},
		{10, []float32{-1.5, 2, 1e6}},
		{20, []int32{-1, 2, 1000000}},
		{30, []int16{-1, 2, 32767}},
		{40, []uint16{1, 2, 65535}},
		{50, []uint8{1, 2, 255}},
	} {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			b := matBytes(order, tc.typ, 1, 3, 0, "val", tc.data)
			b = append(b, matBytes(order, 0, 1, 1, 0, "x", []float64{7})...)
			ms, err := ParseMAT(b)
			if err != nil {
				t.Fatalf("type %d %v: %v", tc.typ, order, err)
			}
			if len(ms) != 2 || ms[0].Name != "val" || ms[1].Name != "x" || ms[1].Float64s()[0] != 7 {
				t.Fatalf("type %d %v: got %+v", tc.typ, order, ms)
			}
			got := ms[0].Float64s()
			var want []float64
			switch d := tc.data.(type) {
			case []float64:
				want = d
			case []float32:
				want = []float64{float64(d[0]), float64(d[1]), float64(d[2])}
			case []int32:
				want = []float64{float64(d[0]), float64(d[1]), float64(d[2])}
			case []int16:
				want = []float64{float64(d[0]), float64(d[1]), float64(d[2])}
			case []uint16:
				want = []float64{float64(d[0]), float64(d[1]), float64(d[2])}
			case []uint8:
				want = []float64{float64(d[0]), float64(d[1]), float64(d[2])}
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("type %d %v: value %d = %v, want %v", tc.typ, order, i, got[i], want[i])
				}
			}
		}
	}
}

func TestParseMATComplexSkipsImaginary(t *testing.T) {
	b := matBytes(binary.LittleEndian, 0, 2, 1, 1, "z", []float64{1, 2, 3, 4})
	b = append(b, matBytes(binary.LittleEndian, 30, 1, 1, 0, "val", []int16{5})...)
	m, err := DecodeMAT(b)
	if err != nil || m.Float64s()[0] != 5 {
		t.Fatalf("DecodeMAT after a complex variable: %v %v", m, err)
	}
}

func TestParseMATErrors(t *testing.T) {
	good := matBytes(binary.LittleEndian, 30, 1, 3, 0, "val", []int16{1, 2, 3})
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"short header", good[:10], "offset 0: truncated header"},
		{"truncated data", good[:len(good)-1], "offset 24: variable \"val\" needs 1×3 values (6 bytes) but 5 bytes are left"},
		{"bad type", matBytes(binary.LittleEndian, 3000, 1, 1, 0, "v", []int16{1}), "type word"},
		{"vax", append([]byte{0xb8, 0x0b, 0, 0}, good[4:]...), "not a little- or big-endian"},
		{"precision", matBytes(binary.LittleEndian, 60, 1, 1, 0, "v", []int16{1}), "unknown precision 6"},
		{"sparse", matBytes(binary.LittleEndian, 2, 1, 1, 0, "v", []float64{1}), "matrix kind 2"},
		{"negative", matBytes(binary.LittleEndian, 30, -1, 1, 0, "v", []int16{1}), "negative dimensions"},
		{"imagf", matBytes(binary.LittleEndian, 30, 1, 1, 2, "v", []int16{1}), "imagf 2"},
		{"huge", matBytes(binary.LittleEndian, 0, math.MaxInt32, math.MaxInt32, 0, "v", nil), "but 0 bytes are left"},
		{"name length", append(append([]byte{}, good[:16]...), 0xff, 0xff, 0, 0), "name length 65535"},
		{"trailing garbage", append(append([]byte{}, good...), 1, 2, 3), "offset 30: truncated header"},
	} {
		_, err := ParseMAT(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
	noName := matBytes(binary.LittleEndian, 30, 1, 1, 0, "v", []int16{1})
	noName[20] = 'v'
	noName[21] = 'x'
	if _, err := ParseMAT(noName); err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("unterminated name: %v", err)
	}
	if _, err := DecodeMAT(matBytes(binary.LittleEndian, 30, 1, 1, 0, "x", []int16{1})); err == nil || !strings.Contains(err.Error(), `no variable "val"`) {
		t.Errorf("missing val: %v", err)
	}
	if _, err := DecodeMAT(matBytes(binary.LittleEndian, 30, 2, 2, 0, "val", []int16{1, 2, 3, 4})); err == nil || !strings.Contains(err.Error(), "2×2") {
		t.Errorf("matrix val: %v", err)
	}
}

func FuzzParseMAT(f *testing.F) {
	f.Add(matBytes(binary.LittleEndian, 30, 1, 3, 0, "val", []int16{1, 2, 3}))
	f.Add(matBytes(binary.BigEndian, 0, 1, 2, 1, "z", []float64{1, 2, 3, 4}))
	f.Add(matBytes(binary.LittleEndian, 51, 1, 2, 0, "s", []uint8{'h', 'i'}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := ParseMAT(b)
		if err != nil {
			return
		}
		for i := range ms {
			if got := ms[i].Float64s(); len(got) != ms[i].Len() {
				t.Fatalf("%d values for %d×%d", len(got), ms[i].Rows, ms[i].Cols)
			}
		}
		DecodeMAT(b)
	})
}
