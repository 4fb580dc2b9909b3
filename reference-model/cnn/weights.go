package cnn

import (
	"encoding/json"
	"fmt"
	"io"
)

// kindWeights marks a file of inference weights.
const kindWeights = "ecgrobust-cnn-weights/v1"

// Weights are the inference-form parameters of a network: batch
// normalisation is folded into each convolution's weights and bias.
type Weights struct {
	Arch Arch
	// Conv[i] are layer i's weights, Out × In × Kernel, row-major.
	Conv [][]float32
	// Bias[i] are layer i's biases, Out.
	Bias [][]float32
	// FC are the linear head's weights, Classes × C, and FCBias its biases.
	FC, FCBias []float32
	// Meta is free-form JSON stored with the weights (training
	// configuration and provenance).
	Meta json.RawMessage
}

// ReadWeights decodes weights written by [Weights.Write], checking their
// SHA-256 and shapes.
func ReadWeights(r io.Reader) (*Weights, error) {
	f, err := readTensorFile(r)
	if err != nil {
		return nil, err
	}
	if f.Kind != kindWeights {
		return nil, fmt.Errorf("%w: kind %q, want %q", ErrFormat, f.Kind, kindWeights)
	}
	w := &Weights{Arch: f.Arch, Meta: f.Meta}
	a := f.Arch
	for i, l := range a.Layers {
		cw, err := f.tensor(fmt.Sprintf("conv%d.weight", i), l.Out*a.in(i)*l.Kernel)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		cb, err := f.tensor(fmt.Sprintf("conv%d.bias", i), l.Out)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		w.Conv, w.Bias = append(w.Conv, cw), append(w.Bias, cb)
	}
	c := a.Layers[len(a.Layers)-1].Out
	if w.FC, err = f.tensor("fc.weight", a.Classes*c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if w.FCBias, err = f.tensor("fc.bias", a.Classes); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return w, nil
}

// Write encodes w in the framework-neutral format described in README.md.
func (w *Weights) Write(out io.Writer) error {
	f := &tensorFile{Kind: kindWeights, Arch: w.Arch, Meta: w.Meta}
	a := w.Arch
	for i, l := range a.Layers {
		f.add(fmt.Sprintf("conv%d.weight", i), w.Conv[i], l.Out, a.in(i), l.Kernel)
		f.add(fmt.Sprintf("conv%d.bias", i), w.Bias[i], l.Out)
	}
	c := a.Layers[len(a.Layers)-1].Out
	f.add("fc.weight", w.FC, a.Classes, c)
	f.add("fc.bias", w.FCBias, a.Classes)
	return f.write(out)
}

// params converts w to inference-form parameters of type T.
func paramsFrom[T float](w *Weights) *params[T] {
	p := newParams[T](w.Arch, false)
	for i := range w.Arch.Layers {
		convert(p.w[i], w.Conv[i])
		convert(p.bias[i], w.Bias[i])
	}
	convert(p.fcW, w.FC)
	convert(p.fcB, w.FCBias)
	return p
}

func convert[T, U float](dst []T, src []U) {
	for i, v := range src {
		dst[i] = T(v)
	}
}
