package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Doorbell: a Predict call without gRPC, for a plugin that answered
// MapRegion with doorbell true (see plugins/proto MapRegionRequest
// doorbell_fd). The host and the plugin exchange frames over a stream unix
// socket, one call at a time: the host writes a request frame and reads the
// reply frame. Every frame is a little-endian uint32 body length followed
// by the body; all numbers are little-endian.
//
// Request body: uint64 call id, uint64 timeout in nanoseconds (0: none),
// uint32 signal count n, then n × (uint64 shm offset, uint32 length in
// samples): the signals, as Signal.shm_offset and Signal.length of a
// PredictRequest.
//
// Reply body: uint64 call id (the request's), uint32 gRPC status code. With
// code 0 (OK) follow uint32 n, then per signal uint32 k and k float32
// scores; with any other code the rest of the body is the status message
// (UTF-8), exactly what the Predict RPC would have failed with.
const (
	// DoorbellFD is the descriptor number of the plugin's end of the
	// doorbell socket: the host passes it as the second extra file, after
	// the region (ShmFD).
	DoorbellFD = 4
	// MaxDoorbellSignals is the largest batch the host sends over the
	// doorbell; bigger batches are RPCs.
	MaxDoorbellSignals = 1 << 16
	// maxFrame bounds a frame body either side reads.
	maxFrame = 64 << 20
)

// ErrFrame is wrapped by every error about a malformed doorbell frame.
var ErrFrame = errors.New("wire: malformed doorbell frame")

// AppendBellRequest appends a request frame to dst.
func AppendBellRequest(dst []byte, id uint64, timeout time.Duration, offsets []uint64, lengths []uint32) []byte {
	n := 8 + 8 + 4 + 12*len(offsets)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	dst = binary.LittleEndian.AppendUint64(dst, id)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(max(timeout, 0)))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(offsets)))
	for i, o := range offsets {
		dst = binary.LittleEndian.AppendUint64(dst, o)
		dst = binary.LittleEndian.AppendUint32(dst, lengths[i])
	}
	return dst
}

// BellRequest is a parsed request frame.
type BellRequest struct {
	ID      uint64
	Timeout time.Duration // 0: none
	Offsets []uint64
	Lengths []uint32
}

// ParseBellRequest parses a request frame body (without its length).
func ParseBellRequest(body []byte) (BellRequest, error) {
	var q BellRequest
	if len(body) < 20 {
		return q, fmt.Errorf("%w: request of %d bytes, want at least 20", ErrFrame, len(body))
	}
	q.ID = binary.LittleEndian.Uint64(body)
	t := binary.LittleEndian.Uint64(body[8:])
	if t > math.MaxInt64 {
		t = math.MaxInt64
	}
	q.Timeout = time.Duration(t)
	n := binary.LittleEndian.Uint32(body[16:])
	if uint64(len(body)-20) != 12*uint64(n) {
		return q, fmt.Errorf("%w: request of %d bytes for %d signals", ErrFrame, len(body), n)
	}
	q.Offsets, q.Lengths = make([]uint64, n), make([]uint32, n)
	for i := range q.Offsets {
		b := body[20+12*i:]
		q.Offsets[i] = binary.LittleEndian.Uint64(b)
		q.Lengths[i] = binary.LittleEndian.Uint32(b[8:])
	}
	return q, nil
}

// AppendBellScores appends an OK reply frame with scores to dst.
func AppendBellScores(dst []byte, id uint64, scores [][]float32) []byte {
	n := 8 + 4 + 4
	for _, s := range scores {
		n += 4 + 4*len(s)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	dst = binary.LittleEndian.AppendUint64(dst, id)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(scores)))
	for _, s := range scores {
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s)))
		dst = AppendFloat32(dst, s)
	}
	return dst
}

// AppendBellError appends a failed reply frame to dst: a gRPC status code
// (not 0) and its message.
func AppendBellError(dst []byte, id uint64, code uint32, msg string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(12+len(msg)))
	dst = binary.LittleEndian.AppendUint64(dst, id)
	dst = binary.LittleEndian.AppendUint32(dst, code)
	return append(dst, msg...)
}

// BellReply is a parsed reply frame: Code 0 with Scores, or a status code
// and Message.
type BellReply struct {
	ID      uint64
	Code    uint32
	Message string
	Scores  [][]float32
}

// ParseBellReply parses a reply frame body (without its length). It
// checks only the framing; the scores are checked by the caller like any
// other answer.
func ParseBellReply(body []byte) (BellReply, error) {
	var r BellReply
	if len(body) < 12 {
		return r, fmt.Errorf("%w: reply of %d bytes, want at least 12", ErrFrame, len(body))
	}
	r.ID = binary.LittleEndian.Uint64(body)
	r.Code = binary.LittleEndian.Uint32(body[8:])
	rest := body[12:]
	if r.Code != 0 {
		r.Message = string(rest)
		return r, nil
	}
	if len(rest) < 4 {
		return r, fmt.Errorf("%w: OK reply without a score count", ErrFrame)
	}
	n := binary.LittleEndian.Uint32(rest)
	rest = rest[4:]
	if uint64(n) > uint64(len(rest))/4 {
		return r, fmt.Errorf("%w: %d score vectors in %d bytes", ErrFrame, n, len(rest))
	}
	r.Scores = make([][]float32, n)
	for i := range r.Scores {
		if len(rest) < 4 {
			return r, fmt.Errorf("%w: score vector %d truncated", ErrFrame, i)
		}
		k := binary.LittleEndian.Uint32(rest)
		rest = rest[4:]
		if uint64(k) > uint64(len(rest))/4 {
			return r, fmt.Errorf("%w: score vector %d of %d values in %d bytes", ErrFrame, i, k, len(rest))
		}
		s, err := Float32(nil, rest[:4*k], k)
		if err != nil {
			return r, fmt.Errorf("%w: score vector %d: %v", ErrFrame, i, err)
		}
		r.Scores[i] = s
		rest = rest[4*k:]
	}
	if len(rest) != 0 {
		return r, fmt.Errorf("%w: %d bytes after the scores", ErrFrame, len(rest))
	}
	return r, nil
}

// ReadFrame reads one frame from r and returns its body, reusing buf when
// it is big enough. A body above the frame limit is an ErrFrame error; an
// end of stream before a whole frame is io.EOF or io.ErrUnexpectedEOF.
func ReadFrame(r io.Reader, buf []byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint32(hdr[:])
	if n > maxFrame {
		return nil, fmt.Errorf("%w: body of %d bytes exceeds %d", ErrFrame, n, maxFrame)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return buf, nil
}
