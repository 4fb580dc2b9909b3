package model

import (
	"errors"
	"math"
	"testing"
)

func TestInfoValidate(t *testing.T) {
	good := Info{Name: "m", Classes: []string{"N", "A"}, SampleRate: 300, Gain: 1000, MinLength: 10, MaxLength: 10}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(good) = %v, want nil", err)
	}
	tests := []struct {
		name      string
		edit      func(*Info)
		wantField string
	}{
		{"blank name", func(i *Info) { i.Name = " " }, "name"},
		{"one class", func(i *Info) { i.Classes = []string{"N"} }, "classes"},
		{"repeated class", func(i *Info) { i.Classes = []string{"N", "N"} }, "classes[1]"},
		{"blank class", func(i *Info) { i.Classes = []string{"N", " "} }, "classes[1]"},
		{"zero rate", func(i *Info) { i.SampleRate = 0 }, "sample_rate_hz"},
		{"infinite gain", func(i *Info) { i.Gain = math.Inf(1) }, "gain_adu_per_mv"},
		{"max below min", func(i *Info) { i.MaxLength = 5 }, "min_length/max_length"},
		{"negative batch", func(i *Info) { i.MaxBatch = -1 }, "max_batch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := good
			info.Classes = append([]string(nil), good.Classes...)
			tt.edit(&info)
			var ie *InfoError
			if err := info.Validate(); !errors.As(err, &ie) || ie.Field != tt.wantField {
				t.Fatalf("Validate() = %v, want an InfoError for field %q", err, tt.wantField)
			}
		})
	}
}
