package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/demo"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/conformance"
	"github.com/ecgrobust/ecgrobust/plugins/host"
	"github.com/ecgrobust/ecgrobust/reference-model/cnn"
)

// helperEnv makes the test binary serve the plugin instead of running
// tests (go-plugin's helper-process pattern), so no build step is needed.
const helperEnv = "ECGROBUST_REFERENCE_PLUGIN_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestPluginMatchesInProcess serves the reference model through the SDK
// and the host and checks Info, scores and gradients against the model in
// process, bit for bit.
func TestPluginMatchesInProcess(t *testing.T) {
	ctx := context.Background()
	p, err := host.Open(ctx, host.Config{
		Path:   os.Args[0],
		Args:   []string{"-test.run=^$"},
		Env:    []string{helperEnv + "=1"},
		Name:   "reference-cnn",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	m, err := cnn.Reference(0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Info(), m.Info(); !reflect.DeepEqual(got, want) {
		t.Errorf("plugin Info %+v, in process %+v", got, want)
	}
	recs, err := demo.Records()
	if err != nil {
		t.Fatal(err)
	}
	var sig [][]float64
	for _, r := range recs[:4] {
		sig = append(sig, ecg.Han2020(r).Signal.Samples)
	}
	// An attacked signal is not integer-valued.
	for j := range sig[3] {
		sig[3][j] += 0.37 * float64(j%7)
	}
	labels := []int{0, 1, 2, 3}
	gotS, err := p.Predict(ctx, sig)
	if err != nil {
		t.Fatal(err)
	}
	wantS, err := m.Predict(ctx, sig)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sig {
		if !slices.Equal(gotS[i], wantS[i]) {
			t.Errorf("signal %d: plugin scores %v, in process %v", i, gotS[i], wantS[i])
		}
	}
	for _, loss := range []model.Loss{model.CrossEntropy, model.LogitMargin} {
		gotG, gotS, err := p.InputGradient(ctx, sig, labels, loss)
		if err != nil {
			t.Fatal(err)
		}
		wantG, wantS, err := m.InputGradient(ctx, sig, labels, loss)
		if err != nil {
			t.Fatal(err)
		}
		for i := range sig {
			if !slices.Equal(gotS[i], wantS[i]) || !slices.Equal(gotG[i], wantG[i]) {
				t.Errorf("%v, signal %d: plugin scores or gradient differ from in process", loss, i)
			}
		}
	}
	if _, err := p.Predict(ctx, [][]float64{make([]float64, 100)}); err == nil {
		t.Error("plugin accepted a 100-sample signal")
	}
}

// TestConformance runs the battery of `ecgrobust plugin check` on the
// plugin (fewer signals and directions than the command, to stay quick).
func TestConformance(t *testing.T) {
	ctx := context.Background()
	r, err := conformance.CheckBinary(ctx, host.Config{
		Path:   os.Args[0],
		Args:   []string{"-test.run=^$"},
		Env:    []string{helperEnv + "=1"},
		Name:   "reference-cnn",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, conformance.Options{Signals: 2, Directions: 2, Repeats: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range r.Items {
		if it.Status == conformance.Fail {
			t.Errorf("%s: %s", it.Name, it.Detail)
		}
	}
}
