// Package ecg holds the signal and record types every other package of the
// harness speaks: one lead of samples in analogue-to-digital units (adu)
// with its sample rate in Hz and its gain in adu per mV.
//
// # Units
//
// Samples are raw adu, never normalised. A value in µV is
//
//	µV = adu · 1000 / Gain
//
// so for CinC 2017 (Gain 1000 adu/mV) one adu is one µV. Attack budgets are
// given in µV and converted with [Signal.ADU].
//
// # Padding
//
// A [Record] may be zero-padded to a fixed length (Han et al. 2020 pad to
// 18,000 samples with the recording centred). [Record.Valid] is the
// half-open range of samples that hold recorded data; attacks leave the
// rest untouched.
package ecg
