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
// rest untouched. [Fit] and [Han2020] apply that preprocessing.
//
// # Conversions
//
// [Resample] changes the sample rate with a polyphase anti-aliasing filter
// (e.g. MIT-BIH 360 Hz to CinC's 300 Hz), [Rescale] changes the gain
// (e.g. 200 to 1000 adu/mV) keeping µV values, and [Segment] cuts long
// recordings into fixed-length windows labelled from [Interval]s such as
// rhythm episodes. [Stratify] draws a seeded, class-balanced subset.
//
// # Sub-packages
//
// Readers and tools sit beside this package: cinc (PhysioNet/CinC 2017
// MAT v4 records, REFERENCE.csv, splits), wfdb (WFDB headers, 212/16
// signals, annotations), qrs (Pan–Tompkins QRS detector), noise (NSTDB
// noise stress at a given SNR), dataset (a spec's dataset section to
// records), demo (the embedded 40-record sample) and ecgtest (synthetic
// ECGs for tests).
package ecg
