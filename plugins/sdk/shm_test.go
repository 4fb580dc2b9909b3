package sdk

import (
	"context"
	"os"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

// TestMapRegionToken maps a region in process: MapRegion must refuse a
// descriptor whose region does not start with the host's token (a wrong
// descriptor) and keep no mapping, and accept the right one.
func TestMapRegionToken(t *testing.T) {
	if !wire.SharedMemorySupported {
		t.Skip("no shared memory on this system")
	}
	const size = testRegionSize
	f, host, token := testRegion(t, "sdk-test")

	s, _ := newServer(meanModel{})
	req := func(tok []byte) *pluginpb.MapRegionRequest {
		return &pluginpb.MapRegionRequest{Fd: uint32(f.Fd()), Size: size, Token: tok, AnswerOffset: 2 * wire.ShmHeader}
	}
	for name, tok := range map[string][]byte{"other token": []byte("fedcba9876543210"), "short token": token[:8]} {
		_, err := s.MapRegion(context.Background(), req(tok))
		if st, _ := status.FromError(err); st.Code() != codes.FailedPrecondition || !strings.Contains(st.Message(), "token") {
			t.Errorf("%s: err = %v, want FailedPrecondition about the token", name, err)
		}
		if s.shm.mem != nil {
			t.Fatalf("%s: a refused region stays mapped", name)
		}
	}
	// A signal at an offset is refused while nothing is mapped.
	off := uint64(wire.ShmHeader)
	at := &pluginpb.Signal{Length: 2, ShmOffset: &off}
	if _, err := s.Predict(context.Background(), &pluginpb.PredictRequest{Signals: []*pluginpb.Signal{at}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("signal at an offset without a region: %v, want InvalidArgument", err)
	}

	if _, err := s.MapRegion(context.Background(), req(token)); err != nil {
		t.Fatalf("right token: %v", err)
	}
	wire.AppendFloat32(host[off:off], []float32{3, 4})
	resp, err := s.Predict(context.Background(), &pluginpb.PredictRequest{Signals: []*pluginpb.Signal{at}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetScores()[0].GetValues(); got[1] != 7 {
		t.Errorf("scores of the signal in the region = %v, want [-7 7]", got)
	}
}

// testRegionSize is the size of testRegion's region: a header, a request
// area and an answer area from 2 × wire.ShmHeader.
const testRegionSize = 3 * wire.ShmHeader

// testRegion creates and maps a region of testRegionSize bytes, as a host
// would, starting with a token; both are released when t ends.
func testRegion(t *testing.T, name string) (f *os.File, mem, token []byte) {
	t.Helper()
	f, err := wire.NewShmFile(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if err := wire.GrowShm(f, testRegionSize); err != nil {
		t.Fatal(err)
	}
	mem, err = wire.MapShm(int(f.Fd()), testRegionSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wire.UnmapShm(mem) })
	token = []byte("0123456789abcdef")
	copy(mem, token)
	return f, mem, token
}
