// Package model defines what the engine knows of a classifier: the
// [Classifier] interface, implemented alike by out-of-process plugins
// (plugins/host) and the in-process reference CNN, and the optional
// [Gradienter] for white-box models.
//
// Signals cross this interface as []float64 in adu at the classifier's
// declared sample rate and gain (see [Info]). Scores are per class in the
// order of Info.Classes; whether they are logits or probabilities is
// Info.Scores.
//
// # Losses
//
// For logits z and a label y:
//
//	CrossEntropy(z, y) = -log softmax(z)_y
//	LogitMargin(z, y)  = z_y - max_{j≠y} z_j
//
// An untargeted attack ascends CrossEntropy on the true label (or descends
// LogitMargin); a targeted one descends CrossEntropy on the target label.
package model
