package host

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"

	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

// Sizes of the shared-memory region of one plugin instance. The request
// area first holds defaultShmBatch signals of the longest accepted length
// (or MaxBatch when set), at most maxShmInitial bytes; it grows for a
// bigger batch, up to maxShmArea bytes. Pages of a memfd cost memory only
// once written, so the unused part of a generous region is free.
const (
	defaultShmBatch = 64
	maxShmInitial   = 256 << 20
)

// maxShmArea is the largest request area, 1 GiB; a variable only so that
// tests can lower it.
var maxShmArea = 1 << 30

// shmFD is the descriptor number MapRegion names; tests change it to make
// the plugin's mapping fail.
var shmFD uint32 = wire.ShmFD

// bellFD is the doorbell descriptor number MapRegion names.
var bellFD uint32 = wire.DoorbellFD

// region is the host's side of one plugin instance's shared-memory region
// (see plugins/proto MapRegion). Its memory is only touched with mu held;
// a call holds mu from packing its request until it has copied the answer
// out, so close never unmaps memory in use. A region belongs to one
// process: after a kill the restarted process gets a new one.
type region struct {
	mu     sync.Mutex
	file   *os.File // the memfd, inherited by the plugin as wire.ShmFD
	mem    []byte   // the host's mapping; nil when unmapped
	answer int      // offset of the answer area; the request area is [ShmHeader, answer)
	usable bool     // the plugin mapped mem, and no abandoned call may still use it
	why    string   // why it stopped being usable, once it was

	// The doorbell (plugins/internal/wire doorbell.go): Predict calls
	// whose signals are in the region go over bell instead of gRPC once
	// the plugin answered MapRegion with doorbell true. A call uses it
	// only with mu held and the region usable, so an abandoned call (which
	// retires the region) also ends its use until the restart.
	bell     net.Conn // the host's end; nil without a doorbell
	bellPeer *os.File // the plugin's end, inherited as wire.DoorbellFD; closed once the process started
	doorbell bool     // the plugin serves Predict on bell
	bellID   uint64   // the last call id sent
	bellIn   []byte   // reply buffer, reused
	bellOut  []byte   // request buffer, reused
	bellOffs []uint64 // the request's signal offsets, reused
	bellLens []uint32 // and lengths
}

func newRegion(name string) (*region, error) {
	f, err := wire.NewShmFile("ecgrobust-" + name)
	if err != nil {
		return nil, err
	}
	return &region{file: f}, nil
}

// addDoorbell creates the doorbell socket pair; without it, Predict stays
// on gRPC.
func (r *region) addDoorbell() error {
	hf, pf, err := wire.NewDoorbell()
	if err != nil {
		return err
	}
	c, err := net.FileConn(hf)
	hf.Close()
	if err != nil {
		pf.Close()
		return fmt.Errorf("doorbell: %w", err)
	}
	r.bell, r.bellPeer = c, pf
	return nil
}

// close unmaps the region and closes the host's descriptor.
func (r *region) close() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.usable = false
	_ = wire.UnmapShm(r.mem)
	r.mem = nil
	if r.file != nil {
		r.file.Close()
		r.file = nil
	}
	r.doorbell = false
	if r.bell != nil {
		r.bell.Close()
		r.bellPeer.Close() // closed already once the process started
		r.bell, r.bellPeer = nil, nil
	}
}

// retire stops calls from using the region (it stays mapped until close):
// a call whose RPC was abandoned may still be running in the plugin and
// write its answer into it.
func (r *region) retire(log *slog.Logger, why string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	was := r.usable
	r.usable = false
	if was {
		r.why = "the region was retired: " + why
	}
	r.mu.Unlock()
	if was {
		log.Warn("shared-memory region retired; sending samples in the messages until the plugin restarts", "reason", why)
	}
}

// inUse reports whether calls use the region.
func (r *region) inUse() bool {
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.usable
}

// requestBytes is the room the request area needs for signals.
func requestBytes(signals [][]float64) int {
	n := 0
	for _, s := range signals {
		n += wire.ShmSlot(len(s))
	}
	return n
}

// initialRequestBytes sizes the first request area from a description.
func initialRequestBytes(d *pluginpb.DescribeResponse) int {
	batch := int(d.GetMaxBatch())
	if batch <= 0 {
		batch = defaultShmBatch
	}
	slot := wire.ShmSlot(int(d.GetMaxLength()))
	if slot > maxShmInitial/batch {
		return maxShmInitial
	}
	return max(batch*slot, wire.ShmAlign)
}

// mapRegion (re)sizes inst's region for a request area of need bytes,
// maps it here with a fresh token and asks the plugin to map it. Any
// failure leaves the region unusable. The caller holds r.mu.
func (p *Plugin) mapRegion(ctx context.Context, rpc pluginpb.ClassifierClient, r *region, need int) error {
	r.usable = false
	if need > maxShmArea {
		return fmt.Errorf("a request of %d bytes exceeds the region limit of %d", need, maxShmArea)
	}
	if r.file == nil {
		return errors.New("region closed")
	}
	size := wire.ShmHeader + 2*need
	if err := wire.GrowShm(r.file, int64(size)); err != nil {
		return err
	}
	_ = wire.UnmapShm(r.mem)
	r.mem = nil
	mem, err := wire.MapShm(int(r.file.Fd()), uint64(size))
	if err != nil {
		return err
	}
	r.mem, r.answer = mem, wire.ShmHeader+need
	token := make([]byte, wire.ShmTokenLen)
	_, _ = rand.Read(token) // never fails (crypto/rand)
	copy(mem, token)
	req := &pluginpb.MapRegionRequest{Fd: shmFD, Size: uint64(size), Token: token, AnswerOffset: uint64(r.answer)}
	if r.bell != nil {
		req.DoorbellFd = bellFD
	}
	resp, err := rpc.MapRegion(ctx, req)
	if err != nil {
		return fmt.Errorf("plugin MapRegion: %w", err)
	}
	r.usable = true
	r.doorbell = r.bell != nil && resp.GetDoorbell()
	return nil
}

// setupRegion offers r to a freshly started plugin that declared the
// capability; without it, or when the plugin fails to map it, r is closed
// and the instance sends samples in the messages. noRegion says why r is
// nil, when it is.
func (p *Plugin) setupRegion(ctx context.Context, inst *instance, r *region, noRegion string, d *pluginpb.DescribeResponse) {
	inst.shmDeclared = d.GetCapabilities().GetSharedMemory()
	if r == nil {
		inst.shmWhy = noRegion
		return
	}
	if !inst.shmDeclared {
		r.close()
		return
	}
	inst.shmOffered = true
	cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
	defer cancel()
	r.mu.Lock()
	err := p.mapRegion(cctx, inst.rpc, r, initialRequestBytes(d))
	r.mu.Unlock()
	if err != nil {
		p.log.Warn("plugin declares shared memory but could not map the region; sending samples in the messages", "error", err)
		inst.shmWhy = "mapping the region failed: " + err.Error()
		r.close()
		return
	}
	inst.shm = r
}

// request is the signals of one call, packed either into the region or
// into the message. done must be called once the answer has been copied
// out of the region.
type request struct {
	signals []*pluginpb.Signal
	r       *region // non-nil, and locked, when the signals are in the region
}

func (q request) done() {
	if q.r != nil {
		q.r.mu.Unlock()
	}
}

// pack packs signals for inst: into its region when it has a usable one
// (growing it if needed) and Plugin.UseSharedMemory allows, otherwise
// into the message. A batch above maxShmArea goes in the message and
// leaves the region in use; a failure to grow retires it until the
// plugin restarts.
func (p *Plugin) pack(ctx context.Context, inst *instance, signals [][]float64) request {
	r := inst.shm
	if r == nil || p.noShm.Load() {
		return request{signals: encode(signals)}
	}
	need := requestBytes(signals)
	if need > maxShmArea {
		// No region may hold it: this call alone sends its samples in
		// the message, and the region, untouched, serves the next ones.
		p.log.Debug("batch too big for the shared-memory region; sending its samples in the message", "bytes", need, "limit", maxShmArea)
		return request{signals: encode(signals)}
	}
	r.mu.Lock()
	if r.usable && r.answer-wire.ShmHeader < need {
		if err := p.mapRegion(ctx, inst.rpc, r, need); err != nil {
			p.log.Warn("could not grow the shared-memory region; sending samples in the messages until the plugin restarts", "bytes", need, "error", err)
			r.why = fmt.Sprintf("growing the region to %d bytes failed: %v", need, err)
		}
	}
	if !r.usable {
		r.mu.Unlock()
		return request{signals: encode(signals)}
	}
	bufs := make([][]byte, len(signals))
	out := make([]*pluginpb.Signal, len(signals))
	off := wire.ShmHeader
	for i, s := range signals {
		bufs[i] = r.mem[off : off : off+4*len(s)]
		o := uint64(off)
		out[i] = &pluginpb.Signal{Length: uint32(len(s)), ShmOffset: &o}
		off += wire.ShmSlot(len(s))
	}
	packAll(bufs, signals)
	return request{signals: out, r: r}
}

// fetch replaces the answer signals that point into the region with
// copies of their samples (then checked like any other answer). It
// returns an error when one points outside the region or also carries
// samples; offset numbers signals within the caller's batch. Only called
// with q.r locked.
func (q request) fetch(got []*pluginpb.Signal, offset int) error {
	for i, g := range got {
		if g == nil || g.ShmOffset == nil {
			continue
		}
		if q.r == nil || q.r.mem == nil {
			return fmt.Errorf("signal %d: answer at shm offset %d, but no shared-memory region is in use for this call", offset+i, *g.ShmOffset)
		}
		if len(g.GetSamples()) > 0 {
			return fmt.Errorf("signal %d: answer has both samples and a shm offset", offset+i)
		}
		b, err := wire.ShmSpan(q.r.mem, *g.ShmOffset, g.GetLength())
		if err != nil {
			return fmt.Errorf("signal %d: %w", offset+i, err)
		}
		got[i] = &pluginpb.Signal{Samples: slices.Clone(b), Length: g.GetLength()}
	}
	return nil
}

// SharedMemory reports whether calls to the running plugin process send
// their samples through shared memory rather than in the gRPC messages.
func (p *Plugin) SharedMemory() bool {
	if p.noShm.Load() {
		return false
	}
	p.mu.Lock()
	inst := p.inst
	p.mu.Unlock()
	return inst != nil && inst.shm.inUse()
}

// Transport describes how calls to a plugin process carry their samples.
type Transport struct {
	// Declared is true when the process declares the shared_memory
	// capability.
	Declared bool
	// Offered is true when the host offered it a region (called MapRegion):
	// false when it does not declare the capability, on systems without
	// shared memory, and for a plugin reattached in debug mode.
	Offered bool
	// SharedMemory is true when its calls use the region, as
	// Plugin.SharedMemory reports.
	SharedMemory bool
	// Doorbell is true when its Predict calls go over the doorbell socket
	// rather than gRPC (with SharedMemory; see plugins/proto doorbell_fd).
	Doorbell bool
	// Fallback says why a process that declares the capability sends
	// samples in the messages; empty when it uses the region or does not
	// declare it.
	Fallback string
}

// Transport reports how calls to the running plugin process carry their
// samples, and why a process that declares shared memory does not use it.
// With no process running (between a crash and the restart, or after
// Close) it is the zero Transport with a Fallback saying so.
func (p *Plugin) Transport() Transport {
	p.mu.Lock()
	inst := p.inst
	p.mu.Unlock()
	if inst == nil {
		return Transport{Fallback: "no plugin process is running"}
	}
	t := Transport{Declared: inst.shmDeclared, Offered: inst.shmOffered}
	if !t.Declared {
		return t
	}
	t.Fallback = inst.shmWhy
	if r := inst.shm; r != nil {
		r.mu.Lock()
		t.SharedMemory = r.usable
		t.Doorbell = r.usable && r.doorbell && !p.noBell.Load()
		if !r.usable {
			t.Fallback = r.why
		}
		r.mu.Unlock()
	}
	if t.SharedMemory && p.noShm.Load() {
		t.SharedMemory, t.Doorbell, t.Fallback = false, false, "forbidden by UseSharedMemory(false)"
	}
	return t
}

// UseSharedMemory allows (the default) or forbids the shared-memory path
// for later calls; forbidden, samples travel in the messages even when the
// plugin mapped a region. The conformance kit compares both paths.
func (p *Plugin) UseSharedMemory(on bool) { p.noShm.Store(!on) }
