package ecg

import "fmt"

// Signal is one ECG lead.
type Signal struct {
	// Samples are the amplitudes in adu.
	Samples []float64
	// Rate is the sample rate in Hz.
	Rate float64
	// Gain is the amplitude scale in adu per mV.
	Gain float64
}

// Seconds returns the duration of s in seconds.
func (s Signal) Seconds() float64 {
	if s.Rate <= 0 {
		return 0
	}
	return float64(len(s.Samples)) / s.Rate
}

// ADU converts a voltage in µV to adu at the gain of s.
func (s Signal) ADU(microvolts float64) float64 { return microvolts * s.Gain / 1000 }

// Microvolts converts an amplitude in adu at the gain of s to µV.
func (s Signal) Microvolts(adu float64) float64 { return adu * 1000 / s.Gain }

// Validate reports whether s has a positive rate and gain.
func (s Signal) Validate() error {
	if !(s.Rate > 0) {
		return fmt.Errorf("ecg: sample rate %v Hz is not positive", s.Rate)
	}
	if !(s.Gain > 0) {
		return fmt.Errorf("ecg: gain %v adu/mV is not positive", s.Gain)
	}
	return nil
}

// Span is the half-open sample range [Start, End).
type Span struct {
	Start, End int
}

// Len returns End-Start.
func (s Span) Len() int { return s.End - s.Start }

// Record is one labelled ECG recording, ready for a classifier.
type Record struct {
	// ID names the record in its source, e.g. "A00001" or "mitdb/201@3600".
	ID string
	// Label is the reference class label, e.g. "N", "A", "O" or "~";
	// empty when unknown.
	Label string
	// Signal is the (possibly padded) lead given to the classifier.
	Signal Signal
	// Valid is the part of Signal that holds recorded data; samples outside
	// it are padding. The zero Span means the whole signal.
	Valid Span
}

// ValidSpan returns r.Valid, or the whole signal when r.Valid is zero.
func (r Record) ValidSpan() Span {
	if r.Valid == (Span{}) {
		return Span{0, len(r.Signal.Samples)}
	}
	return r.Valid
}

// Classes of the PhysioNet/CinC 2017 challenge, in the reference model's
// output order.
const (
	Normal = "N" // normal sinus rhythm
	AF     = "A" // atrial fibrillation
	Other  = "O" // other rhythm
	Noisy  = "~" // too noisy to classify
)

// CinCClasses lists the CinC 2017 labels in output order.
var CinCClasses = []string{Normal, AF, Other, Noisy}
