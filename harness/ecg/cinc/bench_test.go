package cinc_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/cinc"
)

// BenchmarkLoadAllHan2020 opens training2017.zip and loads and preprocesses
// all 8,528 records (one op = the whole set).
func BenchmarkLoadAllHan2020(b *testing.B) {
	zipPath := filepath.Join(dataDir(b), "cinc2017", "training2017.zip")
	for b.Loop() {
		d, err := cinc.Open(zipPath)
		if err != nil {
			b.Fatal(err)
		}
		recs, err := d.Load(context.Background(), d.IDs(), cinc.Options{Length: ecg.Han2020Length})
		if err != nil || len(recs) != 8528 {
			b.Fatal(len(recs), err)
		}
		d.Close()
	}
}
