package cnn

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/ecgrobust/ecgrobust/reference-model/weights"
)

// Name is the reference model's Info.Name.
const Name = "ecgrobust-reference-cnn"

// ReferenceWeights decodes the embedded weights of reference-model/weights,
// checking their SHA-256.
func ReferenceWeights() (*Weights, error) {
	b := weights.Reference()
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != weights.SHA256 {
		return nil, fmt.Errorf("%w: embedded weights SHA-256 %s, want %s", ErrFormat, got, weights.SHA256)
	}
	w, err := ReadWeights(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("read embedded weights: %w", err)
	}
	return w, nil
}

// Reference returns the reference model with the embedded weights; workers
// is the number of goroutines per call (0: GOMAXPROCS). Its Info.Version
// names the weights by the first 12 hex digits of their SHA-256.
func Reference(workers int) (*Model, error) {
	w, err := ReferenceWeights()
	if err != nil {
		return nil, err
	}
	return New(w, Name, "1.0.0+"+weights.SHA256[:12], workers)
}
