package sdk

import (
	"context"
	"errors"
	"io"
	"log"
	"net"
	"os"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

// startDoorbell serves Predict on the inherited doorbell socket fd (see
// plugins/internal/wire doorbell.go) unless it already does, and reports
// whether it does. The first MapRegion that names a doorbell starts it;
// later ones (the region grown) find it running.
func (s *server) startDoorbell(fd uint32) bool {
	s.bellMu.Lock()
	defer s.bellMu.Unlock()
	if s.bellOn {
		return true
	}
	if !wire.IsSocket(int(fd)) {
		log.Printf("sdk: doorbell descriptor %d is not a socket; Predict stays on gRPC", fd)
		return false
	}
	f := os.NewFile(uintptr(fd), "doorbell")
	c, err := net.FileConn(f)
	f.Close() // FileConn made its own copy
	if err != nil {
		log.Printf("sdk: doorbell descriptor %d: %v; Predict stays on gRPC", fd, err)
		return false
	}
	s.bellOn = true
	go s.serveDoorbell(c)
	return true
}

// serveDoorbell answers request frames on c one at a time until the host
// closes it. A malformed request ends it: the host sees the socket close
// and treats the plugin as crashed.
func (s *server) serveDoorbell(c net.Conn) {
	defer c.Close()
	var in, out []byte
	for {
		body, err := wire.ReadFrame(c, in)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				log.Printf("sdk: doorbell: %v", err)
			}
			return
		}
		in = body
		q, err := wire.ParseBellRequest(body)
		if err != nil {
			log.Printf("sdk: doorbell: %v", err)
			return
		}
		out = s.ring(q, out[:0])
		if _, err := c.Write(out); err != nil {
			log.Printf("sdk: doorbell: %v", err)
			return
		}
	}
}

// ring runs one doorbell request through Predict, exactly as the RPC with
// the same signals (all in the region) and deadline, and appends the reply
// frame to dst.
func (s *server) ring(q wire.BellRequest, dst []byte) []byte {
	sigs := make([]*pluginpb.Signal, len(q.Offsets))
	for i := range sigs {
		sigs[i] = &pluginpb.Signal{Length: q.Lengths[i], ShmOffset: &q.Offsets[i]}
	}
	ctx := context.Background()
	if q.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, q.Timeout)
		defer cancel()
	}
	resp, err := s.Predict(ctx, &pluginpb.PredictRequest{Signals: sigs})
	if err != nil {
		st := status.Convert(err)
		code := st.Code()
		if code == codes.OK {
			code = codes.Unknown
		}
		return wire.AppendBellError(dst, q.ID, uint32(code), st.Message())
	}
	scores := make([][]float32, len(resp.GetScores()))
	for i, sc := range resp.GetScores() {
		scores[i] = sc.GetValues()
	}
	return wire.AppendBellScores(dst, q.ID, scores)
}
