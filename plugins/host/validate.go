package host

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

// ProbabilityTolerance is how far from 1 a probability vector's sum may be.
const ProbabilityTolerance = 1e-3

// describeError names the Describe field at fault.
func (p *Plugin) describeError(field, format string, args ...any) error {
	return &Error{Plugin: p.cfg.Name, Op: "describe", Kind: ErrDescribe,
		Err: fmt.Errorf("field %s: %s", field, fmt.Sprintf(format, args...)),
		Fix: "fix the plugin's Describe answer (sdk.Info for Go plugins)"}
}

// toInfo checks a Describe answer and converts it.
func (p *Plugin) toInfo(d *pluginpb.DescribeResponse) (model.Info, error) {
	if v := d.GetProtocolVersion(); v != wire.ProtocolVersion {
		return model.Info{}, &Error{Plugin: p.cfg.Name, Op: "describe", Kind: ErrIncompatible,
			Err: fmt.Errorf("plugin speaks protocol version %d, host %d", v, wire.ProtocolVersion),
			Fix: "rebuild the plugin against the ecgrobust SDK or proto of this release"}
	}
	info := model.Info{
		Name: d.GetName(), Version: d.GetVersion(),
		Classes:    slices.Clone(d.GetClasses()),
		SampleRate: d.GetSampleRateHz(), Gain: d.GetGainAduPerMv(),
		MinLength: int(d.GetMinLength()), MaxLength: int(d.GetMaxLength()),
		MaxBatch:      int(d.GetMaxBatch()),
		InputGradient: d.GetCapabilities().GetInputGradient(),
	}
	switch d.GetScores() {
	case pluginpb.ScoreKind_SCORE_KIND_LOGITS:
		info.Scores = model.Logits
	case pluginpb.ScoreKind_SCORE_KIND_PROBABILITIES:
		info.Scores = model.Probabilities
	default:
		return info, p.describeError("scores", "%v: declare SCORE_KIND_LOGITS or SCORE_KIND_PROBABILITIES", d.GetScores())
	}
	if err := info.Validate(); err != nil {
		var ie *model.InfoError
		if errors.As(err, &ie) {
			return info, p.describeError(ie.Field, "%s", ie.Problem)
		}
		return info, p.describeError("describe", "%v", err)
	}
	return info, nil
}

// sameInfo reports whether a and b describe the same model.
func sameInfo(a, b model.Info) bool {
	return a.Name == b.Name && a.Version == b.Version && slices.Equal(a.Classes, b.Classes) &&
		a.SampleRate == b.SampleRate && a.Gain == b.Gain && a.MinLength == b.MinLength &&
		a.MaxLength == b.MaxLength && a.MaxBatch == b.MaxBatch && a.Scores == b.Scores &&
		a.InputGradient == b.InputGradient
}

func (p *Plugin) answerError(op, format string, args ...any) error {
	return &Error{Plugin: p.cfg.Name, Op: op, Kind: ErrInvalidAnswer, Err: fmt.Errorf(format, args...),
		Fix: "fix the plugin's output; `ecgrobust plugin check` reproduces the problem"}
}

// checkScores validates and converts the score vectors of n signals;
// offset numbers signals within the caller's batch.
func (p *Plugin) checkScores(op string, got []*pluginpb.Scores, n, offset int) ([][]float64, error) {
	if len(got) != n {
		return nil, p.answerError(op, "%d score vectors for %d signals", len(got), n)
	}
	k := len(p.info.Classes)
	out := make([][]float64, n)
	for i, s := range got {
		v := s.GetValues()
		if len(v) != k {
			return nil, p.answerError(op, "signal %d: %d scores for %d classes %q", offset+i, len(v), k, p.info.Classes)
		}
		row := make([]float64, k)
		var sum float64
		for j, x := range v {
			f := float64(x)
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, p.answerError(op, "signal %d class %q: score is %v, want a finite number", offset+i, p.info.Classes[j], f)
			}
			if p.info.Scores == model.Probabilities && (f < -1e-6 || f > 1+1e-6) {
				return nil, p.answerError(op, "signal %d class %q: probability %v is outside [0, 1]", offset+i, p.info.Classes[j], f)
			}
			row[j] = f
			sum += f
		}
		if p.info.Scores == model.Probabilities && math.Abs(sum-1) > ProbabilityTolerance {
			return nil, p.answerError(op, "signal %d: probabilities sum to %.6f, want 1 ± %g (declare logits if they are not probabilities)", offset+i, sum, ProbabilityTolerance)
		}
		out[i] = row
	}
	return out, nil
}

// checkGradients validates and converts the gradients of signals.
func (p *Plugin) checkGradients(got []*pluginpb.Signal, signals [][]float64, offset int) ([][]float64, error) {
	const op = "input gradient"
	if len(got) != len(signals) {
		return nil, p.answerError(op, "%d gradients for %d signals", len(got), len(signals))
	}
	out := make([][]float64, len(got))
	for i, g := range got {
		if int(g.GetLength()) != len(signals[i]) {
			return nil, p.answerError(op, "signal %d: gradient of length %d for a signal of %d samples", offset+i, g.GetLength(), len(signals[i]))
		}
		x, err := wire.Float64(nil, g.GetSamples(), g.GetLength())
		if err != nil {
			return nil, p.answerError(op, "signal %d: %v", offset+i, err)
		}
		for j, v := range x {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, p.answerError(op, "signal %d sample %d: gradient is %v, want a finite number", offset+i, j, v)
			}
		}
		out[i] = x
	}
	return out, nil
}
