//go:build !amd64 || purego

package cnn

const haveAVX2 = false

func gemm4x16AVX2(c *float32, ldc int, w *float32, ldw int, x *float32, ldx int, xs int, cin int, kw int, bias *float32) {
	panic("cnn: no AVX2 kernel on this platform")
}
