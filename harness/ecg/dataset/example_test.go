package dataset_test

import (
	"context"
	"fmt"

	"github.com/ecgrobust/ecgrobust/harness/ecg/dataset"
)

func ExampleLoad() {
	set, err := dataset.Load(context.Background(), dataset.Config{
		Source: dataset.Demo, Classes: []string{"N", "A"}, PerClass: 5, Seed: 1,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(set.Records), set.Counts(), len(set.Records[0].Signal.Samples))
	// Output: 10 map[A:5 N:5] 18000
}
