package wire

import (
	"bytes"
	"strconv"
	"testing"

	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

func codecMessages() []proto.Message {
	sig := func(n int, length uint32) *pluginpb.Signal {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(i) * 0.25
		}
		return &pluginpb.Signal{Samples: AppendFloat32(nil, x), Length: length}
	}
	withUnknown := &pluginpb.PredictRequest{Signals: []*pluginpb.Signal{sig(3, 3)}}
	withUnknown.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 9, protowire.VarintType), 7))
	unknownSignal := sig(300, 300)
	unknownSignal.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 5, protowire.VarintType), 1))
	return []proto.Message{
		&pluginpb.PredictRequest{},
		&pluginpb.PredictRequest{Signals: []*pluginpb.Signal{{}}},
		&pluginpb.PredictRequest{Signals: []*pluginpb.Signal{sig(1, 1), sig(18000, 18000), sig(0, 0), sig(256, 256), sig(257, 257), sig(5, 0), sig(0, 9), sig(2000, 3)}},
		&pluginpb.InputGradientRequest{Signals: []*pluginpb.Signal{sig(18000, 18000), sig(100, 100)}, Labels: []uint32{0, 3}, Loss: pluginpb.Loss_LOSS_LOGIT_MARGIN},
		&pluginpb.InputGradientRequest{Labels: []uint32{1}},
		&pluginpb.InputGradientResponse{Gradients: []*pluginpb.Signal{sig(18000, 18000)}, Scores: []*pluginpb.Scores{{Values: []float32{1, -2, 3}}}},
		&pluginpb.PredictResponse{Scores: []*pluginpb.Scores{{Values: []float32{1, 2}}}},
		&pluginpb.DescribeResponse{Name: "x", Classes: []string{"N", "A"}},
		withUnknown,
		&pluginpb.PredictRequest{Signals: []*pluginpb.Signal{sig(2, 2), unknownSignal}},
	}
}

// TestCodecMarshalSameBytes checks that Codec puts on the wire exactly what
// the standard proto codec does.
func TestCodecMarshalSameBytes(t *testing.T) {
	for i, m := range codecMessages() {
		want, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Codec{}.Marshal(m)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if b := got.Materialize(); !bytes.Equal(b, want) {
			t.Errorf("message %d (%T): codec wrote % x…, proto.Marshal % x…", i, m, head(b), head(want))
		}
	}
}

func head(b []byte) []byte { return b[:min(len(b), 24)] }

// TestCodecUnmarshalSameMessage decodes each message split into pieces of
// various sizes and compares with proto.Unmarshal.
func TestCodecUnmarshalSameMessage(t *testing.T) {
	for i, m := range codecMessages() {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, piece := range []int{1 << 30, 16384, 1000, 7} {
			var data mem.BufferSlice
			for rest := b; len(rest) > 0; {
				k := min(piece, len(rest))
				data = append(data, mem.SliceBuffer(bytes.Clone(rest[:k])))
				rest = rest[k:]
			}
			got := m.ProtoReflect().New().Interface()
			if err := (Codec{}).Unmarshal(data, got); err != nil {
				t.Fatalf("message %d: %v", i, err)
			}
			if !proto.Equal(got, m) {
				t.Errorf("message %d (%T) in pieces of %d: decoded %v, want %v", i, m, piece, got, m)
			}
		}
	}
}

// TestCodecUnmarshalResets checks that decoding into a used message leaves
// nothing of the old content, as proto.Unmarshal does.
func TestCodecUnmarshalResets(t *testing.T) {
	m := &pluginpb.InputGradientRequest{Signals: []*pluginpb.Signal{{Length: 1, Samples: []byte{1, 2, 3, 4}}}, Labels: []uint32{2}, Loss: pluginpb.Loss_LOSS_CROSS_ENTROPY}
	b, _ := proto.Marshal(&pluginpb.InputGradientRequest{Labels: []uint32{1}})
	if err := (Codec{}).Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, m); err != nil {
		t.Fatal(err)
	}
	if len(m.GetSignals()) != 0 || len(m.GetLabels()) != 1 || m.GetLabels()[0] != 1 {
		t.Errorf("decoded into a used message: %v", m)
	}
}

// FuzzCodecUnmarshal feeds arbitrary bytes to Codec and proto.Unmarshal:
// both must fail, or both succeed with equal messages.
func FuzzCodecUnmarshal(f *testing.F) {
	for _, m := range codecMessages()[:6] {
		b, _ := proto.Marshal(m)
		if len(b) > 4096 {
			continue
		}
		f.Add(b)
	}
	f.Add([]byte{0x0a, 0x02, 0x18, 0x01})                         // a Signal with an unknown field
	f.Add([]byte{0x0a, 0x04, 0x0a, 0x05, 1, 2})                   // truncated samples
	f.Add([]byte{0x0a, 0x04, 0x10, 0x05, 0x18, 0x00})             // a Signal at shm offset 0
	f.Add([]byte{0x0a, 0x06, 0x10, 0x05, 0x18, 0x80, 0x20, 0x00}) // shm offset 4096, then a bogus byte
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, m := range []proto.Message{&pluginpb.PredictRequest{}, &pluginpb.InputGradientRequest{}, &pluginpb.InputGradientResponse{}} {
			want := m.ProtoReflect().New().Interface()
			werr := proto.Unmarshal(b, want)
			got := m.ProtoReflect().New().Interface()
			gerr := Codec{}.Unmarshal(mem.BufferSlice{mem.SliceBuffer(bytes.Clone(b))}, got)
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("%T: proto.Unmarshal error %v, codec error %v", m, werr, gerr)
			}
			if werr == nil && !proto.Equal(got, want) {
				t.Fatalf("%T: codec decoded %v, proto.Unmarshal %v", m, got, want)
			}
		}
	})
}

// TestCodecShmOffset checks that signals in shared memory (shm_offset, no
// samples) survive the codec both ways, in every message with signals,
// alone or mixed with signals in the message, and that an offset of 0 is
// kept as present, not dropped as a proto3 default.
func TestCodecShmOffset(t *testing.T) {
	off := func(o uint64) *uint64 { return &o }
	inMsg := &pluginpb.Signal{Samples: AppendFloat32(nil, make([]float32, 2000)), Length: 2000}
	for i, m := range []proto.Message{
		&pluginpb.PredictRequest{Signals: []*pluginpb.Signal{{Length: 18000, ShmOffset: off(ShmHeader)}}},
		&pluginpb.PredictRequest{Signals: []*pluginpb.Signal{{Length: 5, ShmOffset: off(0)}}},
		&pluginpb.PredictRequest{Signals: []*pluginpb.Signal{{ShmOffset: off(0)}}},
		&pluginpb.PredictRequest{Signals: []*pluginpb.Signal{inMsg, {Length: 3, ShmOffset: off(1<<64 - 1)}, inMsg}},
		&pluginpb.InputGradientRequest{Signals: []*pluginpb.Signal{{Length: 100, ShmOffset: off(ShmHeader + 64)}}, Labels: []uint32{3}, Loss: pluginpb.Loss_LOSS_CROSS_ENTROPY},
		&pluginpb.InputGradientResponse{Gradients: []*pluginpb.Signal{{Length: 100, ShmOffset: off(9000)}, inMsg}, Scores: []*pluginpb.Scores{{Values: []float32{1, 2}}}},
		// Both samples and an offset: invalid for the peer, but the codec
		// must carry both so the peer can say so.
		&pluginpb.InputGradientResponse{Gradients: []*pluginpb.Signal{{Samples: []byte{1, 2, 3, 4}, Length: 1, ShmOffset: off(ShmHeader)}}},
	} {
		want, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := Codec{}.Marshal(m)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		b := enc.Materialize()
		if !bytes.Equal(b, want) {
			t.Errorf("message %d (%T): codec wrote % x…, proto.Marshal % x…", i, m, head(b), head(want))
		}
		got := m.ProtoReflect().New().Interface()
		if err := (Codec{}).Unmarshal(mem.BufferSlice{mem.SliceBuffer(bytes.Clone(b))}, got); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if !proto.Equal(got, m) {
			t.Errorf("message %d (%T): decoded message differs from the original", i, m)
		}
		// proto.Equal already compares presence; say which offsets differ.
		if !sameOffsets(signalsOf(got), signalsOf(m)) {
			t.Errorf("message %d: shm offsets decoded as %v, want %v", i, offsets(signalsOf(got)), offsets(signalsOf(m)))
		}
	}
	// And the other way: a signal without an offset must not gain one.
	m := &pluginpb.PredictRequest{Signals: []*pluginpb.Signal{inMsg}}
	b, _ := proto.Marshal(m)
	got := &pluginpb.PredictRequest{}
	if err := (Codec{}).Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, got); err != nil {
		t.Fatal(err)
	}
	if got.GetSignals()[0].ShmOffset != nil {
		t.Errorf("signal in the message decoded with shm offset %d", *got.GetSignals()[0].ShmOffset)
	}
}

func signalsOf(m proto.Message) []*pluginpb.Signal {
	switch m := m.(type) {
	case *pluginpb.PredictRequest:
		return m.GetSignals()
	case *pluginpb.InputGradientRequest:
		return m.GetSignals()
	case *pluginpb.InputGradientResponse:
		return m.GetGradients()
	}
	return nil
}

// offsets lists the signals' shm offsets, "none" for none.
func offsets(s []*pluginpb.Signal) []string {
	out := make([]string, len(s))
	for i, g := range s {
		out[i] = "none"
		if g.ShmOffset != nil {
			out[i] = strconv.FormatUint(*g.ShmOffset, 10)
		}
	}
	return out
}

func sameOffsets(a, b []*pluginpb.Signal) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if (a[i].ShmOffset == nil) != (b[i].ShmOffset == nil) || a[i].ShmOffset != nil && *a[i].ShmOffset != *b[i].ShmOffset {
			return false
		}
	}
	return true
}
