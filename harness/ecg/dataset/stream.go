package dataset

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/cinc"
)

// Stream is a data set resolved exactly as [Load] resolves it (same
// records, order and SHA256) whose records are decoded only when asked
// for, so a run over thousands of records holds only those in flight:
// 10,000 records fitted to 18,000 float64 samples would take 1.4 GB.
// Opening it reads every record once, in chunks, to compute the
// fingerprint. It satisfies engine.Source and is safe for concurrent
// use. Close releases the underlying files.
type Stream struct {
	// Config is the resolved configuration, Origin where the records come
	// from, SHA256 their fingerprint (see [Hash]).
	Config Config
	Origin string
	SHA256 string

	sel    cinc.Split
	length int
	mu     sync.Mutex
	d      *cinc.Dataset // nil for mitdb
	recs   []ecg.Record  // mitdb: windows cut at open
}

// Open resolves c like [Load] but returns the records as a [Stream]. MIT-BIH
// sources are loaded whole (their windows are cut from whole records; the
// 48 records fit in memory).
func Open(ctx context.Context, c Config) (*Stream, error) {
	if c.Source == MITDB {
		set, err := Load(ctx, c)
		if err != nil {
			return nil, err
		}
		s := &Stream{Config: set.Config, Origin: set.Origin, SHA256: set.SHA256, recs: set.Records}
		for _, r := range set.Records {
			s.sel = append(s.sel, cinc.Assignment{ID: r.ID, Label: r.Label})
		}
		return s, nil
	}
	c, src, err := openCinC(c)
	if err != nil {
		return nil, err
	}
	d, sel, length := src.d, src.sel, src.length
	h := sha256.New()
	if err := d.Each(ctx, sel.IDs(), cinc.Options{Length: length}, func(r ecg.Record) error {
		writeRecord(h, r)
		return nil
	}); err != nil {
		d.Close()
		return nil, fmt.Errorf("dataset: %w", err)
	}
	return &Stream{Config: c, Origin: src.origin, SHA256: fmt.Sprintf("%x", h.Sum(nil)), sel: sel, length: length, d: d}, nil
}

// Len returns the number of records.
func (s *Stream) Len() int { return len(s.sel) }

// Meta returns the ID and label of record i without decoding it.
func (s *Stream) Meta(i int) (id, label string) { return s.sel[i].ID, s.sel[i].Label }

// Load decodes record i.
func (s *Stream) Load(ctx context.Context, i int) (ecg.Record, error) {
	if s.recs != nil {
		return s.recs[i], nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d == nil {
		return ecg.Record{}, fmt.Errorf("dataset: record %s: stream closed", s.sel[i].ID)
	}
	recs, err := s.d.Load(ctx, []string{s.sel[i].ID}, cinc.Options{Length: s.length, Workers: 1})
	if err != nil {
		return ecg.Record{}, fmt.Errorf("dataset: %w", err)
	}
	return recs[0], nil
}

// Counts returns the number of records per label.
func (s *Stream) Counts() map[string]int { return s.sel.Counts() }

// Close releases the files behind the stream; later Loads fail.
func (s *Stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.d == nil {
		return nil
	}
	err := s.d.Close()
	s.d = nil
	return err
}
