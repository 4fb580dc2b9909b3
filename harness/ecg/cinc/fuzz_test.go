package cinc

import (
	"bytes"
	"strings"
	"testing"
)

func FuzzParseSplit(f *testing.F) {
	f.Add("record,label,split\nA00001,N,train\nA00004,A,test\n")
	f.Add("split,record,label,extra\ntest,A1,N,x\n\ntrain,A2,~,y\n")
	f.Add("record,label,split\n\"A0\"\"1\",N,test\n")
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSplit(strings.NewReader(s), "fuzz.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, a := range sp {
			if a.ID == "" || a.Label == "" || a.Split == "" || seen[a.ID] {
				t.Fatalf("bad assignment %+v", a)
			}
			seen[a.ID] = true
		}
	})
}

func FuzzParseReference(f *testing.F) {
	f.Add([]byte("A00001,N\nA00002,A\r\nA00003,~\n"))
	f.Add([]byte("\ufeffA00001,O\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ls, err := ParseReference(bytes.NewReader(b), "REFERENCE.csv")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "REFERENCE.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, l := range ls {
			if l.ID == "" || l.Label == "" {
				t.Fatalf("bad label %+v", l)
			}
		}
	})
}
