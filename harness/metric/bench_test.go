package metric

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkHighFrequencyFraction(b *testing.B) {
	for _, n := range []int{18000, 17989} { // 2⁴·3²·5³ and a prime
		rng := rand.New(rand.NewPCG(1, 1))
		d := make([]float64, n)
		for i := range d {
			d[i] = rng.NormFloat64()
		}
		b.Run(map[int]string{18000: "n=18000", 17989: "n=17989_prime"}[n], func(b *testing.B) {
			for b.Loop() {
				HighFrequencyFraction(d, 300, 40)
			}
		})
	}
}
