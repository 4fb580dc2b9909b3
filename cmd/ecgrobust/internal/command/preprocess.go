package command

import (
	"context"
	"fmt"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/spec"
)

// Every source's records arrive at this rate and gain (CinC 2017 natively,
// MIT-BIH converted by the data layer).
const (
	sourceRate = 300.0  // Hz
	sourceGain = 1000.0 // adu per mV
)

// defaultPreprocessing reports whether p asks for exactly Han et al.
// 2020's preprocessing, which the data layer applies while decoding (then
// the data are opened with it; otherwise records are read as recorded and
// fitted by inputSource).
func defaultPreprocessing(p spec.Preprocessing) bool {
	return p.LengthSamples == ecg.Han2020Length && p.Pad == "center" &&
		(p.SampleRateHz == 0 || p.SampleRateHz == sourceRate) && (p.GainADUPerMV == 0 || p.GainADUPerMV == sourceGain)
}

// inputFormat is what the classifier is given: the spec's preprocessing
// with "0 means the model's" resolved against the model's Info.
type inputFormat struct {
	Rate, Gain float64
	Length     int
	Pad        string
}

// resolveInput resolves p against the model and checks that the model
// accepts the result.
func resolveInput(p spec.Preprocessing, info model.Info) (inputFormat, error) {
	in := inputFormat{Rate: p.SampleRateHz, Gain: p.GainADUPerMV, Length: p.LengthSamples, Pad: p.Pad}
	if in.Rate == 0 {
		in.Rate = info.SampleRate
	}
	if in.Gain == 0 {
		in.Gain = info.Gain
	}
	if in.Rate != info.SampleRate {
		return in, fmt.Errorf("preprocessing.sample_rate_hz is %v Hz but the model expects %v Hz", in.Rate, info.SampleRate)
	}
	if in.Gain != info.Gain {
		return in, fmt.Errorf("preprocessing.gain_adu_per_mv is %v but the model expects %v adu/mV", in.Gain, info.Gain)
	}
	if (info.MinLength > 0 && in.Length < info.MinLength) || (info.MaxLength > 0 && in.Length > info.MaxLength) {
		return in, fmt.Errorf("preprocessing.length_samples is %d but the model accepts %d to %d samples", in.Length, info.MinLength, info.MaxLength)
	}
	return in, nil
}

// inputSource returns src with every record brought to the model's input
// format: resampled, rescaled, then cut or zero-padded to the length with
// the spec's padding. When src already delivers that format (Han 2020
// records for a 300 Hz, 1000 adu/mV model) it is returned as is. With the
// default preprocessing the data layer has already cut recordings to
// their first 60 s; other preprocessing reads them whole.
func inputSource(src engine.Source, s *spec.Spec, info model.Info) (engine.Source, error) {
	in, err := resolveInput(s.Preprocessing, info)
	if err != nil {
		return nil, err
	}
	if defaultPreprocessing(s.Preprocessing) && in.Rate == sourceRate && in.Gain == sourceGain {
		return src, nil
	}
	return fittedSource{src: src, in: in}, nil
}

// fittedSource converts the records of src to in on loading.
type fittedSource struct {
	src engine.Source
	in  inputFormat
}

func (f fittedSource) Len() int                    { return f.src.Len() }
func (f fittedSource) Meta(i int) (string, string) { return f.src.Meta(i) }

func (f fittedSource) Load(ctx context.Context, i int) (ecg.Record, error) {
	r, err := f.src.Load(ctx, i)
	if err != nil {
		return r, err
	}
	vs := r.ValidSpan()
	r.Signal.Samples, r.Valid = r.Signal.Samples[vs.Start:vs.End], ecg.Span{}
	if r.Signal.Rate != f.in.Rate {
		if r.Signal, err = ecg.Resample(r.Signal, f.in.Rate); err != nil {
			return r, fmt.Errorf("record %s: resample to %v Hz: %w", r.ID, f.in.Rate, err)
		}
	}
	if r.Signal.Gain != f.in.Gain {
		if r.Signal, err = ecg.Rescale(r.Signal, f.in.Gain); err != nil {
			return r, fmt.Errorf("record %s: rescale to %v adu/mV: %w", r.ID, f.in.Gain, err)
		}
	}
	return fit(r, f.in.Length, f.in.Pad), nil
}

// fit cuts r's recording to its first n samples or zero-pads it to n:
// pad "center" as Han 2020 (floor(pad/2) zeros on the left), "left" puts
// all padding before the recording, "right" after it.
func fit(r ecg.Record, n int, pad string) ecg.Record {
	if pad == "center" {
		return ecg.Fit(r, n)
	}
	vs := r.ValidSpan()
	src := r.Signal.Samples[vs.Start:vs.End]
	m := min(len(src), n)
	start := 0
	if pad == "left" {
		start = n - m
	}
	out := make([]float64, n)
	copy(out[start:], src[:m])
	r.Signal.Samples = out
	r.Valid = ecg.Span{Start: start, End: start + m}
	return r
}
