package noise

import (
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/ecgtest"
)

// BenchmarkAddRecord adds em noise at 6 dB to a Han 2020 record (30 s of
// signal in 18,000 samples), QRS detection included; the noise is already
// resampled (cached after the first call).
func BenchmarkAddRecord(b *testing.B) {
	src, err := Load(dataDir(b))
	if err != nil {
		b.Fatal(err)
	}
	r := ecg.Han2020(ecg.Record{ID: "x", Signal: ecgtest.Generate(ecgtest.Config{Seconds: 30, Seed: 1}).Signal})
	if _, _, err := src.AddRecord(r, Options{Kind: EM, SNR: 6}); err != nil {
		b.Fatal(err)
	}
	for i := 0; b.Loop(); i++ {
		if _, _, err := src.AddRecord(r, Options{Kind: EM, SNR: 6, Seed: uint64(i)}); err != nil {
			b.Fatal(err)
		}
	}
}
