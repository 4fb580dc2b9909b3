// Package dataset resolves the dataset section of a spec into a fixed,
// ordered list of preprocessed records and a fingerprint of them. It is the
// one place the engine and the CLI turn "which data" into records:
//
//	set, err := dataset.Load(ctx, dataset.Config{
//		Source: "cinc2017", Path: "../shared/data",
//		Split: "han2020-test", PerClass: 20, Seed: 1,
//	})
//	// set.Records: 80 records, 18,000 samples each, in split-file order
//	// set.SHA256: hex digest of IDs, labels, units and samples
//
// # Sources
//
//   - "demo": the 40 records embedded in package demo (no files needed).
//   - "cinc2017": the PhysioNet/CinC 2017 training set; Path is
//     training2017.zip, its unpacked directory, a directory holding either
//     (such as ../shared/data/cinc2017) or the data root holding cinc2017/.
//     An empty Path means [DefaultRoot].
//   - "mitdb": MIT-BIH Arrhythmia Database records (Path: their directory
//     or the data root holding mitdb/; Records: names, nil for every .hea
//     there). Lead Lead (default MLII, else the first) is resampled to
//     300 Hz and rescaled to 1000 adu/mV (as CinC), then cut into
//     back-to-back windows of SegmentSeconds (default 60 s), IDs
//     "mitdb/201@<start>", each lying wholly inside one rhythm class from
//     the rhythm annotations: (N → N, (AFIB → A, other rhythms → O (see
//     [Rhythm]). Split must be empty.
//
// # Selection, in this order
//
//  1. Split: "" (every record), "han2020-test", "han2020-train" or
//     "han2020" (both, the embedded split of Han et al. 2020), or the path of
//     a CSV "record,label,split" file; "file.csv#test" keeps one part.
//     Records keep the split file's order (REFERENCE.csv order without a
//     split). A split label that disagrees with the source's is an error,
//     and so is a split record the source lacks, except for the demo
//     sample, which holds only 40 test records and keeps those it has.
//  2. Classes: keep only these labels (nil: every label).
//  3. PerClass > 0: draw that many of each class without replacement with
//     a PCG source seeded (Seed, 0) (see [ecg.Stratify]); the draw keeps
//     the order of step 1. Too few records of a class is an error.
//
// # Preprocessing
//
// "han2020" (the default): first 18,000 samples or centred zero padding,
// raw adu, Record.Valid marking the recording ([ecg.Han2020]). "none":
// records as recorded.
//
// # Fingerprint
//
// [Hash] is SHA-256 over, for each record in order: the ID, a NUL, the
// label, a NUL, then little-endian rate and gain (float64 bits), valid
// start and end (int64), the sample count (int64) and every sample
// (float64 bits). Same config and data give the same digest on any machine.
package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/cinc"
	"github.com/ecgrobust/ecgrobust/harness/ecg/demo"
)

// Sources.
const (
	Demo     = "demo"
	CinC2017 = "cinc2017"
	MITDB    = "mitdb"
)

// Preprocessing names.
const (
	Han2020 = "han2020"
	None    = "none"
)

// Config is the dataset section of a spec.
type Config struct {
	Source     string   // Demo, CinC2017 or MITDB
	Path       string   // see the package doc; unused for Demo
	Split      string   // "", "han2020-test", "han2020-train", "han2020", or a CSV path[#part]
	Classes    []string // labels to keep; nil keeps all
	PerClass   int      // records drawn per class; 0 keeps all
	Seed       uint64   // seed of the per-class draw
	Preprocess string   // Han2020 (default when empty) or None

	// MITDB only.
	Records        []string // record names; nil: every .hea in the directory
	Lead           string   // signal description; "" : MLII, else the first
	SegmentSeconds float64  // window length; 0: 60 s
}

// Set is a resolved dataset.
type Set struct {
	// Records are preprocessed, labelled and in a deterministic order.
	Records []ecg.Record
	// Config is the configuration with defaults filled in.
	Config Config
	// Origin names what was read: the embedded sample or a file path.
	Origin string
	// SHA256 is [Hash] of Records, in hex.
	SHA256 string
}

// Counts returns the number of records per label.
func (s *Set) Counts() map[string]int {
	out := map[string]int{}
	for _, r := range s.Records {
		out[r.Label]++
	}
	return out
}

// DefaultRoot is the data root used when Config.Path is empty, by the
// same rule as the CLI's --data default: ../shared/data when it exists,
// else $ECGROBUST_DATA when set, else ../shared/data.
func DefaultRoot() string {
	shared := filepath.Join("..", "shared", "data")
	if isDir(shared) {
		return shared
	}
	if d := os.Getenv("ECGROBUST_DATA"); d != "" {
		return d
	}
	return shared
}

// Load resolves c into records. Errors name the field or file at fault.
func Load(ctx context.Context, c Config) (*Set, error) {
	if c.Source == MITDB {
		c, length, err := preprocessing(c)
		if err != nil {
			return nil, err
		}
		return loadMITDBSet(ctx, c, length)
	}
	c, src, err := openCinC(c)
	if err != nil {
		return nil, err
	}
	defer src.d.Close()
	recs, err := src.d.Load(ctx, src.sel.IDs(), cinc.Options{Length: src.length})
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return &Set{Records: recs, Config: c, Origin: src.origin, SHA256: Hash(recs)}, nil
}

// preprocessing fills in the default preprocessing of c, checks it and
// PerClass, and returns the fixed input length it implies (0: as recorded).
func preprocessing(c Config) (Config, int, error) {
	if c.Preprocess == "" {
		c.Preprocess = Han2020
	}
	length := 0
	switch c.Preprocess {
	case Han2020:
		length = ecg.Han2020Length
	case None:
	default:
		return c, 0, fmt.Errorf("dataset: preprocess %q: want %q or %q", c.Preprocess, Han2020, None)
	}
	if c.PerClass < 0 {
		return c, 0, fmt.Errorf("dataset: per_class %d is negative", c.PerClass)
	}
	return c, length, nil
}

// cincSource is an opened CinC-layout data set (the demo sample or CinC
// 2017) with its records selected.
type cincSource struct {
	d      *cinc.Dataset
	sel    cinc.Split
	length int
	origin string
}

// openCinC resolves a demo or cinc2017 configuration: it opens the data
// and applies the split, class filter and per-class draw. The caller
// closes src.d.
func openCinC(c Config) (Config, cincSource, error) {
	c, length, err := preprocessing(c)
	if err != nil {
		return c, cincSource{}, err
	}
	src := cincSource{length: length}
	switch c.Source {
	case Demo:
		src.d, err = demo.Open()
		src.origin = "embedded demo sample (harness/ecg/demo)"
	case CinC2017:
		p := c.Path
		if p == "" {
			p = DefaultRoot()
		}
		if sub := filepath.Join(p, "cinc2017"); isDir(sub) {
			p = sub
		}
		src.d, err = cinc.Open(p)
		if err == nil {
			src.origin = src.d.Path()
		}
	default:
		return c, cincSource{}, fmt.Errorf("dataset: source %q: want %q, %q or %q", c.Source, Demo, CinC2017, MITDB)
	}
	if err != nil {
		return c, cincSource{}, fmt.Errorf("dataset: %w", err)
	}
	if src.sel, err = selectRecords(src.d, c); err != nil {
		src.d.Close()
		return c, cincSource{}, err
	}
	return c, src, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// selectRecords applies the split, class filter and per-class draw.
func selectRecords(d *cinc.Dataset, c Config) (cinc.Split, error) {
	var sel cinc.Split
	switch c.Split {
	case "":
		for _, l := range d.Labels() {
			sel = append(sel, cinc.Assignment{ID: l.ID, Label: l.Label})
		}
	case "han2020":
		sel = cinc.Han2020Split()
	case "han2020-test":
		sel = cinc.Han2020Split().Part(cinc.Test)
	case "han2020-train":
		sel = cinc.Han2020Split().Part(cinc.Train)
	default:
		file, part, _ := strings.Cut(c.Split, "#")
		s, err := cinc.LoadSplit(file)
		if err != nil {
			return nil, fmt.Errorf("dataset: split: %w", err)
		}
		if part != "" {
			s = s.Part(part)
			if len(s) == 0 {
				return nil, fmt.Errorf("dataset: split %s: no records in part %q", file, part)
			}
		}
		sel = s
	}
	if c.Split != "" {
		// Every split record must exist with the same label. The demo
		// sample holds only 40 test records: keep those it has.
		var kept cinc.Split
		for _, a := range sel {
			l, ok := d.Label(a.ID)
			if !ok {
				if c.Source == Demo {
					continue
				}
				return nil, fmt.Errorf("dataset: split %s: record %s is not in %s", c.Split, a.ID, d.Path())
			}
			if l != a.Label {
				return nil, fmt.Errorf("dataset: split %s: record %s is labelled %q, but %q in %s", c.Split, a.ID, a.Label, l, d.Path())
			}
			kept = append(kept, a)
		}
		sel = kept
	}
	if c.Classes != nil {
		var kept cinc.Split
		for _, a := range sel {
			if slices.Contains(c.Classes, a.Label) {
				kept = append(kept, a)
			}
		}
		sel = kept
	}
	if c.PerClass > 0 {
		classes := c.Classes
		if classes == nil {
			classes = presentClasses(sel)
		}
		s, err := sel.Stratify(classes, c.PerClass, rand.New(rand.NewPCG(c.Seed, 0)))
		if err != nil {
			return nil, fmt.Errorf("dataset: per_class %d from split %q: %w", c.PerClass, c.Split, err)
		}
		sel = s
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("dataset: no records selected (split %q, classes %q)", c.Split, c.Classes)
	}
	return sel, nil
}

// presentClasses returns the labels of s: the CinC classes present in
// their usual order, then any others in order of appearance.
func presentClasses(s cinc.Split) []string {
	counts := s.Counts()
	var out []string
	for _, c := range ecg.CinCClasses {
		if counts[c] > 0 {
			out = append(out, c)
		}
	}
	for _, a := range s {
		if !slices.Contains(out, a.Label) {
			out = append(out, a.Label)
		}
	}
	return out
}

// Hash returns the hex SHA-256 fingerprint of recs described in the
// package doc.
func Hash(recs []ecg.Record) string {
	h := sha256.New()
	for _, r := range recs {
		writeRecord(h, r)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func writeRecord(h hash.Hash, r ecg.Record) {
	h.Write([]byte(r.ID))
	h.Write([]byte{0})
	h.Write([]byte(r.Label))
	h.Write([]byte{0})
	buf := make([]byte, 0, 8*(5+len(r.Signal.Samples)))
	buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(r.Signal.Rate))
	buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(r.Signal.Gain))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(int64(r.Valid.Start)))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(int64(r.Valid.End)))
	buf = binary.LittleEndian.AppendUint64(buf, uint64(int64(len(r.Signal.Samples))))
	for _, v := range r.Signal.Samples {
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
	}
	h.Write(buf)
}

func loadMITDBSet(ctx context.Context, c Config, length int) (*Set, error) {
	if c.Split != "" {
		return nil, fmt.Errorf("dataset: split %q: source mitdb takes no split", c.Split)
	}
	recs, dir, err := loadMITDB(ctx, c)
	if err != nil {
		return nil, err
	}
	labels := make([]string, len(recs))
	for i, r := range recs {
		labels[i] = r.Label
	}
	idx, err := pick(labels, c)
	if err != nil {
		return nil, err
	}
	out := make([]ecg.Record, len(idx))
	for i, j := range idx {
		out[i] = recs[j]
		if length > 0 {
			out[i] = ecg.Fit(out[i], length)
		}
	}
	return &Set{Records: out, Config: c, Origin: dir, SHA256: Hash(out)}, nil
}

// pick applies the class filter and the per-class draw to labels and
// returns the kept indices in order.
func pick(labels []string, c Config) ([]int, error) {
	var idx []int
	var kept []string
	for i, l := range labels {
		if c.Classes == nil || slices.Contains(c.Classes, l) {
			idx = append(idx, i)
			kept = append(kept, l)
		}
	}
	if c.PerClass > 0 {
		classes := c.Classes
		if classes == nil {
			var s cinc.Split
			for _, l := range kept {
				s = append(s, cinc.Assignment{Label: l})
			}
			classes = presentClasses(s)
		}
		sub, err := ecg.Stratify(kept, classes, c.PerClass, rand.New(rand.NewPCG(c.Seed, 0)))
		if err != nil {
			return nil, fmt.Errorf("dataset: per_class %d: %w", c.PerClass, err)
		}
		for i, j := range sub {
			sub[i] = idx[j]
		}
		idx = sub
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("dataset: no records selected (classes %q)", c.Classes)
	}
	return idx, nil
}
