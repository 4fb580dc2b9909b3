package wfdb

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// DefaultGain is the gain, in adu per physical unit, that WFDB assumes when
// a header gives none or gives 0.
const DefaultGain = 200

// DefaultRate is the sample rate WFDB assumes when a header gives none.
const DefaultRate = 250

// Header is a parsed single-segment WFDB header (.hea).
type Header struct {
	// Name is the record name, e.g. "100".
	Name string
	// Rate is the sampling frequency in Hz (frames per second).
	Rate float64
	// NumSamples is the number of samples per signal; 0 when the header
	// leaves it out (then the signal files decide).
	NumSamples int
	// BaseTime and BaseDate are kept as written ("05:05:15", "1/05/2000").
	BaseTime, BaseDate string
	// Signals describe each signal in order.
	Signals []SignalInfo
	// Comments are the "#" lines without the "#", in order.
	Comments []string
}

// SignalInfo is one signal specification line of a header.
type SignalInfo struct {
	// File is the signal file name, relative to the header's directory.
	File string
	// Format is the storage format (16 and 212 are supported for reading).
	Format int
	// SamplesPerFrame is 1 unless the format field has an "x" suffix.
	SamplesPerFrame int
	// Skew is the ":" suffix of the format field, in frames.
	Skew int
	// Offset is the "+" suffix of the format field: bytes to skip at the
	// start of File.
	Offset int64
	// Gain is in adu per physical unit; a missing or zero gain in the file
	// becomes DefaultGain (GainDefaulted records that).
	Gain          float64
	GainDefaulted bool
	// Baseline is the adu value of 0 physical units (defaults to ADCZero).
	Baseline int
	// Units of the physical value ("mV" when not given).
	Units string
	// ADCRes is the ADC resolution in bits (0 if not given); ADCZero the
	// ADC's zero.
	ADCRes, ADCZero int
	// InitValue is the header's value of the first sample. It is not
	// enforced: it is wrong in some public headers.
	InitValue    int
	HasInitValue bool
	// Checksum is the 16-bit sum of all samples; verified when HasChecksum
	// and non-zero.
	Checksum    int
	HasChecksum bool
	// BlockSize is 0 for ordinary files.
	BlockSize int
	// Description is the rest of the line, e.g. "MLII".
	Description string
}

// ReadHeader reads and parses a header file.
func ReadHeader(path string) (*Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	defer f.Close()
	return ParseHeader(f, path)
}

// maxSignals bounds the signal count a header may declare.
const maxSignals = 4096

// ParseHeader parses a WFDB header. name is used in errors, which give the
// line number and field. Multi-segment headers are rejected.
func ParseHeader(r io.Reader, name string) (*Header, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	h := &Header{}
	line, nsig := 0, -1
	errf := func(format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, a...))
	}
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "#") {
			h.Comments = append(h.Comments, strings.TrimSpace(text[1:]))
			continue
		}
		if i := strings.Index(text, "#"); i >= 0 && nsig < 0 {
			text = strings.TrimSpace(text[:i])
		}
		fields := strings.Fields(text)
		if nsig < 0 {
			n, err := parseRecordLine(h, fields)
			if err != nil {
				return nil, errf("record line: %v", err)
			}
			nsig = n
			continue
		}
		if len(h.Signals) == nsig {
			// WFDB ignores extra lines after the signal lines only if
			// they are comments or "info" strings; anything else is an
			// error worth reporting.
			return nil, errf("more signal lines than the %d the record line declares", nsig)
		}
		s, err := parseSignalLine(fields, text)
		if err != nil {
			return nil, errf("signal %d: %v", len(h.Signals), err)
		}
		h.Signals = append(h.Signals, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if nsig < 0 {
		return nil, fmt.Errorf("%s: no record line", name)
	}
	if len(h.Signals) != nsig {
		return nil, fmt.Errorf("%s: %d signal lines, the record line declares %d", name, len(h.Signals), nsig)
	}
	return h, nil
}

func parseRecordLine(h *Header, f []string) (int, error) {
	if len(f) < 1 {
		return 0, fmt.Errorf("empty")
	}
	if strings.Contains(f[0], "/") {
		return 0, fmt.Errorf("record %q is multi-segment, which is not supported", f[0])
	}
	h.Name = f[0]
	if len(f) < 2 {
		return 0, fmt.Errorf("no signal count")
	}
	nsig, err := strconv.Atoi(f[1])
	if err != nil || nsig < 0 || nsig > maxSignals {
		return 0, fmt.Errorf("signal count %q is not an integer in 0..%d", f[1], maxSignals)
	}
	h.Rate = DefaultRate
	if len(f) > 2 {
		fs := f[2]
		if i := strings.IndexAny(fs, "/("); i >= 0 {
			fs = fs[:i] // counter frequency and base counter are not used
		}
		v, err := strconv.ParseFloat(fs, 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("sampling frequency %q is not a positive number", f[2])
		}
		h.Rate = v
	}
	if len(f) > 3 {
		n, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil || n < 0 || n > math.MaxInt32 {
			return 0, fmt.Errorf("number of samples %q is not a non-negative integer", f[3])
		}
		h.NumSamples = int(n)
	}
	if len(f) > 4 {
		h.BaseTime = f[4]
	}
	if len(f) > 5 {
		h.BaseDate = f[5]
	}
	return nsig, nil
}

func atoiField(what, s string) (int, error) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not an integer", what, s)
	}
	return int(n), nil
}

func parseSignalLine(f []string, text string) (SignalInfo, error) {
	s := SignalInfo{SamplesPerFrame: 1, Units: "mV", Gain: DefaultGain, GainDefaulted: true}
	if len(f) < 2 {
		return s, fmt.Errorf("want at least a file name and a format, got %q", text)
	}
	s.File = f[0]
	// format[xsamp][:skew][+offset]
	spec := f[1]
	if i := strings.IndexByte(spec, '+'); i >= 0 {
		off, err := strconv.ParseInt(spec[i+1:], 10, 64)
		if err != nil || off < 0 {
			return s, fmt.Errorf("format field %q: byte offset is not a non-negative integer", f[1])
		}
		s.Offset, spec = off, spec[:i]
	}
	if i := strings.IndexByte(spec, ':'); i >= 0 {
		v, err := atoiField("skew", spec[i+1:])
		if err != nil || v < 0 {
			return s, fmt.Errorf("format field %q: skew is not a non-negative integer", f[1])
		}
		s.Skew, spec = v, spec[:i]
	}
	if i := strings.IndexByte(spec, 'x'); i >= 0 {
		v, err := atoiField("samples per frame", spec[i+1:])
		if err != nil || v < 1 {
			return s, fmt.Errorf("format field %q: samples per frame is not a positive integer", f[1])
		}
		s.SamplesPerFrame, spec = v, spec[:i]
	}
	format, err := atoiField("format", spec)
	if err != nil || format < 0 {
		return s, fmt.Errorf("format field %q is not a format number", f[1])
	}
	s.Format = format

	hasBaseline := false
	if len(f) > 2 {
		g := f[2]
		if i := strings.IndexByte(g, '/'); i >= 0 {
			s.Units, g = g[i+1:], g[:i]
			if s.Units == "" {
				return s, fmt.Errorf("gain field %q: empty units", f[2])
			}
		}
		if i := strings.IndexByte(g, '('); i >= 0 {
			if !strings.HasSuffix(g, ")") {
				return s, fmt.Errorf("gain field %q: baseline lacks ')'", f[2])
			}
			b, err := atoiField("baseline", g[i+1:len(g)-1])
			if err != nil {
				return s, fmt.Errorf("gain field %q: %v", f[2], err)
			}
			s.Baseline, hasBaseline, g = b, true, g[:i]
		}
		v, err := strconv.ParseFloat(g, 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return s, fmt.Errorf("gain field %q: gain is not a non-negative number", f[2])
		}
		if v != 0 {
			s.Gain, s.GainDefaulted = v, false
		}
	}
	ints := []struct {
		what string
		dst  *int
		has  *bool
	}{
		{"ADC resolution", &s.ADCRes, nil},
		{"ADC zero", &s.ADCZero, nil},
		{"initial value", &s.InitValue, &s.HasInitValue},
		{"checksum", &s.Checksum, &s.HasChecksum},
		{"block size", &s.BlockSize, nil},
	}
	for i, it := range ints {
		if len(f) <= 3+i {
			break
		}
		v, err := atoiField(it.what, f[3+i])
		if err != nil {
			return s, err
		}
		*it.dst = v
		if it.has != nil {
			*it.has = true
		}
	}
	if !hasBaseline {
		s.Baseline = s.ADCZero
	}
	if len(f) > 8 {
		// The description is the rest of the line, spaces included.
		rest := text
		for range 8 {
			rest = strings.TrimLeft(rest, " \t")
			rest = rest[strings.IndexAny(rest+" ", " \t"):]
		}
		s.Description = strings.TrimSpace(rest)
	}
	return s, nil
}
