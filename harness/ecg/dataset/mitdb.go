package dataset

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/wfdb"
)

// Rhythm maps an MIT-BIH rhythm (the AUX text of a rhythm change without
// its "(") to a CinC 2017 class: "N" (normal sinus) → N, "AFIB" → A, any
// other rhythm → O.
func Rhythm(r string) string {
	switch r {
	case "N":
		return ecg.Normal
	case "AFIB":
		return ecg.AF
	}
	return ecg.Other
}

// loadMITDB reads MIT-BIH records, resamples the chosen lead to 300 Hz at
// 1000 adu/mV and cuts it into labelled windows lying wholly inside one
// rhythm episode.
func loadMITDB(ctx context.Context, c Config) ([]ecg.Record, string, error) {
	dir := c.Path
	if dir == "" {
		dir = DefaultRoot()
	}
	if sub := filepath.Join(dir, "mitdb"); isDir(sub) {
		dir = sub
	}
	names := c.Records
	if names == nil {
		heas, err := filepath.Glob(filepath.Join(dir, "*.hea"))
		if err != nil || len(heas) == 0 {
			return nil, "", fmt.Errorf("dataset: mitdb: no .hea files in %s", dir)
		}
		for _, h := range heas {
			names = append(names, strings.TrimSuffix(filepath.Base(h), ".hea"))
		}
		sort.Strings(names)
	}
	secs := c.SegmentSeconds
	if secs == 0 {
		secs = 60
	}
	if !(secs > 0) {
		return nil, "", fmt.Errorf("dataset: segment_seconds %v is not positive", secs)
	}
	const rate, gain = 300.0, 1000.0
	n := int(math.Round(secs * rate))
	var out []ecg.Record
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, "", err
		}
		recs, err := mitdbRecord(dir, name, c.Lead, n, rate, gain)
		if err != nil {
			return nil, "", fmt.Errorf("dataset: mitdb: %w", err)
		}
		out = append(out, recs...)
	}
	return out, dir, nil
}

func mitdbRecord(dir, name, lead string, n int, rate, gain float64) ([]ecg.Record, error) {
	rec, err := wfdb.ReadRecord(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	i := 0
	if lead != "" {
		if i = rec.SignalIndex(lead); i < 0 {
			return nil, fmt.Errorf("record %s has no lead %q", name, lead)
		}
	} else if j := rec.SignalIndex("MLII"); j >= 0 {
		i = j
	}
	sig, err := rec.Signal(i)
	if err != nil {
		return nil, err
	}
	anns, err := wfdb.ReadAnnotations(filepath.Join(dir, name+".atr"))
	if err != nil {
		return nil, err
	}
	if sig, err = ecg.Resample(sig, rate); err != nil {
		return nil, fmt.Errorf("record %s: %w", name, err)
	}
	if sig, err = ecg.Rescale(sig, gain); err != nil {
		return nil, fmt.Errorf("record %s: %w", name, err)
	}
	scale := rate / rec.Header.Rate
	var ivs []ecg.Interval
	for _, e := range wfdb.Episodes(anns, len(rec.Samples[i])) {
		ivs = append(ivs, ecg.Interval{Label: Rhythm(e.Rhythm), Span: ecg.Span{
			Start: int(math.Round(float64(e.Start) * scale)),
			End:   int(math.Round(float64(e.End) * scale)),
		}})
	}
	// Merge touching intervals of one class (e.g. AFL then SVTA, both O)
	// so windows spanning them count as pure.
	var merged []ecg.Interval
	for _, iv := range ivs {
		if k := len(merged) - 1; k >= 0 && merged[k].Label == iv.Label && merged[k].End == iv.Start {
			merged[k].End = iv.End
			continue
		}
		merged = append(merged, iv)
	}
	if merged == nil {
		return nil, nil // no rhythm annotations: nothing to label
	}
	return ecg.Segment(ecg.Record{ID: "mitdb/" + name, Signal: sig}, n, n, merged, 1)
}
