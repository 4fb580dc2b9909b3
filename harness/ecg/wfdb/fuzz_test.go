package wfdb

import (
	"bytes"
	"strings"
	"testing"
)

func FuzzParseHeader(f *testing.F) {
	f.Add("100 2 360 650000\n100.dat 212 200 11 1024 995 -22131 0 MLII\n100.dat 212 200 11 1024 1011 20052 0 V5\n# 69 M\n")
	f.Add("bw 2 360 650000\nbw.dat 212 0 12 0 -29 -3562 0 noise1\nbw.dat 212 0 12 0 25 -20847 0 noise2\n")
	f.Add("A00001 1 300 9000 05:05:15 1/05/2000 \nA00001.mat 16+24 1000/mV 16 0 -127 0 0 ECG \n")
	f.Add("r 1 360/720(3) 10\nr.dat 16x2:1+8 200(1000)/uV 11 1024 5 -13 0 x y\n")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHeader(strings.NewReader(s), "fuzz.hea")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.hea") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if !(h.Rate > 0) {
			t.Fatalf("rate %v", h.Rate)
		}
		for _, sig := range h.Signals {
			if !(sig.Gain > 0) || sig.SamplesPerFrame < 1 || sig.Offset < 0 {
				t.Fatalf("signal %+v", sig)
			}
		}
	})
}

func FuzzDecode(f *testing.F) {
	f.Add(212, []byte{0x23, 0xF1, 0xFF, 0x00, 0x08}, 3)
	f.Add(16, []byte{0xFF, 0x7F, 0x00, 0x80, 0x01}, -1)
	f.Add(61, []byte{1, 2, 3, 4}, 2)
	f.Add(80, []byte{0, 128, 255}, 1)
	f.Fuzz(func(t *testing.T, format int, b []byte, n int) {
		if n > 1<<20 {
			n = 1 << 20
		}
		got, err := Decode(format, b, n)
		if err != nil {
			return
		}
		if n >= 0 && len(got) != n {
			t.Fatalf("%d samples, asked %d", len(got), n)
		}
		for _, v := range got {
			if v < -32768 || v > 32767 {
				t.Fatalf("sample %d out of range", v)
			}
			if format == 212 && (v < -2048 || v > 2047) {
				t.Fatalf("212 sample %d out of 12 bits", v)
			}
		}
	})
}

func FuzzParseAnnotations(f *testing.F) {
	f.Add(cat(ann(28, 10), ann(63, 5), []byte("(AFIB\x00"), ann(1, 5), ann(62, 1), ann(60, 3), ann(0, 0)))
	f.Add(cat(ann(59, 0), []byte{0x01, 0x00, 0x00, 0x00}, ann(5, 4), ann(61, 2)))
	f.Add([]byte{0x3c, 0x70, 0x06, 0xfc, 0x28, 0x41, 0x46, 0x49, 0x42, 0x00, 0x63, 0x04})
	f.Fuzz(func(t *testing.T, b []byte) {
		anns, err := ParseAnnotations(b, "fuzz.atr")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.atr: offset ") {
				t.Fatalf("error lacks file and offset: %v", err)
			}
			return
		}
		for _, a := range anns {
			if a.Sample < 0 || a.Type < 0 || a.Type > codeMax || bytes.ContainsRune([]byte(a.Aux), 0) && strings.HasSuffix(a.Aux, "\x00") {
				t.Fatalf("annotation %+v", a)
			}
		}
		Episodes(anns, 1<<20)
	})
}
