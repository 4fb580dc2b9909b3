package wfdb_test

import (
	"path/filepath"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg/wfdb"
)

// BenchmarkReadRecord reads mitdb 100 (two 30 min leads, format 212,
// checksums verified) and its annotations.
func BenchmarkReadRecord(b *testing.B) {
	dir := filepath.Join(dataDir(b), "mitdb")
	for b.Loop() {
		if _, err := wfdb.ReadRecord(filepath.Join(dir, "100")); err != nil {
			b.Fatal(err)
		}
		if _, err := wfdb.ReadAnnotations(filepath.Join(dir, "100.atr")); err != nil {
			b.Fatal(err)
		}
	}
}
