package command

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/spec"
)

func TestFit(t *testing.T) {
	rec := ecg.Record{ID: "r", Signal: ecg.Signal{Samples: []float64{1, 2, 3}, Rate: 300, Gain: 1000}}
	tests := []struct {
		pad   string
		n     int
		want  []float64
		valid ecg.Span
	}{
		{"center", 6, []float64{0, 1, 2, 3, 0, 0}, ecg.Span{Start: 1, End: 4}},
		{"left", 6, []float64{0, 0, 0, 1, 2, 3}, ecg.Span{Start: 3, End: 6}},
		{"right", 6, []float64{1, 2, 3, 0, 0, 0}, ecg.Span{Start: 0, End: 3}},
		{"left", 2, []float64{1, 2}, ecg.Span{Start: 0, End: 2}},
	}
	for _, tt := range tests {
		got := fit(rec, tt.n, tt.pad)
		if !slices.Equal(got.Signal.Samples, tt.want) || got.Valid != tt.valid {
			t.Errorf("fit(%s, %d) = %v valid %v, want %v valid %v", tt.pad, tt.n, got.Signal.Samples, got.Valid, tt.want, tt.valid)
		}
	}
	if !slices.Equal(rec.Signal.Samples, []float64{1, 2, 3}) {
		t.Errorf("fit modified its input")
	}
}

type infoOnly struct {
	model.Classifier
	info model.Info
}

func (c infoOnly) Info() model.Info { return c.info }

func TestInputSource(t *testing.T) {
	base := spec.Preprocessing{LengthSamples: 18000, Pad: "center"}
	ref := model.Info{SampleRate: 300, Gain: 1000, MinLength: 18000, MaxLength: 18000}
	recs := []ecg.Record{{ID: "a", Label: "N", Signal: ecg.Signal{Samples: make([]float64, 3000), Rate: 300, Gain: 1000}}}
	for i := range recs[0].Signal.Samples {
		recs[0].Signal.Samples[i] = 100
	}
	src := engine.Records(recs)
	tests := []struct {
		name     string
		p        spec.Preprocessing
		info     model.Info
		same     bool   // src returned unchanged
		wantErr  string // "" for none
		wantLen  int
		wantRate float64
		wantAmp  float64 // first recorded sample
	}{
		{name: "han2020 default", p: base, info: ref, same: true},
		{name: "250 Hz model at 500 adu/mV", p: base, info: model.Info{SampleRate: 250, Gain: 500},
			wantLen: 18000, wantRate: 250, wantAmp: 50},
		{name: "explicit rate mismatch", p: spec.Preprocessing{LengthSamples: 18000, Pad: "center", SampleRateHz: 360}, info: ref,
			wantErr: "sample_rate_hz is 360 Hz but the model expects 300 Hz"},
		{name: "length outside the model's", p: spec.Preprocessing{LengthSamples: 9000, Pad: "left"}, info: ref,
			wantErr: "length_samples is 9000 but the model accepts 18000 to 18000"},
		{name: "left padding", p: spec.Preprocessing{LengthSamples: 9000, Pad: "left"}, info: model.Info{SampleRate: 300, Gain: 1000},
			wantLen: 9000, wantRate: 300, wantAmp: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &spec.Spec{Preprocessing: tt.p}
			got, err := inputSource(src, s, tt.info)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.same {
				if _, ok := got.(fittedSource); ok {
					t.Errorf("default preprocessing wrapped the source")
				}
				return
			}
			r, err := got.Load(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			vs := r.ValidSpan()
			if len(r.Signal.Samples) != tt.wantLen || r.Signal.Rate != tt.wantRate || vs.Len() == 0 {
				t.Fatalf("len %d rate %v valid %v", len(r.Signal.Samples), r.Signal.Rate, vs)
			}
			if amp := r.Signal.Samples[vs.Start+vs.Len()/2]; amp < tt.wantAmp-1e-6 || amp > tt.wantAmp+1e-6 {
				t.Errorf("amplitude %v adu, want %v", amp, tt.wantAmp)
			}
			if tt.p.Pad == "left" && vs.End != tt.wantLen {
				t.Errorf("left padding: valid %v, want the recording at the end", vs)
			}
		})
	}
}

func TestRunSpecModelMismatchIsUsageError(t *testing.T) {
	dir := t.TempDir()
	specFile := dir + "/short.yaml"
	body := strings.Replace(tinySpec, "%s", "reference", 1) + "preprocessing: {length_samples: 9000}\n"
	if err := os.WriteFile(specFile, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, &Factory{OpenClassifier: openClassifier}, "run", specFile, "--out", dir, "--quiet")
	if code != ExitUsage || !strings.Contains(stderr, "spec and model disagree: preprocessing.length_samples is 9000") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
