package engine

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
)

// Source supplies a run's records. A Source backed by files can load each
// record on demand, so that a run holds only the records of the batches in
// flight. Implementations must be safe for concurrent use.
type Source interface {
	// Len returns the number of records.
	Len() int
	// Meta returns the ID and reference label of record i without
	// loading its samples.
	Meta(i int) (id, label string)
	// Load returns record i, ready for the classifier (its rate, gain and
	// length). An error marks the record errored; the run goes on.
	Load(ctx context.Context, i int) (ecg.Record, error)
}

// Records returns a Source over records held in memory.
func Records(recs []ecg.Record) Source { return sliceSource(recs) }

type sliceSource []ecg.Record

func (s sliceSource) Len() int                    { return len(s) }
func (s sliceSource) Meta(i int) (string, string) { return s[i].ID, s[i].Label }
func (s sliceSource) Load(_ context.Context, i int) (ecg.Record, error) {
	return s[i], nil
}

// RecordRand returns the random source of one (record, attack) pair of a
// run: a PCG seeded with the first 16 bytes of
// SHA-256("ecgrobust/v1" ‖ seed ‖ recordID ‖ 0 ‖ attackID). Every draw
// an attack makes for a record comes from it, so results do not depend on
// worker count, batch composition, shard or order.
func RecordRand(seed uint64, recordID, attackID string) *rand.Rand {
	h := sha256.New()
	h.Write([]byte("ecgrobust/v1"))
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(recordID))
	h.Write([]byte{0})
	h.Write([]byte(attackID))
	sum := h.Sum(nil)
	return rand.New(rand.NewPCG(binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:16])))
}
