package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

func TestBellFrames(t *testing.T) {
	req := AppendBellRequest(nil, 7, 2*time.Second, []uint64{4096, 8192}, []uint32{3, 18000})
	body, err := ReadFrame(bytes.NewReader(req), nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := ParseBellRequest(body)
	if err != nil || q.ID != 7 || q.Timeout != 2*time.Second || q.Offsets[1] != 8192 || q.Lengths[1] != 18000 {
		t.Fatalf("request = %+v, %v", q, err)
	}
	rep := AppendBellScores(nil, 7, [][]float32{{1, 2}, {}, {3}})
	body, _ = ReadFrame(bytes.NewReader(rep), nil)
	r, err := ParseBellReply(body)
	if err != nil || r.ID != 7 || r.Code != 0 || len(r.Scores) != 3 || r.Scores[0][1] != 2 || len(r.Scores[1]) != 0 || r.Scores[2][0] != 3 {
		t.Fatalf("reply = %+v, %v", r, err)
	}
	body, _ = ReadFrame(bytes.NewReader(AppendBellError(nil, 8, 3, "too short")), nil)
	if r, err := ParseBellReply(body); err != nil || r.ID != 8 || r.Code != 3 || r.Message != "too short" {
		t.Fatalf("error reply = %+v, %v", r, err)
	}
	// Every truncation of a frame body is refused, never a panic.
	for n := range len(req) - 4 {
		if _, err := ParseBellRequest(req[4 : 4+n]); !errors.Is(err, ErrFrame) {
			t.Errorf("request truncated to %d bytes: %v, want ErrFrame", n, err)
		}
	}
	for n := range len(rep) - 4 {
		if _, err := ParseBellReply(rep[4 : 4+n]); !errors.Is(err, ErrFrame) {
			t.Errorf("reply truncated to %d bytes: %v, want ErrFrame", n, err)
		}
	}
	if _, err := ReadFrame(bytes.NewReader(req[:10]), nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated frame: %v, want io.ErrUnexpectedEOF", err)
	}
	if _, err := ReadFrame(bytes.NewReader([]byte{255, 255, 255, 255}), nil); !errors.Is(err, ErrFrame) {
		t.Errorf("huge frame: %v, want ErrFrame", err)
	}
}

func FuzzParseBellReply(f *testing.F) {
	f.Add(AppendBellScores(nil, 1, [][]float32{{1, 2}})[4:])
	f.Add(AppendBellError(nil, 1, 3, "x")[4:])
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseBellReply(b)
		_, _ = ParseBellRequest(b)
	})
}
