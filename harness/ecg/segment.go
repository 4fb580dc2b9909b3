package ecg

import "fmt"

// Interval is a labelled stretch of a signal, e.g. a rhythm episode.
type Interval struct {
	Label string
	Span
}

// Segment cuts r into windows of n samples starting every hop samples
// (hop = n: back to back) and labels each from intervals: a window takes
// the label whose intervals cover at least minCover of it (0 < minCover ≤ 1;
// 1 keeps only windows inside a single rhythm); windows that no label
// covers enough are dropped. With no intervals every window takes r.Label.
// Window IDs are "<r.ID>@<start sample>"; samples are copied; Valid is the
// whole window. Only whole windows are returned.
func Segment(r Record, n, hop int, intervals []Interval, minCover float64) ([]Record, error) {
	if n <= 0 || hop <= 0 {
		return nil, fmt.Errorf("segment %s: window %d and hop %d must be positive", r.ID, n, hop)
	}
	if !(minCover > 0 && minCover <= 1) {
		return nil, fmt.Errorf("segment %s: minimum cover %v is not in (0, 1]", r.ID, minCover)
	}
	x := r.Signal.Samples
	var out []Record
	for start := 0; start+n <= len(x); start += hop {
		label := r.Label
		if intervals != nil {
			label = ""
			cover := map[string]int{}
			best := 0
			for _, iv := range intervals {
				lo, hi := max(iv.Start, start), min(iv.End, start+n)
				if hi <= lo {
					continue
				}
				cover[iv.Label] += hi - lo
				// Ties go to the label listed first.
				if c := cover[iv.Label]; c > best {
					best, label = c, iv.Label
				}
			}
			if float64(best) < minCover*float64(n) {
				continue
			}
		}
		w := r
		w.ID = fmt.Sprintf("%s@%d", r.ID, start)
		w.Label = label
		w.Signal.Samples = append([]float64(nil), x[start:start+n]...)
		w.Valid = Span{}
		out = append(out, w)
	}
	return out, nil
}
