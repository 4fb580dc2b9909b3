package ecgtest_test

import (
	"fmt"

	"github.com/ecgrobust/ecgrobust/harness/ecg/ecgtest"
)

func ExampleGenerate() {
	s := ecgtest.Generate(ecgtest.Config{Seconds: 10, HeartRate: 60, AF: true, Seed: 1})
	fmt.Println(len(s.Signal.Samples), s.Signal.Rate, s.Signal.Gain, len(s.RPeaks) > 5)
	// Output: 3000 300 1000 true
}
