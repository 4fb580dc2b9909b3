package weights

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func TestSHA256(t *testing.T) {
	sum := sha256.Sum256(Reference())
	if got := hex.EncodeToString(sum[:]); got != SHA256 {
		t.Fatalf("reference.ecgw SHA-256 %s, weights.SHA256 says %s: update the constant with the weights", got, SHA256)
	}
	if n := len(Reference()); n > 2<<20 {
		t.Errorf("reference.ecgw is %d bytes, want under 2 MiB", n)
	}
}
