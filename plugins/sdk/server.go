package sdk

import (
	"context"
	"log"
	"runtime/debug"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

// server adapts a Classifier to the generated gRPC service.
type server struct {
	pluginpb.UnimplementedClassifierServer
	impl Classifier
	grad Gradienter // nil without the capability
	info Info
	// sem lets one call at a time into the implementation: a call the host
	// gave up on may still run when the next one arrives.
	sem chan struct{}
	shm mapping
	// bellOn is true once Predict is served on the doorbell socket.
	bellMu sync.Mutex
	bellOn bool
}

// acquire waits for the implementation to be free, or for ctx.
func (s *server) acquire(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return status.FromContextError(ctx.Err()).Err()
	}
}

func (s *server) release() { <-s.sem }

func newServer(c Classifier) (*server, error) {
	info := c.Info()
	if err := info.Validate(); err != nil {
		return nil, err
	}
	info.Classes = append([]string(nil), info.Classes...)
	g, _ := c.(Gradienter)
	return &server{impl: c, grad: g, info: info, sem: make(chan struct{}, 1)}, nil
}

func (s *server) Describe(context.Context, *pluginpb.DescribeRequest) (*pluginpb.DescribeResponse, error) {
	kind := pluginpb.ScoreKind_SCORE_KIND_LOGITS
	if s.info.Scores == Probabilities {
		kind = pluginpb.ScoreKind_SCORE_KIND_PROBABILITIES
	}
	return &pluginpb.DescribeResponse{
		Name:            s.info.Name,
		Version:         s.info.Version,
		Classes:         s.info.Classes,
		SampleRateHz:    s.info.SampleRate,
		GainAduPerMv:    s.info.Gain,
		MinLength:       uint32(s.info.MinLength),
		MaxLength:       uint32(s.info.MaxLength),
		MaxBatch:        uint32(s.info.MaxBatch),
		Scores:          kind,
		Capabilities:    &pluginpb.Capabilities{InputGradient: s.grad != nil, SharedMemory: wire.SharedMemorySupported},
		ProtocolVersion: wire.ProtocolVersion,
	}, nil
}

// decode checks a request batch and returns its signals, which alias the
// request's samples (in the message, or in the shared-memory region) where
// their alignment allows, so a batch of megabytes is not copied again.
// The caller must call release once the implementation has returned: it
// holds the region's mapping until then. release is nil when err is not.
func (s *server) decode(in []*pluginpb.Signal) (x [][]float32, release func(), err error) {
	if len(in) == 0 {
		return nil, nil, InvalidInput("empty batch: send at least one signal")
	}
	if s.info.MaxBatch > 0 && len(in) > s.info.MaxBatch {
		return nil, nil, InvalidInput("batch of %d signals exceeds max_batch %d", len(in), s.info.MaxBatch)
	}
	release = func() {}
	if usesShm(in) {
		s.shm.mu.RLock()
		defer func() {
			if err != nil {
				s.shm.mu.RUnlock()
			}
		}()
		release = s.shm.mu.RUnlock
	}
	out := make([][]float32, len(in))
	for i, sig := range in {
		n := int(sig.GetLength())
		if n < s.info.MinLength || n > s.info.MaxLength {
			return nil, nil, InvalidInput("signal %d has %d samples, want %d to %d", i, n, s.info.MinLength, s.info.MaxLength)
		}
		b, err := s.samples(i, sig)
		if err != nil {
			return nil, nil, err
		}
		v, bad, err := wire.Float32View(b, sig.GetLength())
		if err != nil {
			return nil, nil, InvalidInput("signal %d: %v", i, err)
		}
		if bad >= 0 {
			return nil, nil, InvalidInput("signal %d sample %d is %v, want a finite number", i, bad, v[bad])
		}
		out[i] = v
	}
	return out, release, nil
}

func encodeScores(scores [][]float32) []*pluginpb.Scores {
	out := make([]*pluginpb.Scores, len(scores))
	for i, s := range scores {
		out[i] = &pluginpb.Scores{Values: s}
	}
	return out
}

func (s *server) Predict(ctx context.Context, req *pluginpb.PredictRequest) (resp *pluginpb.PredictResponse, err error) {
	x, done, err := s.decode(req.GetSignals())
	if err != nil {
		return nil, err
	}
	defer done()
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.release()
	defer recoverInto("predict", &err)
	scores, err := s.impl.Predict(ctx, x)
	if err != nil {
		return nil, toStatus("predict", err)
	}
	return &pluginpb.PredictResponse{Scores: encodeScores(scores)}, nil
}

func (s *server) InputGradient(ctx context.Context, req *pluginpb.InputGradientRequest) (resp *pluginpb.InputGradientResponse, err error) {
	if s.grad == nil {
		return nil, status.Error(codes.Unimplemented, "input gradient: this plugin does not declare the input_gradient capability")
	}
	x, done, err := s.decode(req.GetSignals())
	if err != nil {
		return nil, err
	}
	defer done()
	if len(req.GetLabels()) != len(x) {
		return nil, InvalidInput("%d labels for %d signals", len(req.GetLabels()), len(x))
	}
	labels := make([]int, len(x))
	for i, l := range req.GetLabels() {
		if int(l) >= len(s.info.Classes) {
			return nil, InvalidInput("label %d of signal %d is not a class index (%d classes)", l, i, len(s.info.Classes))
		}
		labels[i] = int(l)
	}
	var loss Loss
	switch req.GetLoss() {
	case pluginpb.Loss_LOSS_CROSS_ENTROPY:
		loss = CrossEntropy
	case pluginpb.Loss_LOSS_LOGIT_MARGIN:
		loss = LogitMargin
	default:
		return nil, InvalidInput("loss %v is not supported: use cross_entropy or logit_margin", req.GetLoss())
	}
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.release()
	defer recoverInto("input gradient", &err)
	grads, scores, err := s.grad.InputGradient(ctx, x, labels, loss)
	if err != nil {
		return nil, toStatus("input gradient", err)
	}
	packed, err := s.answerGradients(ctx, usesShm(req.GetSignals()), grads)
	if err != nil {
		return nil, err
	}
	return &pluginpb.InputGradientResponse{Scores: encodeScores(scores), Gradients: packed}, nil
}

// recoverInto turns a panic in the implementation into an Internal error,
// so one bad input does not take the plugin down. The stack goes to stderr.
func recoverInto(op string, err *error) {
	if r := recover(); r != nil {
		log.Printf("%s: plugin panicked: %v\n%s", op, r, debug.Stack())
		*err = panicError(op, r)
	}
}
