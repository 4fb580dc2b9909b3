// Package cnn is the reference ECG classifier of ecgrobust: a 1-D
// convolutional network over one 60-s lead (18,000 samples at 300 Hz, in
// adu at 1000 adu/mV) with the CinC 2017 classes N, A, O, ~, its training
// code and its weight format. reference-model/README.md describes the
// architecture layer by layer, the weight file, training and results.
//
// # Use
//
//	m, err := cnn.Reference(0) // embedded weights, GOMAXPROCS workers
//	scores, err := m.Predict(ctx, signals)               // logits
//	grads, scores, err := m.InputGradient(ctx, signals, labels, model.CrossEntropy)
//
// [Model] implements [model.Classifier] and [model.Gradienter]. Gradients
// are exact (per adu) for the float32 network, which reads signals at
// float32 precision, so the plugin in reference-model/cmd/plugin returns
// the same bits.
//
// # Implementation
//
// The network runs on this package's own code, not on gorgonia (see the
// README for the measurements behind that): one dense kernel, [gemm], with
// an AVX2/FMA micro-kernel in Go assembly, computes every convolution, its
// transpose and its weight gradient by reading its input through
// overlapping row strides, so no im2col copy is made. The engine runs a
// batch layer by layer with the samples spread over goroutines; every sum
// over samples runs in sample order, so results do not depend on the
// number of workers. The code is generic over float32 (speed) and float64
// (gradient checks); a test cross-checks it against the same network built
// in gorgonia.
package cnn
