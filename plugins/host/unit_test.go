package host

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
)

func TestLineLogger(t *testing.T) {
	log, buf := testLogger()
	w := &lineLogger{log: log.With("plugin", "p")}
	for _, chunk := range []string{"[WARN] low ", "memory\n", `{"@level":"error","@message":"boom"}` + "\n", "plain\r\n\n", "[DEBUG] x\n"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	out := buf.String()
	for _, want := range []string{`level=WARN msg="[WARN] low memory"`, "level=ERROR msg=boom", "level=INFO msg=plain", `level=DEBUG msg="[DEBUG] x"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "plugin=p"); n != 4 {
		t.Errorf("%d records with plugin=p, want 4:\n%s", n, out)
	}
	if parseLevel("warning") != slog.LevelWarn || parseLevel("nonsense") != slog.LevelInfo {
		t.Error("parseLevel")
	}
}

func TestBatchesAndParts(t *testing.T) {
	tests := []struct {
		n, max int
		want   string
	}{
		{0, 4, "[[0 0]]"},
		{3, 0, "[[0 3]]"},
		{5, 2, "[[0 2] [2 4] [4 5]]"},
		{4, 4, "[[0 4]]"},
	}
	for _, tt := range tests {
		if got := fmt.Sprint(batches(tt.n, tt.max)); got != tt.want {
			t.Errorf("batches(%d, %d) = %s, want %s", tt.n, tt.max, got, tt.want)
		}
	}
	for _, tt := range []struct {
		n, size int
		want    string
	}{
		{7, 3, "[[0 2] [2 4] [4 7]]"},
		{2, 4, "[[0 1] [1 2]]"},
		{0, 3, "[[0 0]]"},
	} {
		if got := fmt.Sprint(parts(tt.n, tt.size)); got != tt.want {
			t.Errorf("parts(%d, %d) = %s, want %s", tt.n, tt.size, got, tt.want)
		}
	}
}

func TestHandshakeLine(t *testing.T) {
	for line, want := range map[string]bool{
		"1|1|tcp|127.0.0.1:1234|grpc":                 true,
		"1|1|unix|/tmp/plugin123|grpc|MIIBcert":       true,
		"loading... 1|1|tcp|127.0.0.1:1234|grpc":      true,
		"1|1|tcp|127.0.0.1:1234|netrpc":               true, // passed on: go-plugin names the protocol
		"progress 100%":                               false,
		"1|1|tcp|127.0.0.1:1234|grpc|cert|true|extra": false,
	} {
		if got := handshakeLine.MatchString(line); got != want {
			t.Errorf("handshake %q: match %v, want %v", line, got, want)
		}
	}
}

// TestEncodeParallel packs a batch large enough for several goroutines,
// with signals of different lengths (one empty), and checks every signal
// against packing it alone.
func TestEncodeParallel(t *testing.T) {
	var x [][]float64
	total := 0
	for i := 0; total < 3*parallelPack; i++ {
		s := make([]float64, (i*7919)%20000)
		for j := range s {
			s[j] = float64(i*1000+j) / 3
		}
		x = append(x, s)
		total += len(s)
	}
	got := encode(x)
	if len(got) != len(x) {
		t.Fatalf("%d signals encoded, want %d", len(got), len(x))
	}
	for i, s := range x {
		want := wire.AppendFloat64(nil, s)
		if got[i].GetLength() != uint32(len(s)) || string(got[i].GetSamples()) != string(want) || cap(got[i].GetSamples()) != len(want) {
			t.Fatalf("signal %d (%d samples): length %d, %d bytes (cap %d), want %d bytes", i, len(s), got[i].GetLength(), len(got[i].GetSamples()), cap(got[i].GetSamples()), len(want))
		}
	}
}
