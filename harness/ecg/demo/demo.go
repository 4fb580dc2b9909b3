// Package demo ships a small, fixed sample of real ECGs for the offline
// demo and for tests: 40 records of the PhysioNet/CinC 2017 training set,
// 10 per class (N, A, O, ~), drawn with seed [Seed] from the test split of
// Han et al. 2020. The original .mat files are embedded byte for byte in
// demo.zip (with REFERENCE.csv and SHA256SUMS); records.csv lists them.
// See README.md for the source, licence (ODC-By 1.0) and citations.
//
// Rebuild the sample from the full data with `go generate`.
package demo

//go:generate go run ./cmd/gendemo -data ../../../../shared/data -out .

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/cinc"
)

// The draw that made the sample.
const (
	Seed     = 2020 // PCG seed (Seed, 0) for cinc.Split.Stratify
	PerClass = 10
)

//go:embed demo.zip
var zipBytes []byte

// Zip returns the embedded archive (CinC layout: demo/REFERENCE.csv,
// demo/SHA256SUMS and demo/A*.mat).
func Zip() []byte { return zipBytes }

// Open opens the embedded sample as a [cinc.Dataset].
func Open() (*cinc.Dataset, error) {
	d, err := cinc.OpenZip(bytes.NewReader(zipBytes), int64(len(zipBytes)), "demo.zip")
	if err != nil {
		return nil, fmt.Errorf("open demo sample: %w", err)
	}
	return d, nil
}

// Records returns the 40 records as recorded (no padding), labelled, at
// 300 Hz and 1000 adu/mV, ordered by record ID.
func Records() ([]ecg.Record, error) {
	d, err := Open()
	if err != nil {
		return nil, err
	}
	defer d.Close()
	recs, err := d.Load(context.Background(), d.IDs(), cinc.Options{})
	if err != nil {
		return nil, fmt.Errorf("load demo sample: %w", err)
	}
	return recs, nil
}
