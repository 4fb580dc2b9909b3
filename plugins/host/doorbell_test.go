package host

import (
	"context"
	"errors"
	"math"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/plugins/internal/fixture"
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
		if !ringsDoorbell(p) {
			t.Fatalf("%s: the doorbell is not in use", bin)
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
