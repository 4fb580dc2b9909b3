// Package suggest finds the allowed name closest to a misspelt one, for
// "did you mean" hints in spec and criteria errors.
package suggest

// Closest returns the candidate with the smallest Levenshtein distance to
// got (the first on ties) and that distance; ("", -1) if there are no
// candidates.
func Closest(got string, candidates []string) (best string, dist int) {
	dist = -1
	for _, c := range candidates {
		if d := Distance(got, c); dist < 0 || d < dist {
			best, dist = c, d
		}
	}
	return best, dist
}

// Distance is the Levenshtein distance between a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
