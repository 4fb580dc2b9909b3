// Package weights embeds the trained weights of the reference CNN
// (reference.ecgw, format described in reference-model/README.md) with the
// training configuration and test metrics that produced them
// (training.json, metrics.json). Regenerate all three with
// `make train-reference`, then update [SHA256].
package weights

import _ "embed"

//go:embed reference.ecgw
var reference []byte

//go:embed metrics.json
var metrics []byte

// SHA256 is the hex SHA-256 of the embedded weight file. Tests check it, so
// a weight file changed without updating it fails `make test`.
const SHA256 = "16e07105e50051e1f662f06013501290a0a7ddb112e302d3c3f4a1f3f4c50a2d"

// Reference returns the bytes of the weight file. Callers must not modify
// them.
func Reference() []byte { return reference }

// Metrics returns metrics.json: accuracy, per-class F1 and the confusion
// matrix on the Han et al. 2020 test split, and the predicted label of every
// test record. Callers must not modify the bytes.
func Metrics() []byte { return metrics }
