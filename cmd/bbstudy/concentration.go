package main

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/ecg/qrs"
	"github.com/ecgrobust/ecgrobust/harness/model"
)

// concentration prints, per record, how the energy of the smoothed
// gradient S·g at the clean record is spread over time: the share in the
// top 5, 10 and 25 % of 32-sample blocks, and the share within ±w samples
// of a detected QRS complex next to the share of the record those windows
// cover.
func concentration(ctx context.Context, clf model.Gradienter, items []attack.Item, w int) {
	s := attack.DefaultSmoother(300)
	var sum [5]float64
	for _, it := range items {
		x := it.Record.Signal.Samples
		g, _, err := clf.InputGradient(ctx, [][]float64{x}, []int{it.Label}, model.CrossEntropy)
		if err != nil {
			log.Fatal(err)
		}
		vs := it.Record.ValidSpan()
		y := s.Apply(nil, g[0])[vs.Start:vs.End]
		var blocks []float64
		var total float64
		for b := 0; b < len(y); b += 32 {
			var e float64
			for _, v := range y[b:min(b+32, len(y))] {
				e += v * v
			}
			blocks = append(blocks, e)
			total += e
		}
		slices.Sort(blocks)
		slices.Reverse(blocks)
		top := func(p float64) float64 {
			var e float64
			for _, v := range blocks[:max(1, int(p*float64(len(blocks))))] {
				e += v
			}
			return e / total
		}
		near := make([]bool, len(y))
		for _, r := range qrs.Detect(it.Record.Signal) {
			for t := max(0, r-vs.Start-w); t < min(len(y), r-vs.Start+w); t++ {
				near[t] = true
			}
		}
		var eq, cover float64
		for t, v := range y {
			if near[t] {
				eq += v * v
				cover++
			}
		}
		row := [5]float64{top(0.05), top(0.10), top(0.25), eq / total, cover / float64(len(y))}
		for i := range sum {
			sum[i] += row[i]
		}
		fmt.Printf("%s top5 %.2f top10 %.2f top25 %.2f nearQRS %.2f (covers %.2f)\n", it.Record.ID, row[0], row[1], row[2], row[3], row[4])
	}
	n := float64(len(items))
	fmt.Printf("mean over %d: top5 %.2f top10 %.2f top25 %.2f nearQRS %.2f (covers %.2f)\n", len(items), sum[0]/n, sum[1]/n, sum[2]/n, sum[3]/n, sum[4]/n)
}
