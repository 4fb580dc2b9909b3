//go:build amd64 && !purego

package cnn

import "golang.org/x/sys/cpu"

// haveAVX2 reports whether the AVX2+FMA float32 kernel is used.
var haveAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func gemm4x16AVX2(c *float32, ldc int, w *float32, ldw int, x *float32, ldx int, xs int, cin int, kw int, bias *float32)
