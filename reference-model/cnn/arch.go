package cnn

import (
	"errors"
	"fmt"
)

// LayerSpec is one convolution block: a 'same'-padded, stride-1 1-D
// convolution to Out channels with a kernel of Kernel taps, a per-channel
// affine map (batch normalisation while training, folded into the
// convolution's weights and bias afterwards), ReLU, and max-pooling over
// windows of Pool samples (stride Pool; 1 means no pooling).
type LayerSpec struct {
	Out    int `json:"out"`
	Kernel int `json:"kernel"`
	Pool   int `json:"pool"`
}

// Arch is a network: one input channel, the convolution blocks of Layers,
// a global max over time of the last block, and a linear map to Classes
// logits.
type Arch struct {
	Layers  []LayerSpec `json:"layers"`
	Classes int         `json:"classes"`
}

// DefaultArch is the reference model's architecture (see README.md).
func DefaultArch() Arch {
	return Arch{
		Layers: []LayerSpec{
			{Out: 16, Kernel: 16, Pool: 4},
			{Out: 32, Kernel: 8, Pool: 2},
			{Out: 32, Kernel: 8, Pool: 2},
			{Out: 64, Kernel: 8, Pool: 2},
			{Out: 64, Kernel: 8, Pool: 2},
			{Out: 128, Kernel: 8, Pool: 2},
			{Out: 128, Kernel: 8, Pool: 1},
		},
		Classes: 4,
	}
}

// Validate reports whether a can be run by this package: at least one
// layer, channel counts that are multiples of 16, kernels of 1–32 taps and
// pools of 1–16.
func (a Arch) Validate() error {
	if len(a.Layers) == 0 {
		return errors.New("cnn: architecture has no layers")
	}
	if a.Classes < 2 {
		return fmt.Errorf("cnn: %d classes, need at least 2", a.Classes)
	}
	for i, l := range a.Layers {
		if l.Out < 16 || l.Out%16 != 0 {
			return fmt.Errorf("cnn: layer %d: %d output channels, need a positive multiple of 16", i, l.Out)
		}
		if l.Kernel < 1 || l.Kernel > 32 {
			return fmt.Errorf("cnn: layer %d: kernel %d outside [1, 32]", i, l.Kernel)
		}
		if l.Pool < 1 || l.Pool > 16 {
			return fmt.Errorf("cnn: layer %d: pool %d outside [1, 16]", i, l.Pool)
		}
	}
	return nil
}

// in returns the number of input channels of layer i.
func (a Arch) in(i int) int {
	if i == 0 {
		return 1
	}
	return a.Layers[i-1].Out
}

// lengths returns the input length of every layer and, last, the length
// the global pooling sees, for an input of n samples.
func (a Arch) lengths(n int) []int {
	ls := make([]int, len(a.Layers)+1)
	ls[0] = n
	for i, l := range a.Layers {
		ls[i+1] = ls[i] / l.Pool
	}
	return ls
}

// FLOPs returns the multiply-adds ×2 of one forward pass over n samples.
func (a Arch) FLOPs(n int) int64 {
	var f int64
	ls := a.lengths(n)
	for i, l := range a.Layers {
		f += 2 * int64(ls[i]) * int64(a.in(i)*l.Out*l.Kernel)
	}
	return f + 2*int64(a.Layers[len(a.Layers)-1].Out*a.Classes)
}

// padLeft is the number of zeros a 'same' convolution with k taps reads
// before the first sample: y[t] = Σ_k w[k] x[t+k-padLeft(k)].
func padLeft(k int) int { return (k - 1) / 2 }
