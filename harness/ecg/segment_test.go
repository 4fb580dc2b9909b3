package ecg

import (
	"slices"
	"testing"
)

func TestSegment(t *testing.T) {
	r := Record{ID: "mitdb/201", Label: "X", Signal: Signal{Samples: ramp(100), Rate: 300, Gain: 1000}}
	iv := []Interval{{"N", Span{0, 35}}, {"AFIB", Span{35, 80}}, {"N", Span{80, 100}}}
	ws, err := Segment(r, 20, 20, iv, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range ws {
		got = append(got, w.ID+":"+w.Label)
	}
	// [20,40) straddles N/AFIB and is dropped at full cover.
	if want := []string{"mitdb/201@0:N", "mitdb/201@40:AFIB", "mitdb/201@60:AFIB", "mitdb/201@80:N"}; !slices.Equal(got, want) {
		t.Errorf("pure windows %v, want %v", got, want)
	}
	if ws[1].Signal.Samples[0] != 41 || len(ws[1].Signal.Samples) != 20 || ws[1].Signal.Rate != 300 {
		t.Errorf("window samples %v", ws[1].Signal.Samples[:2])
	}
	ws[1].Signal.Samples[0] = -1
	if r.Signal.Samples[40] != 41 {
		t.Error("window aliases the record")
	}
	ws, _ = Segment(r, 20, 20, iv, 0.7)
	if len(ws) != 5 || ws[1].Label != "N" { // [20,40): 15 N, 5 AFIB
		t.Errorf("70 %% cover: %d windows, second %q", len(ws), ws[1].Label)
	}
	ws, _ = Segment(r, 30, 25, nil, 1)
	if len(ws) != 3 || ws[2].ID != "mitdb/201@50" || ws[2].Label != "X" {
		t.Errorf("unlabelled overlapping windows: %+v", ws)
	}
	for _, bad := range [][2]int{{0, 1}, {1, 0}} {
		if _, err := Segment(r, bad[0], bad[1], nil, 1); err == nil {
			t.Errorf("window %d hop %d accepted", bad[0], bad[1])
		}
	}
	if _, err := Segment(r, 10, 10, nil, 0); err == nil {
		t.Error("cover 0 accepted")
	}
}
