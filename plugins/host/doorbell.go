package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

// ring sends one Predict over q's doorbell (q.r locked, its signals in the
// region) and waits for the reply until ctx is done. Transport failures
// come back as err, shaped like the RPC's so that do treats them alike: a
// missed deadline or the caller giving up as the context's status, a
// closed or broken socket (the plugin died) as Unavailable, and the
// plugin's own failure as its status code and message. A reply that is
// not a well-formed frame for this call is bad instead (an invalid
// answer, not a transport failure), and the doorbell is not used again by
// this process: the stream may be out of step.
func (p *Plugin) ring(ctx context.Context, q request) (resp *pluginpb.PredictResponse, bad, err error) {
	r := q.r
	offsets, lengths := r.bellOffs[:0], r.bellLens[:0]
	for _, s := range q.signals {
		offsets, lengths = append(offsets, s.GetShmOffset()), append(lengths, s.GetLength())
	}
	r.bellOffs, r.bellLens = offsets, lengths
	var timeout time.Duration
	deadline, ok := ctx.Deadline()
	if ok {
		timeout = time.Until(deadline)
	}
	if err := r.bell.SetDeadline(deadline); err != nil { // zero: none
		return nil, nil, status.Errorf(codes.Unavailable, "doorbell: %v", err)
	}
	// Caller cancellation without a deadline ends the wait too. The
	// function may be running when stop fails; wait for it, so that it
	// cannot move the deadline of the next call.
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = r.bell.SetDeadline(time.Now())
		close(fired)
	})
	defer func() {
		if !stop() {
			<-fired
		}
	}()
	r.bellID++
	id := r.bellID
	r.bellOut = wire.AppendBellRequest(r.bellOut[:0], id, timeout, offsets, lengths)
	if _, err := r.bell.Write(r.bellOut); err != nil {
		return nil, nil, bellStatus(ctx, err)
	}
	body, err := wire.ReadFrame(r.bell, r.bellIn)
	if err != nil {
		if errors.Is(err, wire.ErrFrame) {
			r.doorbell = false
			return nil, fmt.Errorf("doorbell reply: %w", err), nil
		}
		return nil, nil, bellStatus(ctx, err)
	}
	r.bellIn = body
	rep, err := wire.ParseBellReply(body)
	if err == nil && rep.ID != id {
		err = fmt.Errorf("%w: reply to call %d, want %d", wire.ErrFrame, rep.ID, id)
	}
	if err != nil {
		r.doorbell = false
		return nil, fmt.Errorf("doorbell reply: %w", err), nil
	}
	if rep.Code != uint32(codes.OK) {
		return nil, nil, status.Error(codes.Code(rep.Code), rep.Message)
	}
	resp = &pluginpb.PredictResponse{Scores: make([]*pluginpb.Scores, len(rep.Scores))}
	for i, s := range rep.Scores {
		resp.Scores[i] = &pluginpb.Scores{Values: s}
	}
	return resp, nil, nil
}

// bellStatus turns a doorbell read or write error into the status the RPC
// would have failed with.
func bellStatus(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return status.FromContextError(ctx.Err()).Err()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "doorbell: no answer before the deadline")
	}
	return status.Errorf(codes.Unavailable, "doorbell: %v", err)
}

// useDoorbell allows (the default) or forbids the doorbell for later
// Predict calls; tests compare it with the RPC.
func (p *Plugin) useDoorbell(on bool) { p.noBell.Store(!on) }
