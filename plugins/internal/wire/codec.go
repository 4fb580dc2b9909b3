package wire

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	// Registers the standard "proto" codec that Codec falls back to.
	_ "google.golang.org/grpc/encoding/proto"

	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

// Codec is gRPC's "proto" codec (same name, same bytes on the wire) with
// fewer copies of the signals, which are megabytes per batch: the
// repeated Signal field 1 of PredictRequest, InputGradientRequest and
// InputGradientResponse is marshalled by reference to the samples, not
// copied into one buffer, and unmarshalled with the samples aliasing one
// private copy of the message instead of a second copy per signal. Every
// other message, and any of these that the fast paths do not recognise
// exactly (unknown fields, an unexpected field in a Signal, malformed
// input), goes through the standard codec.
//
// Both ends install it (grpc.ForceCodecV2 on the host's connection,
// grpc.ForceServerCodecV2 in the SDK); a peer with the standard codec
// sees no difference.
type Codec struct{}

var _ encoding.CodecV2 = Codec{}

// Name implements encoding.CodecV2: the content subtype stays "proto".
func (Codec) Name() string { return "proto" }

func standard() encoding.CodecV2 { return encoding.GetCodecV2("proto") }

// inlineMax is the size up to which samples are copied into the framing
// buffer rather than referenced as a buffer of their own.
const inlineMax = 1024

// Marshal implements encoding.CodecV2.
func (Codec) Marshal(v any) (mem.BufferSlice, error) {
	var (
		signals []*pluginpb.Signal
		rest    proto.Message // the other fields, which follow field 1
	)
	switch m := v.(type) {
	case *pluginpb.PredictRequest:
		if m == nil || len(m.ProtoReflect().GetUnknown()) > 0 {
			return standard().Marshal(v)
		}
		signals = m.GetSignals()
	case *pluginpb.InputGradientRequest:
		if m == nil || len(m.ProtoReflect().GetUnknown()) > 0 {
			return standard().Marshal(v)
		}
		signals = m.GetSignals()
		rest = &pluginpb.InputGradientRequest{Labels: m.GetLabels(), Loss: m.GetLoss()}
	case *pluginpb.InputGradientResponse:
		if m == nil || len(m.ProtoReflect().GetUnknown()) > 0 {
			return standard().Marshal(v)
		}
		signals = m.GetGradients()
		rest = &pluginpb.InputGradientResponse{Scores: m.GetScores()}
	default:
		return standard().Marshal(v)
	}
	for _, s := range signals {
		// Signals in shared memory are a few bytes: the standard codec.
		if s == nil || s.ShmOffset != nil || len(s.ProtoReflect().GetUnknown()) > 0 {
			return standard().Marshal(v)
		}
	}
	var (
		out mem.BufferSlice
		hdr []byte
	)
	for _, s := range signals {
		samples, n := s.GetSamples(), s.GetLength()
		size := 0
		if len(samples) > 0 {
			size += 1 + protowire.SizeBytes(len(samples))
		}
		if n != 0 {
			size += 1 + protowire.SizeVarint(uint64(n))
		}
		hdr = protowire.AppendTag(hdr, 1, protowire.BytesType)
		hdr = protowire.AppendVarint(hdr, uint64(size))
		if len(samples) > 0 {
			hdr = protowire.AppendTag(hdr, 1, protowire.BytesType)
			hdr = protowire.AppendVarint(hdr, uint64(len(samples)))
			if len(samples) <= inlineMax {
				hdr = append(hdr, samples...)
			} else {
				out = append(out, mem.SliceBuffer(hdr), mem.SliceBuffer(samples))
				hdr = nil
			}
		}
		if n != 0 {
			hdr = protowire.AppendTag(hdr, 2, protowire.VarintType)
			hdr = protowire.AppendVarint(hdr, uint64(n))
		}
	}
	if rest != nil {
		var err error
		if hdr, err = (proto.MarshalOptions{}).MarshalAppend(hdr, rest); err != nil {
			return nil, err
		}
	}
	if len(hdr) > 0 {
		out = append(out, mem.SliceBuffer(hdr))
	}
	return out, nil
}

// Unmarshal implements encoding.CodecV2.
func (Codec) Unmarshal(data mem.BufferSlice, v any) error {
	var signals *[]*pluginpb.Signal
	switch m := v.(type) {
	case *pluginpb.PredictRequest:
		signals = &m.Signals
	case *pluginpb.InputGradientRequest:
		signals = &m.Signals
	case *pluginpb.InputGradientResponse:
		signals = &m.Gradients
	default:
		return standard().Unmarshal(data, v)
	}
	msg := v.(proto.Message)
	// One private copy that the samples alias; gRPC frees data on return.
	b := data.Materialize()
	proto.Reset(msg)
	list, rest, ok := parseSignals(b)
	if !ok {
		proto.Reset(msg)
		return proto.Unmarshal(b, msg)
	}
	if len(rest) > 0 {
		if err := (proto.UnmarshalOptions{Merge: true}).Unmarshal(rest, msg); err != nil {
			return err
		}
	}
	*signals = list
	return nil
}

// parseSignals splits b, a message whose field 1 is a repeated Signal, into
// the signals (samples aliasing b) and the bytes of the other fields. ok
// is false when anything is not exactly as expected; the caller then uses
// the standard decoder, which also reports malformed input.
func parseSignals(b []byte) (list []*pluginpb.Signal, rest []byte, ok bool) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, nil, false
		}
		if num != 1 {
			m := protowire.ConsumeFieldValue(num, typ, b[n:])
			if m < 0 {
				return nil, nil, false
			}
			rest = append(rest, b[:n+m]...)
			b = b[n+m:]
			continue
		}
		if typ != protowire.BytesType {
			return nil, nil, false
		}
		body, m := protowire.ConsumeBytes(b[n:])
		if m < 0 {
			return nil, nil, false
		}
		s, ok := parseSignal(body)
		if !ok {
			return nil, nil, false
		}
		list = append(list, s)
		b = b[n+m:]
	}
	return list, rest, true
}

// parseSignal decodes one Signal (fields 1 samples and 2 length only; one
// with shm_offset, field 3, goes to the standard decoder).
func parseSignal(b []byte) (*pluginpb.Signal, bool) {
	s := &pluginpb.Signal{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, false
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			if m < 0 {
				return nil, false
			}
			s.Samples = nil
			if len(v) > 0 {
				s.Samples = v[:len(v):len(v)]
			}
			b = b[m:]
		case num == 2 && typ == protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return nil, false
			}
			s.Length = uint32(v)
			b = b[m:]
		default:
			return nil, false
		}
	}
	return s, true
}
