package dataset

import (
	"context"
	"reflect"
	"sync"
	"testing"
)

// TestStreamMatchesLoad checks that Open resolves the same records, in
// the same order, with the same fingerprint as Load, decoding them one at
// a time, also from concurrent callers.
func TestStreamMatchesLoad(t *testing.T) {
	ctx := context.Background()
	for _, c := range []Config{
		{Source: Demo},
		{Source: Demo, PerClass: 3, Seed: 9, Classes: []string{"A", "N", "O"}},
		{Source: Demo, Split: "han2020-test", Preprocess: None},
	} {
		set, err := Load(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		if s.SHA256 != set.SHA256 || s.Len() != len(set.Records) || s.Origin != set.Origin {
			t.Fatalf("%+v: stream %s (%d records), load %s (%d)", c, s.SHA256, s.Len(), set.SHA256, len(set.Records))
		}
		var wg sync.WaitGroup
		for w := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < s.Len(); i += 3 {
					id, label := s.Meta(i)
					r, err := s.Load(ctx, i)
					if err != nil {
						t.Error(err)
						return
					}
					want := set.Records[i]
					if id != want.ID || label != want.Label || !reflect.DeepEqual(r, want) {
						t.Errorf("%+v: record %d is %s, want %s", c, i, r.ID, want.ID)
					}
				}
			}()
		}
		wg.Wait()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Load(ctx, 0); err == nil {
			t.Error("Load after Close succeeded")
		}
	}
}
