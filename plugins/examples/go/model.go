package main

import (
	"math"

	"github.com/ecgrobust/ecgrobust/plugins/sdk"
)

// The model: three features of a signal x of n samples in adu (gain g =
// 1000 adu/mV), then logits z = W·f.
//
//	f0 = 1
//	f1 = mean(x) / g                 (baseline, mV)
//	f2 = mean((x/g)²)                (power, mV²)
//
// It is no rhythm detector, only smooth, deterministic and cheap, with the
// exact gradient dz_c/dx_i = W[c][1]/(g n) + 2 W[c][2] x_i/(g² n).
var weights = [4][3]float64{
	{1.0, 0.5, -0.8},  // N
	{0.2, -0.4, 1.2},  // A
	{0.5, 1.0, 0.3},   // O
	{-0.5, -1.0, 2.0}, // ~
}

const gain = 1000

func logits(x []float32) []float64 {
	var m1, m2 float64
	for _, v := range x {
		u := float64(v) / gain
		m1 += u
		m2 += u * u
	}
	n := float64(len(x))
	f := [3]float64{1, m1 / n, m2 / n}
	z := make([]float64, len(weights))
	for c, w := range weights {
		z[c] = w[0]*f[0] + w[1]*f[1] + w[2]*f[2]
	}
	return z
}

func predict(x [][]float32) [][]float32 {
	out := make([][]float32, len(x))
	for i, s := range x {
		z := logits(s)
		out[i] = make([]float32, len(z))
		for c, v := range z {
			out[i][c] = float32(v)
		}
	}
	return out
}

// dLoss returns d loss / d z for logits z and label y.
func dLoss(z []float64, y int, loss sdk.Loss) []float64 {
	d := make([]float64, len(z))
	if loss == sdk.LogitMargin { // z_y - max_{j≠y} z_j
		j := -1
		for k := range z {
			if k != y && (j < 0 || z[k] > z[j]) {
				j = k
			}
		}
		d[y], d[j] = 1, -1
		return d
	}
	m := math.Inf(-1) // cross-entropy: softmax(z) - onehot(y)
	for _, v := range z {
		m = math.Max(m, v)
	}
	var sum float64
	for k, v := range z {
		d[k] = math.Exp(v - m)
		sum += d[k]
	}
	for k := range d {
		d[k] /= sum
	}
	d[y]--
	return d
}

func gradient(x [][]float32, labels []int, loss sdk.Loss) [][]float32 {
	out := make([][]float32, len(x))
	for i, s := range x {
		d := dLoss(logits(s), labels[i], loss)
		var a, b float64 // dL/dx_j = a + b x_j
		for c, w := range weights {
			a += d[c] * w[1]
			b += d[c] * 2 * w[2]
		}
		n := float64(len(s))
		a, b = a/(gain*n), b/(gain*gain*n)
		out[i] = make([]float32, len(s))
		for j, v := range s {
			out[i][j] = float32(a + b*float64(v))
		}
	}
	return out
}
