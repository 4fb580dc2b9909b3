package metric

import "sort"

// Outcome is one attacked record as the aggregates see it.
type Outcome struct {
	// True is the reference label, Clean the label before the attack and
	// Adv the label after it (equal to Clean for a record not attacked).
	True, Clean, Adv string
	// Attacked is true when the record was in the attack's denominator:
	// correctly classified before the attack (and, for a targeted attack,
	// of the attack's source class).
	Attacked bool
	// Success is true when the attack reached its goal.
	Success bool
}

// Counts aggregates Outcomes of one attack.
type Counts struct {
	// Records is the number of evaluated (not errored) records.
	Records int
	// Correct counts records whose clean label equals the true label.
	Correct int
	// Attacked and Succeeded count the denominator and numerator of the
	// success rate.
	Attacked, Succeeded int
	// RobustCorrect counts records whose adversarial label equals the true
	// label (a record not attacked keeps its clean label).
	RobustCorrect int
	// PerClass holds the same counts per true label.
	PerClass map[string]*Counts
	// Flips[true][adv] counts attacked records by true and adversarial
	// label, successful or not.
	Flips map[string]map[string]int
}

// Add counts o.
func (c *Counts) Add(o Outcome) {
	c.add(o)
	if c.PerClass == nil {
		c.PerClass = map[string]*Counts{}
	}
	pc := c.PerClass[o.True]
	if pc == nil {
		pc = &Counts{}
		c.PerClass[o.True] = pc
	}
	pc.add(o)
	if o.Attacked {
		if c.Flips == nil {
			c.Flips = map[string]map[string]int{}
		}
		if c.Flips[o.True] == nil {
			c.Flips[o.True] = map[string]int{}
		}
		c.Flips[o.True][o.Adv]++
	}
}

func (c *Counts) add(o Outcome) {
	c.Records++
	if o.Clean == o.True {
		c.Correct++
	}
	if o.Attacked {
		c.Attacked++
		if o.Success {
			c.Succeeded++
		}
	}
	if o.Adv == o.True {
		c.RobustCorrect++
	}
}

// Accuracy returns Correct/Records (ok false for no records).
func (c *Counts) Accuracy() (float64, bool) { return Rate(c.Correct, c.Records) }

// SuccessRate returns Succeeded/Attacked, the paper's attack success rate
// (ok false when nothing was attacked).
func (c *Counts) SuccessRate() (float64, bool) { return Rate(c.Succeeded, c.Attacked) }

// RobustAccuracy returns RobustCorrect/Records.
func (c *Counts) RobustAccuracy() (float64, bool) { return Rate(c.RobustCorrect, c.Records) }

// Classes returns the true labels seen, sorted.
func (c *Counts) Classes() []string {
	out := make([]string, 0, len(c.PerClass))
	for k := range c.PerClass {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Median returns the median of v (the mean of the middle two for an even
// length) and ok = false for an empty slice. v is not modified.
func Median(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m], true
	}
	return (s[m-1] + s[m]) / 2, true
}

// Mean returns the mean of v and ok = false for an empty slice.
func Mean(v []float64) (float64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v)), true
}
