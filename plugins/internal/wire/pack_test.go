package wire

import (
	"math"
	"testing"
)

func TestPackRoundTrip(t *testing.T) {
	x := []float64{0, 1, -1.5, 1e-3, 3.25e4, math.Inf(1)}
	b := AppendFloat64(nil, x)
	if len(b) != 4*len(x) {
		t.Fatalf("len = %d, want %d", len(b), 4*len(x))
	}
	got, err := Float64(nil, b, uint32(len(x)))
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if got[i] != float64(float32(x[i])) {
			t.Errorf("got[%d] = %v, want %v", i, got[i], float32(x[i]))
		}
	}
	// Little endian: 1.0f is 00 00 80 3f.
	if one := AppendFloat32(nil, []float32{1}); one[3] != 0x3f || one[2] != 0x80 {
		t.Errorf("1.0 packed as % x, want 00 00 80 3f", one)
	}
	f32, err := Float32(nil, b, uint32(len(x)))
	if err != nil || f32[2] != -1.5 {
		t.Errorf("Float32 = %v, %v", f32, err)
	}
}

// TestAppendFloat64Offsets packs after 0 to 4 bytes already in dst, so
// both the aligned in-place path and the byte-by-byte one run, and checks
// that they agree.
func TestAppendFloat64Offsets(t *testing.T) {
	x := []float64{0, 1, -1.5, 1e-3, 3.25e4, math.Inf(1), -1e39, math.MaxFloat32}
	want := make([]byte, 0, 4*len(x))
	for _, v := range x {
		u := math.Float32bits(float32(v))
		want = append(want, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
	}
	for off := 0; off <= 4; off++ {
		prefix := []byte{9, 9, 9, 9}[:off]
		got := AppendFloat64(append([]byte(nil), prefix...), x)
		if string(got[:off]) != string(prefix) || string(got[off:]) != string(want) {
			t.Errorf("after %d bytes: % x, want % x", off, got[off:], want)
		}
	}
}

func TestFloat32Finite(t *testing.T) {
	for _, tt := range []struct {
		x    []float32
		want int
	}{
		{[]float32{1, 2, 3}, -1},
		{[]float32{1, float32(math.NaN()), float32(math.Inf(1))}, 1},
		{[]float32{float32(math.Inf(-1))}, 0},
		{[]float32{math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32}, -1},
	} {
		got, bad, err := Float32Finite(nil, AppendFloat32(nil, tt.x), uint32(len(tt.x)))
		if err != nil || bad != tt.want || len(got) != len(tt.x) {
			t.Errorf("Float32Finite(%v) = %v, %d, %v; want first non-finite %d", tt.x, got, bad, err, tt.want)
		}
	}
}

// TestFloat32FiniteEveryPosition puts NaN, +Inf and -Inf at every index of
// signals of 0 to 13 samples (the checks run 4 values at a time plus a
// tail) and compares with a value-by-value reference.
func TestFloat32FiniteEveryPosition(t *testing.T) {
	bad := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	for n := 0; n <= 13; n++ {
		for pos := -1; pos < n; pos++ {
			for _, v := range bad {
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(i) - 3.5
				}
				if pos >= 0 {
					x[pos] = v
					if pos+2 < n {
						x[pos+2] = v // only the first one counts
					}
				}
				checkFloat32Finite(t, AppendFloat32(nil, x), uint32(n))
			}
		}
	}
}

// checkFloat32Finite compares Float32Finite on b with a reference decoder.
func checkFloat32Finite(t *testing.T, b []byte, n uint32) {
	t.Helper()
	got, bad, err := Float32Finite(nil, b, n)
	if uint64(len(b)) != 4*uint64(n) {
		if err == nil {
			t.Fatalf("%d bytes for %d samples: want an error", len(b), n)
		}
		return
	}
	if err != nil {
		t.Fatalf("valid length rejected: %v", err)
	}
	want := -1
	for i := range got {
		u := uint32(b[4*i]) | uint32(b[4*i+1])<<8 | uint32(b[4*i+2])<<16 | uint32(b[4*i+3])<<24
		if math.Float32bits(got[i]) != u {
			t.Fatalf("sample %d decoded as %#x, want %#x", i, math.Float32bits(got[i]), u)
		}
		if f := float64(math.Float32frombits(u)); want < 0 && (math.IsNaN(f) || math.IsInf(f, 0)) {
			want = i
		}
	}
	if bad != want {
		t.Fatalf("first non-finite = %d, want %d", bad, want)
	}
}

func FuzzFloat32Finite(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63}, uint32(1))
	f.Add([]byte{0, 0, 128, 63, 0, 0, 192, 127}, uint32(2))
	f.Add([]byte{1, 2, 3}, uint32(1))
	f.Fuzz(func(t *testing.T, b []byte, n uint32) {
		if n > 1<<20 {
			return
		}
		checkFloat32Finite(t, b, n)
	})
}

func TestPackLengthMismatch(t *testing.T) {
	if _, err := Float64(nil, make([]byte, 7), 2); err == nil {
		t.Error("7 bytes for 2 samples: want an error")
	}
	if _, err := Float32(nil, make([]byte, 8), 3); err == nil {
		t.Error("8 bytes for 3 samples: want an error")
	}
}

func FuzzFloat64(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63}, uint32(1))
	f.Add([]byte{1, 2, 3}, uint32(1))
	f.Add([]byte{}, uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, n uint32) {
		got, err := Float64(nil, b, n)
		if err != nil {
			if len(b) == 4*int(n) {
				t.Fatalf("valid length rejected: %v", err)
			}
			return
		}
		if back := AppendFloat64(nil, got); string(back) != string(b) && !hasNaN(got) {
			t.Fatalf("round trip changed bytes")
		}
	})
}

func hasNaN(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) {
			return true
		}
	}
	return false
}

func BenchmarkAppendFloat64(b *testing.B) {
	x := make([]float64, 64*18000)
	for i := range x {
		x[i] = float64(i % 1000)
	}
	buf := make([]byte, 0, 4*len(x))
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		buf = AppendFloat64(buf[:0], x)
	}
}

func BenchmarkFloat32(b *testing.B) {
	raw := AppendFloat32(nil, make([]float32, 64*18000))
	dst := make([]float32, 64*18000)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		dst, _ = Float32(dst, raw, uint32(len(dst)))
	}
}

func BenchmarkFloat32Finite(b *testing.B) {
	raw := AppendFloat32(nil, make([]float32, 64*18000))
	dst := make([]float32, 64*18000)
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		dst, _, _ = Float32Finite(dst, raw, uint32(len(dst)))
	}
}

// TestFloat32View checks that an aligned buffer is read in place (a write
// to the bytes shows in the view) and a misaligned one is decoded into a
// copy, both with the values and first non-finite index of Float32Finite.
func TestFloat32View(t *testing.T) {
	x := []float32{1, -2.5, float32(math.Inf(1)), 4}
	raw := AppendFloat32(make([]byte, 0, 4*len(x)+1), x)
	shifted := append(make([]byte, 1, 4*len(x)+1), raw...)[1:]
	for _, tt := range []struct {
		name    string
		b       []byte
		aliases bool
	}{{"aligned", raw, nativeLittleEndian}, {"misaligned", shifted, false}} {
		v, bad, err := Float32View(tt.b, uint32(len(x)))
		if err != nil || bad != 2 || len(v) != len(x) {
			t.Fatalf("%s: view %v, first non-finite %d, %v; want %v, 2", tt.name, v, bad, err, x)
		}
		for i := range x {
			if v[i] != x[i] && !(math.IsInf(float64(v[i]), 1) && math.IsInf(float64(x[i]), 1)) {
				t.Errorf("%s: v[%d] = %v, want %v", tt.name, i, v[i], x[i])
			}
		}
		tt.b[0], tt.b[1], tt.b[2], tt.b[3] = 0, 0, 0, 0
		if got := v[0] == 0; got != tt.aliases {
			t.Errorf("%s: view follows a write to the bytes: %v, want %v", tt.name, got, tt.aliases)
		}
	}
	if _, _, err := Float32View(raw[:3], 1); err == nil {
		t.Error("3 bytes for 1 sample: no error")
	}
}

func BenchmarkFloat32View(b *testing.B) {
	raw := AppendFloat32(nil, make([]float32, 64*18000))
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		_, _, _ = Float32View(raw, 64*18000)
	}
}
