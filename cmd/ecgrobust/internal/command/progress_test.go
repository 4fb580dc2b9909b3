package command

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestProgressLogLines(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newProgress(&buf, false, false, log, "x")
	p.now = func() time.Time { return clock }
	p.start = clock
	step := func(d time.Duration, done int) { clock = clock.Add(d); p.Update(done, 100) }
	step(20*time.Second, 10) // logged: first line, ETA 180 s
	step(5*time.Second, 20)  // throttled: under 10 s since the last line
	step(5*time.Second, 30)  // logged
	step(1*time.Second, 100) // logged: the end always is
	got := buf.String()
	want := []string{
		"level=INFO msg=progress done=10 total=100 percent=10.0 eta=3m0s",
		"level=INFO msg=progress done=30 total=100 percent=30.0 eta=1m10s",
		"level=INFO msg=progress done=100 total=100 percent=100.0",
	}
	lines := strings.Split(strings.TrimSpace(got), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), got)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d = %q, want %q", i, lines[i], want[i])
		}
	}
	q := newProgress(&buf, false, true, log, "x")
	buf.Reset()
	q.Update(1, 2)
	q.Finish()
	if buf.Len() != 0 {
		t.Errorf("quiet progress wrote %q", buf.String())
	}
}
