package wfdb

import (
	"fmt"
	"os"
	"strings"
)

// Annotation is one entry of a WFDB annotation file.
type Annotation struct {
	// Sample is the time of the annotation in samples (frames).
	Sample int
	// Type is the annotation code (1 N, 5 V, 28 rhythm change, …).
	Type int
	// Subtype, Chan and Num are the WFDB modifier fields. As in WFDB, Chan
	// and Num carry over from the previous annotation unless set; Subtype
	// resets to 0.
	Subtype, Chan, Num int
	// Aux is the auxiliary text without trailing NULs, e.g. "(AFIB".
	Aux string
}

// Codes used by the readers and rhythm helpers.
const (
	CodeNormal = 1  // N
	CodeRhythm = 28 // + rhythm change; Aux holds the rhythm, e.g. "(AFIB"
	CodeNoise  = 14 // ~ signal quality change

	codeMax  = 49 // ACMAX: highest annotation code
	codeSkip = 59
	codeNum  = 60
	codeSub  = 61
	codeChn  = 62
	codeAux  = 63
)

var mnemonics = map[int]string{
	1: "N", 2: "L", 3: "R", 4: "a", 5: "V", 6: "F", 7: "J", 8: "A", 9: "S",
	10: "E", 11: "j", 12: "/", 13: "Q", 14: "~", 16: "|", 18: "s", 19: "T",
	20: "*", 21: "D", 22: "\"", 23: "=", 24: "p", 25: "B", 26: "^", 27: "t",
	28: "+", 29: "u", 30: "?", 31: "!", 32: "[", 33: "]", 34: "e", 35: "n",
	36: "@", 37: "x", 38: "f", 39: "(", 40: ")", 41: "r",
}

// Mnemonic returns the WFDB mnemonic of a code ("N", "V", "+", …), or the
// number in brackets for codes without one.
func Mnemonic(code int) string {
	if m, ok := mnemonics[code]; ok {
		return m
	}
	return fmt.Sprintf("[%d]", code)
}

// IsBeat reports whether code labels a QRS complex (WFDB isqrs).
func IsBeat(code int) bool {
	switch code {
	case 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 25, 30, 34, 35, 38, 41:
		return true
	}
	return false
}

// ReadAnnotations reads a MIT-format annotation file such as 100.atr.
func ReadAnnotations(path string) ([]Annotation, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read annotations: %w", err)
	}
	return ParseAnnotations(b, path)
}

// ParseAnnotations decodes the MIT annotation format. name is used in
// errors, which give the byte offset.
//
// The file is a stream of little-endian 16-bit words w with code A = w>>10
// and datum I = w&0x3FF. A word with A in 1..49 starts an annotation I
// samples after the previous one; SKIP (59) adds the PDP-11 int32 in the
// next 4 bytes (high word first) to the time; NUM (60), SUB (61) and
// CHN (62) set fields of the current annotation; AUX (63) attaches
// I&0xFF bytes of text, padded to an even length; A = 0 with I = 0 ends the file (a
// missing end marker is tolerated at the end of the data).
func ParseAnnotations(b []byte, name string) ([]Annotation, error) {
	var out []Annotation
	t, chn, num := 0, 0, 0
	cur := -1 // index in out of the annotation modifiers apply to
	for off := 0; ; {
		if off >= len(b) {
			return out, nil
		}
		if off+2 > len(b) {
			return nil, fmt.Errorf("%s: offset %d: truncated word", name, off)
		}
		w := int(b[off]) | int(b[off+1])<<8
		a, d := w>>10, w&0x3FF
		at := off
		off += 2
		switch {
		case a == 0 && d == 0:
			return out, nil
		case a == codeSkip:
			if off+4 > len(b) {
				return nil, fmt.Errorf("%s: offset %d: SKIP lacks its 4-byte interval", name, at)
			}
			hi := int32(uint32(b[off]) | uint32(b[off+1])<<8)
			lo := uint32(b[off+2]) | uint32(b[off+3])<<8
			skip := int64(int32(uint32(hi)<<16 | lo))
			off += 4
			nt := int64(t) + skip
			if nt < 0 || nt > 1<<40 {
				return nil, fmt.Errorf("%s: offset %d: SKIP of %d moves the time to %d", name, at, skip, nt)
			}
			t = int(nt)
		case a <= codeMax:
			t += d
			out = append(out, Annotation{Sample: t, Type: a, Chan: chn, Num: num})
			cur = len(out) - 1
		case a >= codeNum && a <= codeAux:
			if cur < 0 {
				return nil, fmt.Errorf("%s: offset %d: modifier %d before any annotation", name, at, a)
			}
			switch a {
			// WFDB stores these in C chars: subtype and num signed,
			// chan unsigned.
			case codeNum:
				num = int(int8(d))
				out[cur].Num = num
			case codeSub:
				out[cur].Subtype = int(int8(d))
			case codeChn:
				chn = int(uint8(d))
				out[cur].Chan = chn
			case codeAux:
				n := d & 0xFF // WFDB reads the length from the low byte
				if off+n > len(b) {
					return nil, fmt.Errorf("%s: offset %d: AUX of %d bytes runs past the end", name, at, n)
				}
				out[cur].Aux = strings.TrimRight(string(b[off:off+n]), "\x00")
				off = min(off+n+n%2, len(b))
			}
		default:
			return nil, fmt.Errorf("%s: offset %d: undefined annotation code %d", name, at, a)
		}
	}
}

// Episode is a stretch of one rhythm, [Start, End) in samples.
type Episode struct {
	// Rhythm is the rhythm without its "(", e.g. "AFIB", "N", "AFL".
	Rhythm     string
	Start, End int
}

// Episodes turns rhythm-change annotations (code 28 with Aux "(…") into
// episodes that run to the next change; the last runs to n samples.
// Nothing is assumed before the first change.
func Episodes(anns []Annotation, n int) []Episode {
	var out []Episode
	for _, a := range anns {
		if a.Type != CodeRhythm || !strings.HasPrefix(a.Aux, "(") {
			continue
		}
		if len(out) > 0 {
			out[len(out)-1].End = a.Sample
		}
		out = append(out, Episode{Rhythm: strings.TrimPrefix(a.Aux, "("), Start: a.Sample, End: n})
	}
	// Drop empty episodes (two changes at one time, or past the end).
	kept := out[:0]
	for _, e := range out {
		if e.End > e.Start {
			kept = append(kept, e)
		}
	}
	return kept
}

// Beats returns the sample times of the QRS annotations in anns.
func Beats(anns []Annotation) []int {
	var out []int
	for _, a := range anns {
		if IsBeat(a.Type) {
			out = append(out, a.Sample)
		}
	}
	return out
}
