package ecg_test

import (
	"fmt"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
)

func ExampleHan2020() {
	r := ecg.Record{ID: "A00001", Label: ecg.Normal, Signal: ecg.Signal{
		Samples: make([]float64, 9000), Rate: 300, Gain: 1000, // 30 s
	}}
	p := ecg.Han2020(r)
	fmt.Println(len(p.Signal.Samples), p.Valid)
	// Output: 18000 {4500 13500}
}

func ExampleResample() {
	// One minute of MIT-BIH (360 Hz, 200 adu/mV) as CinC sees it.
	mit := ecg.Signal{Samples: make([]float64, 21600), Rate: 360, Gain: 200}
	s, _ := ecg.Resample(mit, 300)
	s, _ = ecg.Rescale(s, 1000)
	fmt.Println(len(s.Samples), s.Rate, s.Gain)
	// Output: 18000 300 1000
}
