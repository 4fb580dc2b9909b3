package cnn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestMatchesGorgonia builds the same small network (odd kernels, which
// gorgonia's symmetric padding can express) in gorgonia and checks the
// logits and the input gradient of a linear function of the logits
// against this package's float64 path. It keeps the hand-written kernels
// honest against an independent implementation; see README.md for why the
// model does not run on gorgonia.
func TestMatchesGorgonia(t *testing.T) {
	a := Arch{Layers: []LayerSpec{{16, 5, 2}, {16, 3, 2}, {32, 3, 1}}, Classes: 4}
	rng := rand.New(rand.NewPCG(11, 12))
	p := randParams(a, false, rng)
	const bs, n = 2, 96
	x := [][]float64{smooth(n, rng), smooth(n, rng)}
	c := [][]float64{{1, -2, 0.5, 0.3}, {-1, 0.2, 1.5, -0.7}}

	e := newEngine(p, 1)
	e.forward(x, false)
	var logits []float64
	for s := range c {
		logits = append(logits, e.samples[s].logits...)
		copy(e.samples[s].dlog, c[s])
	}
	e.backward(bs, false, true)
	var grad []float64
	for s := 0; s < bs; s++ {
		grad = append(grad, e.samples[s].dx[0][:n]...)
	}

	g := G.NewGraph()
	node := func(name string, data []float64, shape ...int) *G.Node {
		v := tensor.New(tensor.WithShape(shape...), tensor.WithBacking(slices.Clone(data)))
		return G.NewTensor(g, tensor.Float64, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(v))
	}
	must := func(n *G.Node, err error) *G.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	xn := node("x", slices.Concat(x...), bs, 1, 1, n)
	h := xn
	for i, l := range a.Layers {
		w := node(fmt.Sprintf("w%d", i), p.w[i], l.Out, a.in(i), 1, l.Kernel)
		b := node(fmt.Sprintf("b%d", i), p.bias[i], 1, l.Out, 1, 1)
		h = must(G.Conv2d(h, w, tensor.Shape{1, l.Kernel}, []int{0, padLeft(l.Kernel)}, []int{1, 1}, []int{1, 1}))
		h = must(G.BroadcastAdd(h, b, nil, []byte{0, 2, 3}))
		h = must(G.Rectify(h))
		if l.Pool > 1 {
			h = must(G.MaxPool2D(h, tensor.Shape{1, l.Pool}, []int{0, 0}, []int{1, l.Pool}))
		}
	}
	last := a.lengths(n)[len(a.Layers)]
	ch := a.Layers[len(a.Layers)-1].Out
	h = must(G.MaxPool2D(h, tensor.Shape{1, last}, []int{0, 0}, []int{1, last}))
	h = must(G.Reshape(h, tensor.Shape{bs, ch}))
	wt := make([]float64, ch*a.Classes) // fc weights transposed to C × classes
	for k := 0; k < a.Classes; k++ {
		for j := 0; j < ch; j++ {
			wt[j*a.Classes+k] = p.fcW[k*ch+j]
		}
	}
	z := must(G.Mul(h, node("fcw", wt, ch, a.Classes)))
	z = must(G.BroadcastAdd(z, node("fcb", p.fcB, 1, a.Classes), nil, []byte{0}))
	cost := must(G.Sum(must(G.HadamardProd(z, node("c", slices.Concat(c...), bs, a.Classes)))))
	if _, err := G.Grad(cost, xn); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	gz := z.Value().Data().([]float64)
	gv, err := xn.Grad()
	if err != nil {
		t.Fatal(err)
	}
	gg := gv.Data().([]float64)
	if slices.Max(grad) == 0 && slices.Min(grad) == 0 {
		t.Fatal("input gradient is zero: the comparison would be vacuous")
	}
	const tol = 1e-9
	for i := range logits {
		if math.Abs(gz[i]-logits[i]) > tol*(1+math.Abs(logits[i])) {
			t.Errorf("logit %d: gorgonia %v, cnn %v", i, gz[i], logits[i])
		}
	}
	for i := range grad {
		if math.Abs(gg[i]-grad[i]) > tol*(1+math.Abs(grad[i])) {
			t.Fatalf("input gradient %d: gorgonia %v, cnn %v", i, gg[i], grad[i])
		}
	}
}
