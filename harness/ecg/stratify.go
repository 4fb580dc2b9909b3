package ecg

import (
	"fmt"
	"math/rand/v2"
	"sort"
)

// Stratify draws perClass items of each class from labels without
// replacement and returns their indices in ascending order, so the chosen
// items keep their original order. labels[i] is the class of item i; only
// the classes listed are drawn from (nil means every class present, in
// order of first appearance). The draw depends only on labels, classes,
// perClass and the state of rng.
//
// It fails when a class has fewer than perClass items: a run that silently
// drew fewer records than its spec asked for would not be comparable.
func Stratify(labels []string, classes []string, perClass int, rng *rand.Rand) ([]int, error) {
	if perClass < 0 {
		return nil, fmt.Errorf("stratify: %d per class is negative", perClass)
	}
	if rng == nil {
		return nil, fmt.Errorf("stratify: no random source")
	}
	byClass := map[string][]int{}
	var seen []string
	for i, l := range labels {
		if _, ok := byClass[l]; !ok {
			seen = append(seen, l)
		}
		byClass[l] = append(byClass[l], i)
	}
	if classes == nil {
		classes = seen
	}
	var out []int
	done := map[string]bool{}
	for _, c := range classes {
		if done[c] {
			return nil, fmt.Errorf("stratify: class %q listed twice", c)
		}
		done[c] = true
		idx := byClass[c]
		if len(idx) < perClass {
			return nil, fmt.Errorf("stratify: class %q has %d items, %d requested", c, len(idx), perClass)
		}
		pick := append([]int(nil), idx...)
		rng.Shuffle(len(pick), func(i, j int) { pick[i], pick[j] = pick[j], pick[i] })
		out = append(out, pick[:perClass]...)
	}
	sort.Ints(out)
	return out, nil
}
