package cnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestGemmMatchesPortable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name                              string
		rows, cols, cin, kw, ldw, ldx, xs int
	}{
		{"conv", 8, 48, 3, 9, 27, 80, 1},
		{"overlap", 4, 16, 1, 100, 1, 0, 32},
		{"single", 4, 16, 1, 1, 1, 16, 1},
	}
	for _, withBias := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/bias=%v", tt.name, withBias), func(t *testing.T) {
				ldc := tt.cols + 5
				c := make([]float32, (tt.rows-1)*ldc+tt.cols)
				w := make([]float32, (tt.rows-1)*tt.ldw+tt.cin*tt.kw)
				x := make([]float32, (tt.cin-1)*tt.ldx+(tt.kw-1)*tt.xs+tt.cols)
				var bias []float32
				if withBias {
					bias = make([]float32, tt.rows)
				}
				for _, s := range [][]float32{c, w, x, bias} {
					for i := range s {
						s[i] = float32(rng.NormFloat64())
					}
				}
				want := to64(c)
				var b64 []float64
				if withBias {
					b64 = to64(bias)
				}
				gemmGo(want, ldc, to64(w), tt.ldw, to64(x), tt.ldx, tt.xs, tt.cin, tt.kw, tt.rows, tt.cols, b64)
				gemm(c, ldc, w, tt.ldw, x, tt.ldx, tt.xs, tt.cin, tt.kw, tt.rows, tt.cols, bias)
				for i := range c {
					if d := math.Abs(float64(c[i]) - want[i]); d > 1e-4*(1+math.Abs(want[i])) {
						t.Fatalf("c[%d] = %v, want %v (avx2 %v)", i, c[i], want[i], haveAVX2)
					}
				}
			})
		}
	}
}

func to64(s []float32) []float64 {
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}

func BenchmarkGemmConv(b *testing.B) {
	// 64→64 channels, kernel 9, 576 outputs: a mid-network layer.
	const cin, cout, k, n = 64, 64, 9, 576
	w := make([]float32, cout*cin*k)
	x := make([]float32, cin*(n+32))
	c := make([]float32, cout*n)
	b.SetBytes(int64(2 * cin * cout * k * n)) // flops, read as "MB/s" = MFLOP/s
	for b.Loop() {
		gemm(c, n, w, cin*k, x, n+32, 1, cin, k, cout, n, nil)
	}
}
