package cinc

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
)

// Sample rate and gain of every CinC 2017 record.
const (
	Rate = 300.0  // Hz
	Gain = 1000.0 // adu per mV: one adu is one µV
)

// maxMATBytes bounds the size of one record file (a 61 s record is
// ~37 KB); it stops a corrupt or hostile archive from exhausting memory.
const maxMATBytes = 64 << 20

// Dataset is an opened copy of the CinC 2017 training set: the zip as
// PhysioNet ships it or its unpacked directory. It is safe for concurrent
// use. Close releases the zip file.
type Dataset struct {
	path   string
	src    source
	labels []Label
	index  map[string]int
}

type source interface {
	read(id string, buf []byte) ([]byte, error)
	close() error
}

// Open opens the CinC 2017 training set at path, which may be
//   - training2017.zip itself, read in place (no unpacking needed);
//   - an unpacked directory holding REFERENCE.csv and the A*.mat files;
//   - a directory holding training2017.zip or training2017/ (such as
//     ../shared/data/cinc2017).
//
// Open reads REFERENCE.csv; records are decoded by [Dataset.Record] and
// [Dataset.Load].
func Open(p string) (*Dataset, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("open cinc2017: %w", err)
	}
	if !fi.IsDir() {
		return openZip(p)
	}
	if exists(filepath.Join(p, "REFERENCE.csv")) {
		return openDir(p)
	}
	if sub := filepath.Join(p, "training2017"); exists(filepath.Join(sub, "REFERENCE.csv")) {
		return openDir(sub)
	}
	if z := filepath.Join(p, "training2017.zip"); exists(z) {
		return openZip(z)
	}
	return nil, fmt.Errorf("open cinc2017: %s holds neither REFERENCE.csv, training2017/ nor training2017.zip", p)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func openDir(dir string) (*Dataset, error) {
	ref := filepath.Join(dir, "REFERENCE.csv")
	f, err := os.Open(ref)
	if err != nil {
		return nil, fmt.Errorf("open cinc2017: %w", err)
	}
	defer f.Close()
	labels, err := ParseReference(f, ref)
	if err != nil {
		return nil, fmt.Errorf("open cinc2017: %w", err)
	}
	return newDataset(dir, dirSource(dir), labels)
}

func openZip(name string) (*Dataset, error) {
	zr, err := zip.OpenReader(name)
	if err != nil {
		return nil, fmt.Errorf("open cinc2017 %s: %w", name, err)
	}
	d, err := fromZip(&zr.Reader, zr, name)
	if err != nil {
		zr.Close()
		return nil, err
	}
	return d, nil
}

// OpenZip opens a CinC-layout zip held in r (size bytes), such as an
// embedded sample. name is used in errors. The zip may hold any number of
// .mat records and one REFERENCE.csv, in any folder.
func OpenZip(r io.ReaderAt, size int64, name string) (*Dataset, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("open cinc2017 %s: %w", name, err)
	}
	return fromZip(zr, nil, name)
}

func fromZip(zr *zip.Reader, c io.Closer, name string) (*Dataset, error) {
	zs := &zipSource{name: name, zr: zr, closer: c, files: map[string]*zip.File{}}
	var ref *zip.File
	for _, f := range zr.File {
		base := path.Base(f.Name)
		switch {
		case strings.EqualFold(base, "REFERENCE.csv"):
			if ref == nil || len(f.Name) < len(ref.Name) {
				ref = f
			}
		case strings.HasSuffix(base, ".mat"):
			id := strings.TrimSuffix(base, ".mat")
			if prev, dup := zs.files[id]; dup {
				return nil, fmt.Errorf("open cinc2017 %s: both %s and %s hold record %s", name, prev.Name, f.Name, id)
			}
			zs.files[id] = f
		}
	}
	if ref == nil {
		return nil, fmt.Errorf("open cinc2017 %s: no REFERENCE.csv in the archive", name)
	}
	rc, err := ref.Open()
	if err != nil {
		return nil, fmt.Errorf("open cinc2017 %s: %s: %w", name, ref.Name, err)
	}
	labels, err := ParseReference(rc, name+":"+ref.Name)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("open cinc2017: %w", err)
	}
	return newDataset(name, zs, labels)
}

func newDataset(p string, src source, labels []Label) (*Dataset, error) {
	d := &Dataset{path: p, src: src, labels: labels, index: make(map[string]int, len(labels))}
	for i, l := range labels {
		if strings.ContainsAny(l.ID, `/\`) || l.ID == "." || l.ID == ".." {
			src.close()
			return nil, fmt.Errorf("open cinc2017 %s: record name %q is not a plain file name", p, l.ID)
		}
		d.index[l.ID] = i
	}
	return d, nil
}

// Close releases the underlying file.
func (d *Dataset) Close() error { return d.src.close() }

// Path returns the zip file or directory d reads from.
func (d *Dataset) Path() string { return d.path }

// Len returns the number of labelled records.
func (d *Dataset) Len() int { return len(d.labels) }

// Labels returns every record and its label in REFERENCE.csv order.
func (d *Dataset) Labels() []Label { return append([]Label(nil), d.labels...) }

// IDs returns every record ID in REFERENCE.csv order.
func (d *Dataset) IDs() []string {
	out := make([]string, len(d.labels))
	for i, l := range d.labels {
		out[i] = l.ID
	}
	return out
}

// Label returns the reference label of record id.
func (d *Dataset) Label(id string) (string, bool) {
	i, ok := d.index[id]
	if !ok {
		return "", false
	}
	return d.labels[i].Label, true
}

// MAT returns the raw bytes of record id's .mat file.
func (d *Dataset) MAT(id string) ([]byte, error) {
	if _, ok := d.index[id]; !ok {
		return nil, fmt.Errorf("cinc2017 %s: no record %q in REFERENCE.csv", d.path, id)
	}
	b, err := d.src.read(id, nil)
	if err != nil {
		return nil, fmt.Errorf("cinc2017 %s: %w", d.path, err)
	}
	return b, nil
}

// Record returns record id as recorded (no padding), labelled, at 300 Hz
// and 1000 adu/mV.
func (d *Dataset) Record(id string) (ecg.Record, error) {
	rs, err := d.Load(context.Background(), []string{id}, Options{Workers: 1})
	if err != nil {
		return ecg.Record{}, err
	}
	return rs[0], nil
}

// Options control [Dataset.Load].
type Options struct {
	// Length, when positive, fits every record to Length samples as
	// [ecg.Fit] does (use [ecg.Han2020Length] for Han et al. 2020); zero
	// keeps records as recorded.
	Length int
	// Workers is the number of records decoded at once; zero means
	// GOMAXPROCS.
	Workers int
}

// Load decodes the records ids, in that order, labelled from
// REFERENCE.csv. Records are decoded in parallel; the first error (by
// position in ids) is returned and names the record and file.
func (d *Dataset) Load(ctx context.Context, ids []string, opt Options) ([]ecg.Record, error) {
	out := make([]ecg.Record, len(ids))
	for _, id := range ids {
		if _, ok := d.index[id]; !ok {
			return nil, fmt.Errorf("cinc2017 %s: no record %q in REFERENCE.csv", d.path, id)
		}
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(ids)))
	errs := make([]error, len(ids))
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) || failed.Load() {
					return
				}
				if err := ctx.Err(); err != nil {
					errs[i] = err
					failed.Store(true)
					return
				}
				var err error
				buf, err = d.src.read(ids[i], buf[:0])
				if err == nil {
					out[i], err = d.decode(ids[i], buf, opt.Length)
				}
				if err != nil {
					errs[i] = fmt.Errorf("cinc2017 %s: %w", d.path, err)
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := firstErr(errs); err != nil {
		return nil, err
	}
	return out, nil
}

// Each decodes the records ids like [Dataset.Load] and passes them to fn
// in order, holding only a chunk of records in memory at a time (the full
// training set fitted to 18,000 samples is 1.2 GB as float64). It stops at
// the first error from decoding or from fn.
func (d *Dataset) Each(ctx context.Context, ids []string, opt Options, fn func(ecg.Record) error) error {
	const chunk = 512
	for start := 0; start < len(ids); start += chunk {
		recs, err := d.Load(ctx, ids[start:min(start+chunk, len(ids))], opt)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if err := fn(r); err != nil {
				return err
			}
		}
	}
	return nil
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (d *Dataset) decode(id string, b []byte, length int) (ecg.Record, error) {
	val, err := DecodeMAT(b)
	if err != nil {
		return ecg.Record{}, fmt.Errorf("%s.mat: %w", id, err)
	}
	n := val.Len()
	rec := ecg.Record{ID: id, Label: d.labels[d.index[id]].Label, Signal: ecg.Signal{Rate: Rate, Gain: Gain}}
	if length <= 0 {
		rec.Signal.Samples = make([]float64, n)
		val.Decode(rec.Signal.Samples)
		return rec, nil
	}
	start, m := ecg.FitSpan(n, length)
	rec.Signal.Samples = make([]float64, length)
	val.Decode(rec.Signal.Samples[start : start+m])
	rec.Valid = ecg.Span{Start: start, End: start + m}
	return rec, nil
}

// DecodeMAT returns the "val" vector of a CinC .mat file.
func DecodeMAT(b []byte) (*Matrix, error) {
	ms, err := ParseMAT(b)
	if err != nil {
		return nil, err
	}
	var names []string
	for i := range ms {
		if ms[i].Name == "val" {
			m := &ms[i]
			if m.Rows != 1 && m.Cols != 1 && m.Len() != 0 {
				return nil, fmt.Errorf("variable val is %d×%d, not a vector", m.Rows, m.Cols)
			}
			if m.Text {
				return nil, fmt.Errorf("variable val is text, not samples")
			}
			if m.Len() == 0 {
				return nil, fmt.Errorf("variable val is empty")
			}
			return m, nil
		}
		names = append(names, ms[i].Name)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("no variable \"val\" (found %q)", names)
}

type dirSource string

func (d dirSource) read(id string, buf []byte) ([]byte, error) {
	name := filepath.Join(string(d), id+".mat")
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := readAll(f, buf, maxMATBytes)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}

func (dirSource) close() error { return nil }

type zipSource struct {
	name   string
	zr     *zip.Reader
	closer io.Closer // nil for OpenZip
	files  map[string]*zip.File
}

func (z *zipSource) read(id string, buf []byte) ([]byte, error) {
	f, ok := z.files[id]
	if !ok {
		return nil, fmt.Errorf("record %s: no %s.mat in the archive", id, id)
	}
	if f.UncompressedSize64 > maxMATBytes {
		return nil, fmt.Errorf("%s: %d bytes is too large for a record", f.Name, f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer rc.Close()
	if cap(buf) < int(f.UncompressedSize64)+1 {
		buf = make([]byte, 0, f.UncompressedSize64+1)
	}
	// Reading to EOF makes archive/zip verify the CRC-32.
	b, err := readAll(rc, buf, maxMATBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	return b, nil
}

func (z *zipSource) close() error {
	if z.closer == nil {
		return nil
	}
	return z.closer.Close()
}

// readAll reads r to EOF into buf[:0], growing it, up to limit bytes.
func readAll(r io.Reader, buf []byte, limit int) ([]byte, error) {
	b := buf[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > limit {
			return nil, fmt.Errorf("more than %d bytes", limit)
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
