package wfdb

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
)

// Record is a WFDB record read from disk: its header and the digital
// samples (adu, baseline not removed) of every signal.
type Record struct {
	Header *Header
	// Samples[i] holds signal i.
	Samples [][]int
}

// maxDatBytes bounds one signal file (a 24 h two-lead 212 record is
// ~93 MB).
const maxDatBytes = 1 << 30

// ReadRecord reads the header at path (".hea" may be left off) and its
// signal files, which sit beside it. Signals whose header gives a non-zero
// checksum must match it; the initial-value field is not checked.
func ReadRecord(path string) (*Record, error) {
	if !strings.HasSuffix(path, ".hea") {
		path += ".hea"
	}
	h, err := ReadHeader(path)
	if err != nil {
		return nil, err
	}
	rec := &Record{Header: h, Samples: make([][]int, len(h.Signals))}
	dir := filepath.Dir(path)
	for g := 0; g < len(h.Signals); {
		// Signals stored in one file are consecutive and interleaved.
		end := g + 1
		for end < len(h.Signals) && h.Signals[end].File == h.Signals[g].File {
			end++
		}
		if err := readGroup(rec, dir, g, end); err != nil {
			return nil, err
		}
		g = end
	}
	return rec, nil
}

func readGroup(rec *Record, dir string, first, end int) error {
	h := rec.Header
	s0 := h.Signals[first]
	for i := first; i < end; i++ {
		s := h.Signals[i]
		if s.Format != s0.Format || s.Offset != s0.Offset {
			return fmt.Errorf("%s: signals %d and %d share %s but not its format and byte offset", h.Name, first, i, s.File)
		}
		if s.SamplesPerFrame != 1 || s.Skew != 0 {
			return fmt.Errorf("%s: signal %d: samples per frame %d and skew %d are not supported", h.Name, i, s.SamplesPerFrame, s.Skew)
		}
	}
	if s0.File == "-" || strings.ContainsAny(s0.File, `/\`) {
		return fmt.Errorf("%s: signal file %q is not a plain file name beside the header", h.Name, s0.File)
	}
	name := filepath.Join(dir, s0.File)
	fi, err := os.Stat(name)
	if err != nil {
		return fmt.Errorf("read signals: %w", err)
	}
	if fi.Size() > maxDatBytes {
		return fmt.Errorf("read signals %s: %d bytes is too large", name, fi.Size())
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return fmt.Errorf("read signals: %w", err)
	}
	if s0.Offset > int64(len(b)) {
		return fmt.Errorf("%s: byte offset %d is past the end (%d bytes)", name, s0.Offset, len(b))
	}
	b = b[s0.Offset:]
	k := end - first
	total := -1
	if h.NumSamples > 0 {
		total = h.NumSamples * k
	}
	all, err := Decode(s0.Format, b, total)
	if err != nil {
		return fmt.Errorf("%s (from byte %d): %d signals × %d samples: %w", name, s0.Offset, k, h.NumSamples, err)
	}
	frames := len(all) / k
	for i := first; i < end; i++ {
		x := make([]int, frames)
		for j := range x {
			x[j] = all[j*k+i-first]
		}
		rec.Samples[i] = x
		s := h.Signals[i]
		if s.HasChecksum && s.Checksum != 0 {
			if got := Checksum(x); got != int16(s.Checksum) {
				return fmt.Errorf("%s: signal %d (%s): checksum %d, header says %d", name, i, s.Description, got, s.Checksum)
			}
		}
	}
	return nil
}

// Checksum returns the WFDB checksum of x: the sum of its samples modulo
// 2^16, as a signed 16-bit value.
func Checksum(x []int) int16 {
	var c uint16
	for _, v := range x {
		c += uint16(v)
	}
	return int16(c)
}

// Decode decodes n samples stored in a WFDB format (n < 0: as many whole
// samples as b holds). Supported formats: 16 (little-endian int16),
// 61 (big-endian int16), 80 (8-bit offset binary) and 212 (pairs of 12-bit
// two's-complement samples in 3 bytes). Errors give the byte count needed.
func Decode(format int, b []byte, n int) ([]int, error) {
	var have int
	switch format {
	case 16, 61:
		have = len(b) / 2
	case 80:
		have = len(b)
	case 212:
		have = len(b) / 3 * 2
		if len(b)%3 == 2 {
			have++
		}
	default:
		return nil, fmt.Errorf("signal format %d is not supported (16, 61, 80, 212 are)", format)
	}
	if n < 0 {
		n = have
	}
	if n > have {
		return nil, fmt.Errorf("truncated: format %d holds %d whole samples in %d bytes, %d expected", format, have, len(b), n)
	}
	out := make([]int, n)
	switch format {
	case 16:
		for i := range out {
			out[i] = int(int16(uint16(b[2*i]) | uint16(b[2*i+1])<<8))
		}
	case 61:
		for i := range out {
			out[i] = int(int16(uint16(b[2*i])<<8 | uint16(b[2*i+1])))
		}
	case 80:
		for i := range out {
			out[i] = int(b[i]) - 128
		}
	case 212:
		for i := 0; i+1 < n; i += 2 {
			b0, b1, b2 := int(b[3*i/2]), int(b[3*i/2+1]), int(b[3*i/2+2])
			out[i] = sext12(b0 | (b1&0x0F)<<8)
			out[i+1] = sext12(b2 | (b1&0xF0)<<4)
		}
		if n%2 == 1 {
			j := 3 * (n - 1) / 2
			out[n-1] = sext12(int(b[j]) | (int(b[j+1])&0x0F)<<8)
		}
	}
	return out, nil
}

func sext12(v int) int {
	if v >= 0x800 {
		return v - 0x1000
	}
	return v
}

// Signal returns signal i as an [ecg.Signal]: samples in adu relative to
// the baseline, the record's rate, and the gain in adu per mV (headers in
// µV or V are converted).
func (r *Record) Signal(i int) (ecg.Signal, error) {
	if i < 0 || i >= len(r.Samples) {
		return ecg.Signal{}, fmt.Errorf("%s: no signal %d (%d signals)", r.Header.Name, i, len(r.Samples))
	}
	s := r.Header.Signals[i]
	var perMV float64
	switch s.Units {
	case "mV":
		perMV = 1
	case "uV", "µV", "μV":
		perMV = 1000
	case "V":
		perMV = 0.001
	default:
		return ecg.Signal{}, fmt.Errorf("%s: signal %d is in %q, not a voltage", r.Header.Name, i, s.Units)
	}
	x := make([]float64, len(r.Samples[i]))
	for j, v := range r.Samples[i] {
		x[j] = float64(v - s.Baseline)
	}
	return ecg.Signal{Samples: x, Rate: r.Header.Rate, Gain: s.Gain * perMV}, nil
}

// SignalIndex returns the index of the first signal whose description is
// desc (e.g. "MLII"), or -1.
func (r *Record) SignalIndex(desc string) int {
	for i, s := range r.Header.Signals {
		if s.Description == desc {
			return i
		}
	}
	return -1
}
