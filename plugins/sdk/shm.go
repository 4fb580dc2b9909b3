package sdk

import (
	"context"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

// mapping is the plugin's side of the shared-memory region the host
// offers with MapRegion (see plugins/proto). The implementation reads the
// request's signals in place (Classifier says it must neither keep nor
// modify them), and gradients are copied into its answer area after.
// A call holds mu for reading from decoding its request to answering, so
// MapRegion never unmaps memory in use.
type mapping struct {
	mu     sync.RWMutex // held for reading while mem is read or written
	mem    []byte
	answer uint64
}

// MapRegion maps the region the host names and replaces any earlier one.
func (s *server) MapRegion(_ context.Context, req *pluginpb.MapRegionRequest) (*pluginpb.MapRegionResponse, error) {
	if !wire.SharedMemorySupported {
		return nil, status.Error(codes.Unimplemented, "map region: no shared memory on this system")
	}
	if req.GetAnswerOffset() < wire.ShmHeader || req.GetAnswerOffset() > req.GetSize() {
		return nil, InvalidInput("map region: answer offset %d outside [%d, size %d]", req.GetAnswerOffset(), wire.ShmHeader, req.GetSize())
	}
	mem, err := wire.MapShmToken(int(req.GetFd()), req.GetSize(), req.GetToken())
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "map region: %v", err)
	}
	s.shm.mu.Lock() // waits for calls using the old mapping
	old := s.shm.mem
	s.shm.mem, s.shm.answer = mem, req.GetAnswerOffset()
	s.shm.mu.Unlock()
	_ = wire.UnmapShm(old)
	bell := req.GetDoorbellFd() != 0 && s.startDoorbell(req.GetDoorbellFd())
	return &pluginpb.MapRegionResponse{Doorbell: bell}, nil
}

// usesShm reports whether a request put any signal in the region.
func usesShm(in []*pluginpb.Signal) bool {
	for _, sig := range in {
		if sig.ShmOffset != nil {
			return true
		}
	}
	return false
}

// samples returns the packed bytes of a request signal: in the message,
// or in the region at its shm offset. The caller holds s.shm.mu for
// reading.
func (s *server) samples(i int, sig *pluginpb.Signal) ([]byte, error) {
	if sig.ShmOffset == nil {
		return sig.GetSamples(), nil
	}
	if len(sig.GetSamples()) > 0 {
		return nil, InvalidInput("signal %d has both samples and a shm offset", i)
	}
	if s.shm.mem == nil {
		return nil, InvalidInput("signal %d is at shm offset %d, but no region is mapped", i, *sig.ShmOffset)
	}
	b, err := wire.ShmSpan(s.shm.mem, *sig.ShmOffset, sig.GetLength())
	if err != nil {
		return nil, InvalidInput("signal %d: %v", i, err)
	}
	return b, nil
}

// answerGradients packs gradients for the answer: into the region's answer
// area when the request came through it (one after another, each slot
// aligned), otherwise, or for what does not fit, in the message. It
// writes nothing once ctx is done: the host has given up on the call and
// may be using the region for the next one. With viaShm the caller holds
// s.shm.mu for reading (decode's release not yet called).
func (s *server) answerGradients(ctx context.Context, viaShm bool, grads [][]float32) ([]*pluginpb.Signal, error) {
	out := make([]*pluginpb.Signal, len(grads))
	var off uint64
	if viaShm {
		if err := ctx.Err(); err != nil {
			return nil, status.FromContextError(err).Err()
		}
		off = s.shm.answer // read under the lock: MapRegion may replace it
	}
	for i, g := range grads {
		if viaShm && s.shm.mem != nil && off+4*uint64(len(g)) <= uint64(len(s.shm.mem)) {
			o := off
			wire.AppendFloat32(s.shm.mem[o:o:o+4*uint64(len(g))], g)
			out[i] = &pluginpb.Signal{Length: uint32(len(g)), ShmOffset: &o}
			off += uint64(wire.ShmSlot(len(g)))
			continue
		}
		out[i] = &pluginpb.Signal{Samples: wire.AppendFloat32(nil, g), Length: uint32(len(g))}
	}
	return out, nil
}
