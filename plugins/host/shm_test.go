package host

import (
	"context"
	"errors"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/internal/fixture"
	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
	"github.com/ecgrobust/ecgrobust/plugins/sdk"
)

// TestSharedMemoryBitIdentical checks that the example plugin maps the
// region and that both paths give bit-identical scores and gradients.
func TestSharedMemoryBitIdentical(t *testing.T) {
	if !wire.SharedMemorySupported {
		t.Skip("no shared memory on this system")
	}
	p := openT(t, Config{Path: exampleBin})
	if !p.SharedMemory() {
		t.Fatal("the example plugin does not use shared memory")
	}
	x := signals(5, 18000, false)
	labels := []int{0, 1, 2, 3, 0}
	run := func() ([][]float64, [][]float64, [][]float64) {
		s, err := p.Predict(context.Background(), x)
		if err != nil {
			t.Fatal(err)
		}
		g, gs, err := p.InputGradient(context.Background(), x, labels, model.CrossEntropy)
		if err != nil {
			t.Fatal(err)
		}
		return s, g, gs
	}
	s1, g1, gs1 := run()
	p.UseSharedMemory(false)
	if p.SharedMemory() {
		t.Fatal("SharedMemory() after UseSharedMemory(false)")
	}
	s2, g2, gs2 := run()
	for i := range x {
		if !slices.Equal(s1[i], s2[i]) || !slices.Equal(g1[i], g2[i]) || !slices.Equal(gs1[i], gs2[i]) {
			t.Fatalf("signal %d: shared memory and message paths differ", i)
		}
	}
}

func requireShm(t *testing.T) {
	t.Helper()
	if !wire.SharedMemorySupported {
		t.Skip("no shared memory on this system")
	}
}

// answers are what both calls return for one batch.
type answers struct{ scores, grads, gscores [][]float64 }

// callBoth runs Predict and InputGradient (cross-entropy) on x.
func callBoth(t *testing.T, p *Plugin, x [][]float64, labels []int) answers {
	t.Helper()
	s, err := p.Predict(context.Background(), x)
	if err != nil {
		t.Fatalf("Predict: %v", err)
	}
	g, gs, err := p.InputGradient(context.Background(), x, labels, model.CrossEntropy)
	if err != nil {
		t.Fatalf("InputGradient: %v", err)
	}
	return answers{s, g, gs}
}

// sameAnswers fails unless a and b are bit-identical.
func sameAnswers(t *testing.T, what string, a, b answers) {
	t.Helper()
	if len(a.scores) != len(b.scores) || len(a.grads) != len(b.grads) {
		t.Fatalf("%s: %d/%d answers, want %d/%d", what, len(a.scores), len(a.grads), len(b.scores), len(b.grads))
	}
	for i := range a.scores {
		if !slices.Equal(a.scores[i], b.scores[i]) || !slices.Equal(a.grads[i], b.grads[i]) || !slices.Equal(a.gscores[i], b.gscores[i]) {
			t.Fatalf("%s: signal %d: answers differ", what, i)
		}
	}
}

// bytesAnswers are the answers of p with samples in the messages.
func bytesAnswers(t *testing.T, p *Plugin, x [][]float64, labels []int) answers {
	t.Helper()
	p.UseSharedMemory(false)
	defer p.UseSharedMemory(true)
	return callBoth(t, p, x, labels)
}

// currentRegion returns the region of p's running process (nil if none).
func currentRegion(p *Plugin) *region {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inst == nil {
		return nil
	}
	return p.inst.shm
}

// packsIntoRegion reports whether a call of x to p's running process
// would put its samples in the region: the routing decision itself, so
// a test can tell the paths apart when their answers are identical.
func packsIntoRegion(t *testing.T, p *Plugin, x [][]float64) bool {
	t.Helper()
	p.mu.Lock()
	inst := p.inst
	p.mu.Unlock()
	if inst == nil {
		t.Fatal("no running process")
	}
	q := p.pack(context.Background(), inst, x)
	defer q.done()
	inRegion := q.r != nil
	for i, s := range q.signals {
		if (s.ShmOffset != nil) != inRegion || inRegion == (len(s.GetSamples()) > 0) {
			t.Fatalf("signal %d packed with offset %v and %d bytes of samples (region: %v)", i, s.ShmOffset, len(s.GetSamples()), inRegion)
		}
	}
	return inRegion
}

// regionClosed reports whether r was closed (its process is gone).
func regionClosed(r *region) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.file == nil && r.mem == nil && !r.usable
}

// waitGone fails unless pid leaves the process table within a grace period.
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for containsPID(processes(t, faultyBin), pid) {
		if time.Now().After(deadline) {
			t.Fatalf("plugin process %d still in the process table", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSharedMemoryMapFailure points MapRegion at descriptors that are not
// the region: the plugin must refuse to map them, and the host must say so
// in the log and send samples in the messages, with the same answers.
func TestSharedMemoryMapFailure(t *testing.T) {
	requireShm(t)
	x := signals(3, 18000, false)
	labels := []int{0, 1, 3}
	ref := openT(t, Config{Path: faultyBin})
	if !ref.SharedMemory() {
		t.Fatal("the fixture does not use shared memory")
	}
	want := callBoth(t, ref, x, labels)
	ref.Close()
	for _, tt := range []struct {
		name   string
		fd     uint32
		reason string
	}{
		{"stdin", 0, "descriptor 0 is not a memory file"}, // /dev/null in the plugin
		{"closed", 1000, "fstat descriptor 1000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer func(fd uint32) { shmFD = fd }(shmFD)
			shmFD = tt.fd
			log, logs := testLogger()
			p := openT(t, Config{Path: faultyBin, Logger: log})
			if p.SharedMemory() || currentRegion(p) != nil {
				t.Fatal("SharedMemory() after the plugin failed to map the region")
			}
			if packsIntoRegion(t, p, x) {
				t.Fatal("samples packed into a region the plugin did not map")
			}
			sameAnswers(t, "after the mapping failed", callBoth(t, p, x, labels), want)
			out := logs.String()
			if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "could not map the region") || !strings.Contains(out, tt.reason) {
				t.Errorf("no warning naming the mapping failure (%q); log:\n%s", tt.reason, out)
			}
		})
	}
}

// TestSharedMemoryAfterFault hangs or crashes the plugin in a call on the
// shared-memory path: the restarted process must get a fresh region and
// use it, with the same answers, and the old process must be gone.
func TestSharedMemoryAfterFault(t *testing.T) {
	requireShm(t)
	const timeout = 2 * time.Second
	x := signals(3, 18000, false)
	labels := []int{2, 0, 1}
	for _, tt := range []struct {
		mode     string
		gradient bool
		want     error
	}{
		{fixture.Hang, false, ErrTimeout},
		{fixture.Hang, true, ErrTimeout},
		{fixture.Exit, false, ErrCrashed},
		{fixture.Exit, true, ErrCrashed},
	} {
		name := tt.mode
		if tt.gradient {
			name += "/gradient"
		}
		t.Run(name, func(t *testing.T) {
			log, logs := testLogger()
			p := openT(t, Config{Path: faultyBin, Args: []string{"-mode=" + tt.mode}, CallTimeout: timeout, Logger: log})
			old, oldPID := currentRegion(p), p.PID()
			if !p.SharedMemory() || old == nil {
				t.Fatal("the fixture does not use shared memory")
			}
			want := callBoth(t, p, x, labels)
			poison := signals(2, 18000, true)
			if !packsIntoRegion(t, p, poison) {
				t.Fatal("the poisoned call would not go through the region")
			}
			var err error
			if tt.gradient {
				_, _, err = p.InputGradient(context.Background(), poison, []int{0, 1}, model.CrossEntropy)
			} else {
				_, err = p.Predict(context.Background(), poison)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("poisoned call: %v, want %v", err, tt.want)
			}
			if !regionClosed(old) {
				t.Error("the dead process's region is still open")
			}
			waitGone(t, oldPID)

			got := callBoth(t, p, x, labels)
			r := currentRegion(p)
			switch {
			case r == nil || !p.SharedMemory():
				t.Fatalf("the restarted process does not use shared memory; log:\n%s", logs)
			case r == old:
				t.Fatal("the restarted process got the dead process's region")
			case p.PID() == oldPID || p.Counts().Restarts != 1:
				t.Fatalf("pid %d (was %d), %d restarts: want one restart", p.PID(), oldPID, p.Counts().Restarts)
			}
			if !packsIntoRegion(t, p, x) {
				t.Error("calls to the restarted process would not use its region")
			}
			sameAnswers(t, "after the restart", got, want)
			sameAnswers(t, "shared memory against the messages", got, bytesAnswers(t, p, x, labels))
			p.Close()
			assertNoProcess(t, faultyBin)
		})
	}
}

// TestSharedMemoryRetired abandons a call (the caller's deadline, so the
// plugin is not killed and may still write into the region): later calls
// must send samples in the messages, with the same answers, until the
// process restarts, which brings a fresh region back into use.
func TestSharedMemoryRetired(t *testing.T) {
	requireShm(t)
	// Slow mode runs -work FIR taps per sample from sample -work on: a long
	// signal takes a while, one shorter than the taps costs nothing.
	log, logs := testLogger()
	p := openT(t, Config{Path: faultyBin, Args: []string{"-mode=slow", "-work=9000"}, CallTimeout: time.Minute, Logger: log})
	x := signals(3, 5000, false)
	labels := []int{1, 2, 3}
	want := callBoth(t, p, x, labels)
	old, pid := currentRegion(p), p.PID()
	if !p.SharedMemory() || old == nil {
		t.Fatal("the fixture does not use shared memory")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := p.InputGradient(ctx, signals(2, 18000, false), []int{0, 0}, model.CrossEntropy); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("abandoned call: %v, want the caller's deadline", err)
	}
	if p.SharedMemory() {
		t.Fatal("SharedMemory() after an abandoned call")
	}
	if !strings.Contains(logs.String(), "shared-memory region retired") {
		t.Errorf("no warning about the retired region; log:\n%s", logs)
	}
	if packsIntoRegion(t, p, x) {
		t.Fatal("samples packed into a retired region")
	}
	sameAnswers(t, "with the region retired", callBoth(t, p, x, labels), want)
	if p.PID() != pid || p.Counts().Restarts != 0 || currentRegion(p) != old || p.SharedMemory() {
		t.Fatalf("pid %d (was %d), %d restarts, SharedMemory %v: the abandoned call must not restart the plugin nor revive the region",
			p.PID(), pid, p.Counts().Restarts, p.SharedMemory())
	}

	// A restart (here after the process died between calls) brings a new region.
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitGone(t, pid)
	got := callBoth(t, p, x, labels)
	if r := currentRegion(p); r == nil || r == old || !p.SharedMemory() || p.Counts().Restarts != 1 {
		t.Fatalf("after the restart: region %p (old %p), SharedMemory %v, %d restarts; want a fresh region in use",
			r, old, p.SharedMemory(), p.Counts().Restarts)
	}
	if !regionClosed(old) {
		t.Error("the dead process's region is still open")
	}
	if !packsIntoRegion(t, p, x) {
		t.Error("calls to the restarted process would not use its region")
	}
	sameAnswers(t, "after the restart", got, want)
	p.Close()
	assertNoProcess(t, faultyBin)
}

// TestSharedMemoryBogusOffsets has a plugin answer gradients at offsets it
// must not use: the host must fail the call with an ErrInvalidAnswer that
// names the plugin, the call and the signal, and keep working.
func TestSharedMemoryBogusOffsets(t *testing.T) {
	requireShm(t)
	log, logs := testLogger()
	p := openT(t, Config{Path: faultyBin, Args: []string{"-mode=shm-bogus"}, Logger: log})
	if !p.SharedMemory() {
		t.Fatalf("the shm-bogus fixture does not use shared memory; log:\n%s", logs)
	}
	x := signals(2, 300, false)
	// The label of a signal picks the fixture's answer (faulty/shm.go):
	// 0 correct, 1 past the region's end, 2 in its header, 3 with samples too.
	good := func(what string) {
		t.Helper()
		g, s, err := p.InputGradient(context.Background(), x, []int{0, 0}, model.CrossEntropy)
		if err != nil {
			t.Fatalf("%s: good call: %v", what, err)
		}
		wantG, wantS := fixtureGradients(t, x, []int{0, 0})
		for i := range x {
			if !slices.Equal(g[i], wantG[i]) || !slices.Equal(s[i], wantS[i]) {
				t.Fatalf("%s: signal %d: gradient or scores differ from the fixture's", what, i)
			}
		}
	}
	good("before")
	for _, tt := range []struct {
		name   string
		label  int
		noShm  bool
		signal string // the first bad signal
		reason string
	}{
		{"outside", 1, false, "signal 1:", "is outside the region"},
		{"header", 2, false, "signal 1:", "is inside the region header"},
		{"both", 3, false, "signal 1:", "both samples and a shm offset"},
		// Samples in the messages: any offset in the answer is bogus.
		{"unasked", 0, true, "signal 0:", "no shared-memory region is in use for this call"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p.UseSharedMemory(!tt.noShm)
			defer p.UseSharedMemory(true)
			g, _, err := p.InputGradient(context.Background(), x, []int{0, tt.label}, model.CrossEntropy)
			if !errors.Is(err, ErrInvalidAnswer) || g != nil {
				t.Fatalf("err = %v (%d gradients), want ErrInvalidAnswer", err, len(g))
			}
			for _, want := range []string{`plugin "faulty"`, "input gradient", tt.signal, tt.reason} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
		good("after " + tt.name)
	}
	if c := p.Counts(); c.Restarts != 0 || !p.SharedMemory() {
		t.Errorf("%d restarts, SharedMemory %v: bad answers must not restart the plugin nor retire its region", c.Restarts, p.SharedMemory())
	}
}

// fixtureGradients are the fixture's cross-entropy gradients and scores
// for x, computed in process on the float32 samples the plugin sees.
func fixtureGradients(t *testing.T, x [][]float64, labels []int) (grads, scores [][]float64) {
	t.Helper()
	x32 := make([][]float32, len(x))
	for i, s := range x {
		x32[i] = make([]float32, len(s))
		for j, v := range s {
			x32[i][j] = float32(v)
		}
	}
	g, s, err := (&fixture.Model{}).InputGradient(context.Background(), x32, labels, sdk.CrossEntropy)
	if err != nil {
		t.Fatal(err)
	}
	widen := func(in [][]float32) [][]float64 {
		out := make([][]float64, len(in))
		for i, v := range in {
			out[i] = make([]float64, len(v))
			for j, f := range v {
				out[i][j] = float64(f)
			}
		}
		return out
	}
	return widen(g), widen(s)
}

// TestSharedMemoryGrowth sends a batch bigger than the first request area
// (64 signals of the longest length): the region must grow, stay in use
// and give answers bit-identical to the messages'.
func TestSharedMemoryGrowth(t *testing.T) {
	requireShm(t)
	p := openT(t, Config{Path: faultyBin})
	r := currentRegion(p)
	if r == nil || !p.SharedMemory() {
		t.Fatal("the fixture does not use shared memory")
	}
	first := r.answer - wire.ShmHeader
	if want := initialRequestBytes(&pluginpb.DescribeResponse{MaxLength: 18000}); first != want {
		t.Fatalf("first request area %d bytes, want %d", first, want)
	}
	x := signals(defaultShmBatch+1, 18000, false)
	labels := make([]int, len(x))
	for i := range labels {
		labels[i] = i % 4
	}
	if need := requestBytes(x); need <= first {
		t.Fatalf("batch of %d bytes fits the first area of %d: not a growth test", need, first)
	}
	got := callBoth(t, p, x, labels)
	if !p.SharedMemory() || currentRegion(p) != r {
		t.Fatal("the region is no longer in use after growing")
	}
	if area := r.answer - wire.ShmHeader; area < requestBytes(x) || len(r.mem) != wire.ShmHeader+2*area {
		t.Fatalf("request area %d bytes of a %d-byte mapping, want room for %d bytes and an answer area as big", area, len(r.mem), requestBytes(x))
	}
	if !packsIntoRegion(t, p, x) {
		t.Fatal("the big batch would not go through the grown region")
	}
	sameAnswers(t, "grown region against the messages", got, bytesAnswers(t, p, x, labels))
	sameAnswers(t, "a small batch after growing", callBoth(t, p, x[:2], labels[:2]), answers{got.scores[:2], got.grads[:2], got.gscores[:2]})
}

// TestSharedMemoryLimit sends a batch bigger than the region may grow
// (maxShmArea, lowered for the test): that call sends its samples in the
// messages, with the same answers, and later batches that fit still use
// the region.
func TestSharedMemoryLimit(t *testing.T) {
	requireShm(t)
	defer func(n int) { maxShmArea = n }(maxShmArea)
	maxShmArea = 6_000_000 // above the first area (4.6 MB for 64 × 18,000 samples)
	log, logs := testLogger()
	p := openT(t, Config{Path: faultyBin, Logger: log})
	r := currentRegion(p)
	if r == nil || !p.SharedMemory() {
		t.Fatal("the fixture does not use shared memory")
	}
	size := len(r.mem)
	x := signals(100, 18000, false)
	labels := make([]int, len(x))
	if need := requestBytes(x); need <= maxShmArea {
		t.Fatalf("batch of %d bytes within the limit of %d: not a limit test", need, maxShmArea)
	}
	if packsIntoRegion(t, p, x) {
		t.Fatal("a batch above the limit packed into the region")
	}
	got := callBoth(t, p, x, labels)
	sameAnswers(t, "above the limit against the messages", got, bytesAnswers(t, p, x, labels))
	if len(r.mem) != size {
		t.Errorf("region remapped to %d bytes (was %d) for a batch above the limit", len(r.mem), size)
	}
	small := x[:3]
	if !p.SharedMemory() || !packsIntoRegion(t, p, small) {
		t.Fatalf("after a batch above the limit, a small batch does not use the region; log:\n%s", logs)
	}
	sameAnswers(t, "a small batch after the limit", callBoth(t, p, small, labels[:3]), answers{got.scores[:3], got.grads[:3], got.gscores[:3]})
}
