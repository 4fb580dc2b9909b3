// Package wfdb reads PhysioNet WFDB records: headers (.hea), signal files
// in formats 212 and 16 (also 61 and 80), and MIT-format annotation files
// (.atr) with their beat codes, SKIP and AUX entries and the NUM/SUB/CHN
// modifiers, plus rhythm episodes built from "(AFIB"-style rhythm changes.
//
//	rec, err := wfdb.ReadRecord("../shared/data/mitdb/201")   // checksums verified
//	sig, err := rec.Signal(0)                                 // adu about baseline, 360 Hz, 200 adu/mV
//	anns, err := wfdb.ReadAnnotations("../shared/data/mitdb/201.atr")
//	eps := wfdb.Episodes(anns, len(rec.Samples[0]))           // {AFIB 0 …} …
//
// Header rules follow WFDB: a gain of 0 or none means 200 adu per unit
// ([DefaultGain]); the baseline defaults to the ADC zero; units default to
// mV; the checksum (16-bit sum of the samples) is verified when the header
// gives a non-zero one; the initial-value field is kept but not enforced,
// because some public headers have it wrong. Multi-segment records, skew
// and several samples per frame are rejected with an error.
//
// Every parser returns an error naming the file and the line or byte
// offset for malformed or truncated input, and never panics; fuzz targets
// with committed corpora cover them.
//
// Data: MIT-BIH Arrhythmia Database (G. B. Moody, R. G. Mark, IEEE Eng.
// Med. Biol. 20(3):45-50, 2001) and MIT-BIH Noise Stress Test Database
// (G. B. Moody, W. K. Muldrow, R. G. Mark, Computers in Cardiology
// 11:381-384, 1984), PhysioNet, ODC-By 1.0.
package wfdb
