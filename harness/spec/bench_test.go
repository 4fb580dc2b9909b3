package spec

import (
	"os"
	"testing"
)

// BenchmarkParse parses, validates and hashes the bundled audit-full spec.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("../../specs/audit-full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("audit-full.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
