package sdk

import (
	"context"
	"math"
	"net"
	"syscall"
	"testing"

	"google.golang.org/grpc/status"

	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

// TestDoorbell serves Predict on a doorbell in process and checks every
// answer, scores or failure (rejected input, model error, panic), against
// the Predict RPC handler with the same signals in the region.
func TestDoorbell(t *testing.T) {
	if !wire.SharedMemorySupported {
		t.Skip("no shared memory on this system")
	}
	const size = testRegionSize
	f, mem, token := testRegion(t, "sdk-doorbell-test")
	hf, pf, err := wire.NewDoorbell()
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	bell, err := syscall.Dup(int(pf.Fd())) // startDoorbell takes it over
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.FileConn(hf)
	hf.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	s, _ := newServer(meanModel{panicOn: 7})
	resp, err := s.MapRegion(context.Background(), &pluginpb.MapRegionRequest{
		Fd: uint32(f.Fd()), Size: size, Token: token, AnswerOffset: 2 * wire.ShmHeader, DoorbellFd: uint32(bell)})
	if err != nil || !resp.GetDoorbell() {
		t.Fatalf("MapRegion = %v, %v; want doorbell true", resp, err)
	}
	// The region grown: the doorbell keeps running.
	resp, err = s.MapRegion(context.Background(), &pluginpb.MapRegionRequest{
		Fd: uint32(f.Fd()), Size: size, Token: token, AnswerOffset: 2 * wire.ShmHeader, DoorbellFd: uint32(bell)})
	if err != nil || !resp.GetDoorbell() {
		t.Fatalf("second MapRegion = %v, %v; want doorbell true", resp, err)
	}

	// Signals one after another in the request area, 64 bytes apart.
	put := func(sigs ...[]float32) ([]uint64, []uint32) {
		var offs []uint64
		var lens []uint32
		off := uint64(wire.ShmHeader)
		for _, x := range sigs {
			wire.AppendFloat32(mem[off:off], x)
			offs, lens = append(offs, off), append(lens, uint32(len(x)))
			off += uint64(wire.ShmSlot(len(x)))
		}
		return offs, lens
	}
	var id uint64
	for name, sigs := range map[string][][]float32{
		"good":      {{1, 2}, {3, 4, 5}},
		"empty":     {},
		"too short": {{1}},
		"too many":  {{1, 2}, {1, 2}, {1, 2}, {1, 2}},
		"nan":       {{1, float32(math.NaN())}},
		"error":     {{99, 1}},
		"panic":     {{7, 1}},
	} {
		offs, lens := put(sigs...)
		id++
		if _, err := c.Write(wire.AppendBellRequest(nil, id, 0, offs, lens)); err != nil {
			t.Fatal(err)
		}
		body, err := wire.ReadFrame(c, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rep, err := wire.ParseBellReply(body)
		if err != nil || rep.ID != id {
			t.Fatalf("%s: reply %+v, %v; want call %d", name, rep, err, id)
		}
		in := make([]*pluginpb.Signal, len(offs))
		for i := range in {
			in[i] = &pluginpb.Signal{Length: lens[i], ShmOffset: &offs[i]}
		}
		want, werr := s.Predict(context.Background(), &pluginpb.PredictRequest{Signals: in})
		st := status.Convert(werr)
		if rep.Code != uint32(st.Code()) || rep.Message != st.Message() {
			t.Errorf("%s: doorbell answered %d %q, the RPC %v %q", name, rep.Code, rep.Message, st.Code(), st.Message())
			continue
		}
		if werr != nil {
			continue
		}
		if len(rep.Scores) != len(want.GetScores()) {
			t.Fatalf("%s: %d score vectors, RPC %d", name, len(rep.Scores), len(want.GetScores()))
		}
		for i, sc := range want.GetScores() {
			for j, v := range sc.GetValues() {
				if rep.Scores[i][j] != v {
					t.Errorf("%s: scores[%d] = %v, RPC %v", name, i, rep.Scores[i], sc.GetValues())
				}
			}
		}
	}
}
