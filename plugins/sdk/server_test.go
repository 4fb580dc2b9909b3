package sdk

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ecgrobust/ecgrobust/plugins/internal/wire"
	pluginpb "github.com/ecgrobust/ecgrobust/plugins/proto"
)

type meanModel struct{ panicOn float32 }

func (meanModel) Info() Info {
	return Info{Name: "mean", Version: "1", Classes: []string{"lo", "hi"}, SampleRate: 300, Gain: 1000,
		MinLength: 2, MaxLength: 8, MaxBatch: 3, Scores: Logits}
}

func (m meanModel) Predict(_ context.Context, x [][]float32) ([][]float32, error) {
	out := make([][]float32, len(x))
	for i, s := range x {
		var sum float32
		for _, v := range s {
			sum += v
		}
		if m.panicOn != 0 && s[0] == m.panicOn {
			panic("boom")
		}
		if s[0] == 99 {
			return nil, errors.New("model broke")
		}
		out[i] = []float32{-sum, sum}
	}
	return out, nil
}

func (m meanModel) InputGradient(_ context.Context, x [][]float32, labels []int, _ Loss) ([][]float32, [][]float32, error) {
	g := make([][]float32, len(x))
	for i, s := range x {
		g[i] = make([]float32, len(s))
		for j := range g[i] {
			g[i][j] = float32(2*labels[i] - 1)
		}
	}
	sc, _ := m.Predict(context.Background(), x)
	return g, sc, nil
}

func sig(x ...float32) *pluginpb.Signal {
	return &pluginpb.Signal{Samples: wire.AppendFloat32(nil, x), Length: uint32(len(x))}
}

func TestServerPredict(t *testing.T) {
	s, err := newServer(meanModel{panicOn: 7})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := s.Describe(context.Background(), nil)
	if !d.GetCapabilities().GetInputGradient() || d.GetMaxLength() != 8 || d.GetScores() != pluginpb.ScoreKind_SCORE_KIND_LOGITS {
		t.Errorf("Describe = %v", d)
	}
	resp, err := s.Predict(context.Background(), &pluginpb.PredictRequest{Signals: []*pluginpb.Signal{sig(1, 2), sig(3, 4, 5)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetScores()[1].GetValues(); got[1] != 12 || got[0] != -12 {
		t.Errorf("scores[1] = %v, want [-12 12]", got)
	}
	tests := []struct {
		name    string
		signals []*pluginpb.Signal
		code    codes.Code
		msg     string
	}{
		{"empty", nil, codes.InvalidArgument, "empty batch"},
		{"too long", []*pluginpb.Signal{sig(1, 2, 3, 4, 5, 6, 7, 8, 9)}, codes.InvalidArgument, "9 samples"},
		{"too short", []*pluginpb.Signal{sig(1)}, codes.InvalidArgument, "1 samples"},
		{"big batch", []*pluginpb.Signal{sig(1, 2), sig(1, 2), sig(1, 2), sig(1, 2)}, codes.InvalidArgument, "max_batch 3"},
		{"nan", []*pluginpb.Signal{sig(1, float32(math.NaN()))}, codes.InvalidArgument, "finite"},
		{"bad bytes", []*pluginpb.Signal{{Samples: []byte{1, 2, 3}, Length: 2}}, codes.InvalidArgument, "bytes"},
		{"panic", []*pluginpb.Signal{sig(7, 1)}, codes.Internal, "panicked"},
		{"error", []*pluginpb.Signal{sig(99, 1)}, codes.Internal, "model broke"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Predict(context.Background(), &pluginpb.PredictRequest{Signals: tt.signals})
			st, _ := status.FromError(err)
			if st.Code() != tt.code || !strings.Contains(st.Message(), tt.msg) {
				t.Errorf("err = %v, want code %v containing %q", err, tt.code, tt.msg)
			}
		})
	}
}

func TestServerInputGradient(t *testing.T) {
	s, _ := newServer(meanModel{})
	resp, err := s.InputGradient(context.Background(), &pluginpb.InputGradientRequest{
		Signals: []*pluginpb.Signal{sig(1, 2)}, Labels: []uint32{1}, Loss: pluginpb.Loss_LOSS_CROSS_ENTROPY})
	if err != nil {
		t.Fatal(err)
	}
	g, err := wire.Float32(nil, resp.GetGradients()[0].GetSamples(), resp.GetGradients()[0].GetLength())
	if err != nil || len(g) != 2 || g[0] != 1 {
		t.Errorf("gradient = %v, %v; want [1 1]", g, err)
	}
	for _, req := range []*pluginpb.InputGradientRequest{
		{Signals: []*pluginpb.Signal{sig(1, 2)}, Labels: []uint32{2}, Loss: pluginpb.Loss_LOSS_CROSS_ENTROPY},
		{Signals: []*pluginpb.Signal{sig(1, 2)}, Labels: []uint32{}, Loss: pluginpb.Loss_LOSS_CROSS_ENTROPY},
		{Signals: []*pluginpb.Signal{sig(1, 2)}, Labels: []uint32{0}},
	} {
		if _, err := s.InputGradient(context.Background(), req); status.Code(err) != codes.InvalidArgument {
			t.Errorf("request %v: err = %v, want InvalidArgument", req, err)
		}
	}
}

func TestInfoValidate(t *testing.T) {
	ok := meanModel{}.Info()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []func(*Info){
		func(i *Info) { i.Name = "" },
		func(i *Info) { i.Classes = []string{"x"} },
		func(i *Info) { i.Classes = []string{"x", "x"} },
		func(i *Info) { i.SampleRate = 0 },
		func(i *Info) { i.Gain = math.Inf(1) },
		func(i *Info) { i.MinLength = 9 },
		func(i *Info) { i.MaxBatch = -1 },
		func(i *Info) { i.Scores = 5 },
	}
	for k, f := range bad {
		info := ok
		f(&info)
		if err := info.Validate(); err == nil {
			t.Errorf("case %d: %+v validated", k, info)
		}
	}
}
