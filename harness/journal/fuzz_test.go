package journal

import (
	"bytes"
	"testing"
)

// FuzzRead checks that Read never panics and that what it accepts is
// consistent: Valid is a prefix length ending at a line break, and every
// row has a record and an attack, each pair once.
func FuzzRead(f *testing.F) {
	f.Add([]byte(`{"format":"ecgrobust.journal/v1","spec_sha256":"a","model_sha256":"b","dataset_sha256":"c","seed":1,"harness_version":"x"}
{"record":"A00001","attack":"sap","true_label":"N","attacked":true,"success":false,"linf_uv":1,"l2_uv":2,"high_freq_fraction":0,"queries":3}
{"record":"A00001","attack":"pgd","true_label":"N","att`))
	f.Add([]byte("{\"format\":\"ecgrobust.journal/v1\"}\n{\"record\":\"r\",\"attack\":\"a\",\"error\":\"x\"}\n{\"record\":\"r\",\"attack\":\"a\"}\n"))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := read(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		if c.Valid <= 0 || c.Valid > int64(len(data)) || data[c.Valid-1] != '\n' {
			t.Fatalf("Valid = %d of %d bytes, not at a line break", c.Valid, len(data))
		}
		if c.Header.Format != Format {
			t.Fatalf("accepted format %q", c.Header.Format)
		}
		seen := map[string]bool{}
		for _, r := range c.Rows {
			k := r.Record + "\x00" + r.Attack
			if r.Record == "" || r.Attack == "" || seen[k] {
				t.Fatalf("accepted row %+v (empty or doubled)", r)
			}
			seen[k] = true
		}
		if !c.Torn && c.Valid != int64(len(data)) {
			t.Fatalf("%d of %d bytes accounted for, and no torn line", c.Valid, len(data))
		}
	})
}
