package metric_test

import (
	"fmt"

	"github.com/ecgrobust/ecgrobust/harness/metric"
)

// The paper's SAP figure: 514 of 695 correctly classified records flipped.
func ExampleWilson() {
	lo, hi := metric.Wilson(514, 695, metric.Z95)
	fmt.Printf("success %.3f, 95%% CI [%.3f, %.3f]\n", 514.0/695, lo, hi)
	// Output: success 0.740, 95% CI [0.706, 0.771]
}

func ExampleSNRdB() {
	x := []float64{1000, -500, 250, 0}   // adu
	adv := []float64{1010, -490, 240, 0} // a 10 µV perturbation at 1000 adu/mV
	snr, _ := metric.SNRdB(x, adv)
	fmt.Printf("L∞ %.0f µV, L2 %.1f µV, SNR %.1f dB\n", metric.LinfUV(x, adv, 1000), metric.L2UV(x, adv, 1000), snr)
	// Output: L∞ 10 µV, L2 17.3 µV, SNR 36.4 dB
}

func ExampleCounts() {
	var c metric.Counts
	c.Add(metric.Outcome{True: "A", Clean: "A", Adv: "N", Attacked: true, Success: true})
	c.Add(metric.Outcome{True: "A", Clean: "A", Adv: "A", Attacked: true})
	c.Add(metric.Outcome{True: "N", Clean: "O", Adv: "O"}) // misclassified: not attacked
	sr, _ := c.SuccessRate()
	acc, _ := c.Accuracy()
	fmt.Printf("accuracy %.2f, success rate %.2f, A→N flips %d\n", acc, sr, c.Flips["A"]["N"])
	// Output: accuracy 0.67, success rate 0.50, A→N flips 1
}
