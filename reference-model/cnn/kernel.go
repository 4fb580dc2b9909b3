package cnn

// float is the element type of the network: float32 for speed, float64 for
// gradient checks.
type float interface{ ~float32 | ~float64 }

// gemm is the one dense kernel of the network. For r in [0,rows) and n in
// [0,cols) it sets c[r*ldc+n] to
//
//	c0 + Σ_{ci<cin} Σ_{k<kw} w[r*ldw+ci*kw+k] · x[ci*ldx+k*xs+n]
//
// summed in that order, where c0 is bias[r] if bias is not nil and the old
// c[r*ldc+n] otherwise. rows must be a multiple of 4 and cols of 16. With ldw = 1
// and xs = 1 the rows of w and x overlap, which is what lets a 1-D
// convolution, its transpose and its weight gradient all run through it
// without an im2col copy. gemm panics if an index would leave a slice.
func gemm[T float](c []T, ldc int, w []T, ldw int, x []T, ldx, xs, cin, kw, rows, cols int, bias []T) {
	if rows%4 != 0 || cols%16 != 0 || cin < 1 || kw < 1 || rows < 4 {
		panic("cnn: bad gemm shape")
	}
	if bias != nil && len(bias) < rows {
		panic("cnn: gemm bias too short")
	}
	if (rows-1)*ldc+cols > len(c) || (rows-1)*ldw+cin*kw > len(w) || (cin-1)*ldx+(kw-1)*xs+cols > len(x) {
		panic("cnn: gemm index out of range")
	}
	if haveAVX2 {
		if c32, ok := any(c).([]float32); ok {
			w32, x32, b32 := any(w).([]float32), any(x).([]float32), any(bias).([]float32)
			for r := 0; r < rows; r += 4 {
				var b *float32
				if b32 != nil {
					b = &b32[r]
				}
				for n := 0; n < cols; n += 16 {
					gemm4x16AVX2(&c32[r*ldc+n], ldc, &w32[r*ldw], ldw, &x32[n], ldx, xs, cin, kw, b)
				}
			}
			return
		}
	}
	gemmGo(c, ldc, w, ldw, x, ldx, xs, cin, kw, rows, cols, bias)
}

// gemmGo is the portable form of gemm, summing in the same order.
func gemmGo[T float](c []T, ldc int, w []T, ldw int, x []T, ldx, xs, cin, kw, rows, cols int, bias []T) {
	for r := 0; r < rows; r++ {
		cr := c[r*ldc : r*ldc+cols]
		if bias != nil {
			for n := range cr {
				cr[n] = bias[r]
			}
		}
		wr := w[r*ldw : r*ldw+cin*kw]
		for ci := 0; ci < cin; ci++ {
			for k := 0; k < kw; k++ {
				a := wr[ci*kw+k]
				xo := ci*ldx + k*xs
				xr := x[xo : xo+cols]
				for n := range cr {
					cr[n] += a * xr[n]
				}
			}
		}
	}
}
