package wfdb

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseHeader(t *testing.T) {
	const hea = `# leading comment
rec 3 360/720(0) 10 12:00:00 01/01/2000
rec.dat 212 200(1000)/uV 11 1024 5 -13 0 lead I with spaces
rec.dat 212 0 11 7
other.dat 16x1:0+4
# trailing comment
`
	h, err := ParseHeader(strings.NewReader(hea), "rec.hea")
	if err != nil {
		t.Fatal(err)
	}
	if h.Name != "rec" || h.Rate != 360 || h.NumSamples != 10 || h.BaseTime != "12:00:00" || h.BaseDate != "01/01/2000" || len(h.Comments) != 2 {
		t.Fatalf("record line: %+v", h)
	}
	s0, s1, s2 := h.Signals[0], h.Signals[1], h.Signals[2]
	if s0.Gain != 200 || s0.Baseline != 1000 || s0.Units != "uV" || s0.ADCZero != 1024 || s0.InitValue != 5 || s0.Checksum != -13 || s0.Description != "lead I with spaces" {
		t.Errorf("signal 0: %+v", s0)
	}
	if s1.Gain != DefaultGain || !s1.GainDefaulted || s1.Baseline != 7 || s1.Units != "mV" || s1.HasInitValue || s1.HasChecksum {
		t.Errorf("signal 1: %+v", s1)
	}
	if s2.Format != 16 || s2.Offset != 4 || s2.SamplesPerFrame != 1 || s2.Gain != DefaultGain {
		t.Errorf("signal 2: %+v", s2)
	}
	h, err = ParseHeader(strings.NewReader("r 0\n"), "r.hea")
	if err != nil || h.Rate != DefaultRate || len(h.Signals) != 0 {
		t.Errorf("minimal header: %+v %v", h, err)
	}
}

func TestParseHeaderErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "x.hea: no record line"},
		{"# only\n", "no record line"},
		{"r/2 2 360\n", "x.hea:1: record line: record \"r/2\" is multi-segment"},
		{"r two\n", "x.hea:1: record line: signal count \"two\""},
		{"r 1 -5\n", "sampling frequency \"-5\""},
		{"r 1 360 many\n", "number of samples \"many\""},
		{"r 2 360\nr.dat 212\n", "x.hea: 1 signal lines, the record line declares 2"},
		{"r 1 360\nr.dat 212\nr.dat 16\n", "x.hea:3: more signal lines"},
		{"r 1 360\nr.dat\n", "x.hea:2: signal 0: want at least a file name"},
		{"r 1 360\nr.dat abc\n", "format field \"abc\""},
		{"r 1 360\nr.dat 16+x\n", "byte offset"},
		{"r 1 360\nr.dat 16 200(5\n", "baseline lacks ')'"},
		{"r 1 360\nr.dat 16 -3\n", "gain is not a non-negative number"},
		{"r 1 360\nr.dat 16 200/\n", "empty units"},
		{"r 1 360\nr.dat 16 200 11 1024 0 1.5\n", "checksum \"1.5\" is not an integer"},
	} {
		_, err := ParseHeader(strings.NewReader(tc.in), "x.hea")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseHeader(%q): error %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestDecode212(t *testing.T) {
	// s0 = 0x123 = 291, s1 = 0xFFF = -1, s2 = 0x800 = -2048.
	b := []byte{0x23, 0xF1, 0xFF, 0x00, 0x08}
	got, err := Decode(212, b, 3)
	if err != nil || !slices.Equal(got, []int{291, -1, -2048}) {
		t.Errorf("Decode 212 = %v, %v", got, err)
	}
	if got, _ := Decode(212, b, -1); len(got) != 3 {
		t.Errorf("Decode 212 all: %v", got)
	}
	if _, err := Decode(212, b, 4); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("short 212: %v", err)
	}
	got, err = Decode(16, []byte{0xFF, 0x7F, 0x00, 0x80, 0x01}, -1)
	if err != nil || !slices.Equal(got, []int{32767, -32768}) {
		t.Errorf("Decode 16 = %v, %v", got, err)
	}
	got, _ = Decode(61, []byte{0x7F, 0xFF}, 1)
	if got[0] != 32767 {
		t.Errorf("Decode 61 = %v", got)
	}
	got, _ = Decode(80, []byte{0, 128, 255}, -1)
	if !slices.Equal(got, []int{-128, 0, 127}) {
		t.Errorf("Decode 80 = %v", got)
	}
	if _, err := Decode(311, nil, 0); err == nil || !strings.Contains(err.Error(), "311") {
		t.Errorf("format 311: %v", err)
	}
}

func TestReadRecordChecksumAndTruncation(t *testing.T) {
	dir := t.TempDir()
	// Two signals interleaved in format 16: (1, 10), (2, 20), (3, 30).
	var dat []byte
	for _, v := range []int16{1, 10, 2, 20, 3, 30} {
		dat = binary.LittleEndian.AppendUint16(dat, uint16(v))
	}
	os.WriteFile(filepath.Join(dir, "r.dat"), dat, 0o644)
	write := func(hea string) string {
		p := filepath.Join(dir, "r.hea")
		os.WriteFile(p, []byte(hea), 0o644)
		return p
	}
	rec, err := ReadRecord(write("r 2 100 3\nr.dat 16 100(1)/mV 16 0 1 6 0 a\nr.dat 16 50 16 0 99 60 0 b\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.Samples[0], []int{1, 2, 3}) || !slices.Equal(rec.Samples[1], []int{10, 20, 30}) {
		t.Fatalf("samples %v", rec.Samples)
	}
	sig, _ := rec.Signal(0)
	if !slices.Equal(sig.Samples, []float64{0, 1, 2}) || sig.Gain != 100 || sig.Rate != 100 {
		t.Errorf("signal 0: %+v", sig)
	}
	if _, err := ReadRecord(write("r 2 100 3\nr.dat 16 100 16 0 1 7 0 a\nr.dat 16\n")); err == nil || !strings.Contains(err.Error(), "checksum 6, header says 7") {
		t.Errorf("bad checksum: %v", err)
	}
	if _, err := ReadRecord(write("r 2 100 4\nr.dat 16\nr.dat 16\n")); err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), "r.dat") {
		t.Errorf("truncated: %v", err)
	}
	if rec, err := ReadRecord(write("r 2 100\nr.dat 16\nr.dat 16\n")); err != nil || len(rec.Samples[0]) != 3 {
		t.Errorf("length from file: %v", err)
	}
	if _, err := ReadRecord(write("r 1 100\n../r.dat 16\n")); err == nil || !strings.Contains(err.Error(), "plain file name") {
		t.Errorf("path escape: %v", err)
	}
	rec, _ = ReadRecord(write("r 1 100\nr.dat 16 100/uV\n"))
	if sig, err := rec.Signal(0); err != nil || sig.Gain != 100000 {
		t.Errorf("µV gain: %v %v", sig.Gain, err)
	}
	rec, _ = ReadRecord(write("r 1 100\nr.dat 16 100/mmHg\n"))
	if _, err := rec.Signal(0); err == nil || !strings.Contains(err.Error(), "mmHg") {
		t.Errorf("non-voltage: %v", err)
	}
}

// ann encodes one annotation word.
func ann(a, i int) []byte { return binary.LittleEndian.AppendUint16(nil, uint16(a<<10|i)) }

func cat(parts ...[]byte) []byte { return slices.Concat(parts...) }

func TestParseAnnotations(t *testing.T) {
	b := cat(
		ann(28, 10), ann(63, 5), []byte("(AFIB\x00"), // rhythm at 10, aux padded
		ann(1, 5), ann(62, 1), ann(60, 3), // N at 15, chan 1, num 3
		ann(59, 0), []byte{0x01, 0x00, 0x00, 0x00}, // SKIP 65536 (high word 1)
		ann(5, 4), ann(61, 2), // V at 65555, subtype 2, chan/num kept
		ann(28, 0), ann(63, 2), []byte("(N"),
		ann(1, 100),
		ann(0, 0),
		[]byte{0xde, 0xad}, // after the end marker: ignored
	)
	got, err := ParseAnnotations(b, "x.atr")
	if err != nil {
		t.Fatal(err)
	}
	want := []Annotation{
		{Sample: 10, Type: 28, Aux: "(AFIB"},
		{Sample: 15, Type: 1, Chan: 1, Num: 3},
		{Sample: 65555, Type: 5, Subtype: 2, Chan: 1, Num: 3},
		{Sample: 65555, Type: 28, Chan: 1, Num: 3, Aux: "(N"},
		{Sample: 65655, Type: 1, Chan: 1, Num: 3},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	eps := Episodes(got, 70000)
	if !slices.Equal(eps, []Episode{{"AFIB", 10, 65555}, {"N", 65555, 70000}}) {
		t.Errorf("episodes %v", eps)
	}
	if b := Beats(got); !slices.Equal(b, []int{15, 65555, 65655}) {
		t.Errorf("beats %v", b)
	}
	if Mnemonic(5) != "V" || Mnemonic(45) != "[45]" {
		t.Error("mnemonics")
	}
}

func TestParseAnnotationsErrors(t *testing.T) {
	for _, tc := range []struct {
		in   []byte
		want string
	}{
		{[]byte{1}, "x.atr: offset 0: truncated word"},
		{cat(ann(1, 1), []byte{5}), "offset 2: truncated word"},
		{cat(ann(59, 0), []byte{0, 0}), "offset 0: SKIP lacks"},
		{cat(ann(59, 0), []byte{0xff, 0xff, 0x00, 0x00}), "SKIP of -65536"},
		{ann(60, 1), "offset 0: modifier 60 before any annotation"},
		{cat(ann(1, 1), ann(63, 9), []byte("abc")), "offset 2: AUX of 9 bytes runs past the end"},
		{ann(55, 1), "undefined annotation code 55"},
	} {
		_, err := ParseAnnotations(tc.in, "x.atr")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseAnnotations(%x): error %v, want %q", tc.in, err, tc.want)
		}
	}
	// A missing end marker is tolerated.
	if got, err := ParseAnnotations(ann(1, 7), "x.atr"); err != nil || len(got) != 1 {
		t.Errorf("no end marker: %v %v", got, err)
	}
}
