package host

import (
	"context"
	"errors"
	"math"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ecgrobust/ecgrobust/plugins/internal/fixture"
	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

// ringsDoorbell reports whether Predict calls to p's running process go
// over the doorbell.
func ringsDoorbell(p *Plugin) bool {
	r := currentRegion(p)
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.usable && r.doorbell && r.bell != nil
}

// TestDoorbellBitIdentical compares Predict over the doorbell with the
// RPC, samples in the region and in the message.
func TestDoorbellBitIdentical(t *testing.T) {
	requireShm(t)
	for _, bin := range []string{exampleBin, faultyBin} {
		p := openT(t, Config{Path: bin})
		if !ringsDoorbell(p) || !p.Transport().Doorbell {
			t.Fatalf("%s: the doorbell is not in use (Transport %+v)", bin, p.Transport())
		}
		n := 18000
		if bin == faultyBin {
			n = 5000
		}
		x := signals(5, n, false)
		bell, err := p.Predict(context.Background(), x)
		if err != nil {
			t.Fatal(err)
		}
		p.useDoorbell(false)
		if p.Transport().Doorbell {
			t.Errorf("%s: Transport reports the doorbell after useDoorbell(false)", bin)
		}
		rpc, err := p.Predict(context.Background(), x)
		if err != nil {
			t.Fatal(err)
		}
		p.UseSharedMemory(false)
		bytes, err := p.Predict(context.Background(), x)
		if err != nil {
			t.Fatal(err)
		}
		for i := range bell {
			for c := range bell[i] {
				if math.Float64bits(bell[i][c]) != math.Float64bits(rpc[i][c]) || math.Float64bits(bell[i][c]) != math.Float64bits(bytes[i][c]) {
					t.Fatalf("%s: scores[%d] doorbell %v, RPC in the region %v, RPC with bytes %v", bin, i, bell[i], rpc[i], bytes[i])
				}
			}
		}
		if c := p.Counts(); c.PredictCalls != 3 || c.PredictSignals != 15 {
			t.Errorf("Counts = %+v, want 3 calls of 5 signals", c)
		}
	}
}

// TestDoorbellRejected: input the plugin rejects over the doorbell is
// ErrRejected, as over the RPC, with the same message.
func TestDoorbellRejected(t *testing.T) {
	requireShm(t)
	p := openT(t, Config{Path: exampleBin})
	if !ringsDoorbell(p) {
		t.Fatal("the doorbell is not in use")
	}
	for name, x := range map[string][][]float64{
		"short": {make([]float64, 10)},
		"empty": {},
		"nan":   {append(make([]float64, 17999), math.NaN())},
	} {
		_, bellErr := p.Predict(context.Background(), x)
		p.useDoorbell(false)
		_, rpcErr := p.Predict(context.Background(), x)
		p.useDoorbell(true)
		if !errors.Is(bellErr, ErrRejected) || bellErr.Error() != rpcErr.Error() {
			t.Errorf("%s: doorbell %v, RPC %v; want the same ErrRejected", name, bellErr, rpcErr)
		}
		if !ringsDoorbell(p) || p.Counts().Restarts != 0 {
			t.Fatalf("%s: a rejection must leave the process and its doorbell in use", name)
		}
	}
}

// TestDoorbellFaults: a plugin that hangs or exits during a doorbell call
// is killed and restarted like one that does during an RPC, leaving no
// process behind, and the restarted process rings its own doorbell.
func TestDoorbellFaults(t *testing.T) {
	requireShm(t)
	for _, tt := range []struct {
		mode string
		want error
		msg  string
	}{
		{fixture.Hang, ErrTimeout, "no answer within 1s"},
		{fixture.Exit, ErrCrashed, "exit status 3"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			p := openT(t, Config{Path: faultyBin, Args: []string{"-mode=" + tt.mode}, CallTimeout: time.Second})
			if !ringsDoorbell(p) {
				t.Fatal("the doorbell is not in use")
			}
			pid, old := p.PID(), currentRegion(p)
			start := time.Now()
			_, err := p.Predict(context.Background(), signals(2, 300, true))
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v, want %v containing %q", err, tt.want, tt.msg)
			}
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("error after %v", d)
			}
			if containsPID(processes(t, faultyBin), pid) {
				t.Errorf("failed plugin process %d still in the process table", pid)
			}
			if _, err := p.Predict(context.Background(), signals(2, 300, false)); err != nil {
				t.Fatalf("call after the fault: %v", err)
			}
			if p.Counts().Restarts != 1 || currentRegion(p) == old || !ringsDoorbell(p) {
				t.Errorf("after the fault: %d restarts, doorbell %v; want a restarted process on its own doorbell", p.Counts().Restarts, ringsDoorbell(p))
			}
			if !regionClosed(old) {
				t.Error("the dead process's region is still open")
			}
			p.Close()
			assertNoProcess(t, faultyBin)
		})
	}
}

// TestDoorbellAbandoned: a doorbell call the caller gives up on (by its
// deadline, or by cancelling a context without one) retires the region,
// and with it the doorbell, without killing the plugin; later calls are
// RPCs with samples in the message until a restart, which brings a new
// doorbell.
func TestDoorbellAbandoned(t *testing.T) {
	requireShm(t)
	// -work=9000 over 18,000 samples: a call that takes a while.
	p := openT(t, Config{Path: faultyBin, Args: []string{"-mode=slow", "-work=9000"}, CallTimeout: time.Minute})
	for i, cancelled := range []bool{false, true} {
		if !ringsDoorbell(p) {
			t.Fatal("the doorbell is not in use")
		}
		pid, restarts := p.PID(), p.Counts().Restarts
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		if cancelled {
			ctx, cancel = context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
		}
		_, err := p.Predict(ctx, signals(2, 18000, false))
		cancel()
		want := context.DeadlineExceeded
		if cancelled {
			want = context.Canceled
		}
		if !errors.Is(err, want) {
			t.Fatalf("err = %v, want %v", err, want)
		}
		if ringsDoorbell(p) || p.SharedMemory() {
			t.Fatal("the doorbell or region still in use after an abandoned call")
		}
		if _, err := p.Predict(context.Background(), signals(1, 100, false)); err != nil {
			t.Fatalf("call after the abandoned one: %v", err)
		}
		if p.PID() != pid || p.Counts().Restarts != restarts || ringsDoorbell(p) {
			t.Fatalf("pid %d (was %d), %d restarts, doorbell %v: an abandoned call must neither restart the plugin nor revive the doorbell",
				p.PID(), pid, p.Counts().Restarts, ringsDoorbell(p))
		}
		if i == 0 { // a restart brings a fresh region and doorbell
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			waitGone(t, pid)
			if _, err := p.Predict(context.Background(), signals(1, 100, false)); err != nil {
				t.Fatalf("call after the restart: %v", err)
			}
		}
	}
	p.Close()
	assertNoProcess(t, faultyBin)
}

// TestDoorbellRefused: a plugin that declares shared memory but does not
// answer doorbell true (here because the host names a descriptor that is
// not its socket) keeps Predict on the RPC, with samples in the region.
func TestDoorbellRefused(t *testing.T) {
	requireShm(t)
	defer func(fd uint32) { bellFD = fd }(bellFD)
	bellFD = 9 // nothing there
	p := openT(t, Config{Path: exampleBin})
	if ringsDoorbell(p) || p.Transport().Doorbell || !p.SharedMemory() {
		t.Fatalf("doorbell %v, shared memory %v: want the region without the doorbell", ringsDoorbell(p), p.SharedMemory())
	}
	if _, err := p.Predict(context.Background(), signals(2, 18000, false)); err != nil {
		t.Fatal(err)
	}
}

// TestRingReplies plays the plugin's end of a doorbell in process and
// checks how ring treats each kind of reply: the plugin's status as the
// RPC's, a malformed frame or one for another call as a bad answer that
// ends the doorbell, a closed socket as Unavailable and no answer as the
// deadline.
func TestRingReplies(t *testing.T) {
	requireShm(t)
	p := &Plugin{}
	off := uint64(wire.ShmHeader)
	q := func(r *region) request {
		return request{r: r, signals: []*pluginpb.Signal{{Length: 3, ShmOffset: &off}}}
	}
	for _, tt := range []struct {
		name  string
		reply func(id uint64) []byte // nil: close the socket
		code  codes.Code
		bad   string
	}{
		{"scores", func(id uint64) []byte { return wire.AppendBellScores(nil, id, [][]float32{{1, 2}}) }, codes.OK, ""},
		{"rejected", func(id uint64) []byte {
			return wire.AppendBellError(nil, id, uint32(codes.InvalidArgument), "too short")
		}, codes.InvalidArgument, ""},
		{"other call", func(id uint64) []byte { return wire.AppendBellScores(nil, id+1, nil) }, codes.OK, "reply to call 2, want 1"},
		{"truncated", func(id uint64) []byte { return wire.AppendBellScores(nil, id, [][]float32{{1, 2}})[:20] }, codes.DeadlineExceeded, ""},
		{"garbage", func(uint64) []byte { return []byte{3, 0, 0, 0, 1, 2, 3} }, codes.OK, "reply of 3 bytes"},
		{"huge", func(uint64) []byte { return []byte{255, 255, 255, 255} }, codes.OK, "exceeds"},
		{"closed", nil, codes.Unavailable, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &region{}
			if err := r.addDoorbell(); err != nil {
				t.Fatal(err)
			}
			defer r.close()
			r.doorbell = true
			peer, err := net.FileConn(r.bellPeer)
			if err != nil {
				t.Fatal(err)
			}
			r.bellPeer.Close() // as the runner does once the plugin started
			defer peer.Close()
			go func() {
				body, err := wire.ReadFrame(peer, nil)
				if err != nil {
					return
				}
				req, _ := wire.ParseBellRequest(body)
				if tt.reply == nil {
					peer.Close()
					return
				}
				peer.Write(tt.reply(req.ID))
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			r.mu.Lock()
			resp, bad, err := p.ring(ctx, q(r))
			still := r.doorbell
			r.mu.Unlock()
			switch {
			case tt.bad != "":
				if bad == nil || !strings.Contains(bad.Error(), tt.bad) || err != nil || still {
					t.Errorf("bad %v, err %v, doorbell still %v; want a bad answer containing %q that ends the doorbell", bad, err, still, tt.bad)
				}
			case status.Code(err) != tt.code || bad != nil:
				t.Errorf("err %v, bad %v; want code %v", err, bad, tt.code)
			case tt.code == codes.OK && (len(resp.GetScores()) != 1 || resp.GetScores()[0].GetValues()[1] != 2):
				t.Errorf("resp = %v", resp)
			}
		})
	}
}
