package qrs

import (
	"encoding/binary"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
)

// FuzzDetect checks that any signal gives ascending, in-range beats at
// least 200 ms apart, and never a panic.
func FuzzDetect(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 0, 100, 0, 1}, uint16(300))
	f.Add(make([]byte, 2000), uint16(50))
	f.Fuzz(func(t *testing.T, b []byte, rate uint16) {
		x := make([]float64, len(b)/2)
		for i := range x {
			x[i] = float64(int16(binary.LittleEndian.Uint16(b[2*i:])))
		}
		// Repeat short inputs so that some reach the 1 s minimum.
		for len(x) > 0 && len(x) < int(rate) && len(x) < 4096 {
			x = append(x, x...)
		}
		fs := float64(rate)
		beats := Detect(ecg.Signal{Samples: x, Rate: fs, Gain: 1000})
		for i, v := range beats {
			if v < 0 || v >= len(x) {
				t.Fatalf("beat %d at %d outside [0, %d)", i, v, len(x))
			}
			if i > 0 && float64(v-beats[i-1]) < 0.2*fs-1 {
				t.Fatalf("beats %d and %d only %d samples apart at %v Hz", beats[i-1], v, v-beats[i-1], fs)
			}
		}
	})
}
