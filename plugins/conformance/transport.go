package conformance

import (
	"context"
	"fmt"
	"math"

	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/plugins/host"
)

// Transport modes in a report.
const (
	SharedMemory    = "shared memory"
	BytesInMessages = "bytes in messages"
)

// transportTolerance bounds the differences between the two transports:
// both carry the same float32 samples, so answers should be bit-identical.
const transportTolerance = 1e-5

// Transport is how a plugin's calls carried their samples at the start of
// the battery.
type Transport struct {
	// Mode is SharedMemory or BytesInMessages.
	Mode string `json:"mode"`
	// Declared is true when the plugin declares capabilities.shared_memory.
	Declared bool `json:"declared"`
	// Doorbell is true when Predict calls skip gRPC and go over the
	// doorbell socket the plugin accepted in MapRegion (SharedMemory only).
	Doorbell bool `json:"doorbell"`
	// Fallback says why a plugin that declares the capability got bytes in
	// the messages.
	Fallback string `json:"fallback,omitempty"`
}

// transporter is what the transport checks need of a classifier; a
// *host.Plugin has it, an in-process classifier does not.
type transporter interface {
	Transport() host.Transport
	UseSharedMemory(on bool)
}

// checkTransport reports the transport. A plugin that declares shared
// memory but fails to map the region the host offered fails: it claims a
// capability it cannot honour, and every call pays the slower path. When
// the host offered no region (no shared memory on this system, a
// reattached plugin) the plugin is not at fault and the item is Info.
func checkTransport(t host.Transport) (Transport, Item) {
	const name = "transport"
	switch {
	case t.SharedMemory:
		detail := SharedMemory + ": the plugin declares capabilities.shared_memory and mapped the region"
		if t.Doorbell {
			detail += "; Predict calls use the doorbell"
		}
		return Transport{Mode: SharedMemory, Declared: true, Doorbell: t.Doorbell},
			Item{Name: name, Status: Pass, Detail: detail}
	case !t.Declared:
		return Transport{Mode: BytesInMessages},
			Item{Name: name, Status: Info, Detail: BytesInMessages + ": the plugin does not declare capabilities.shared_memory"}
	case t.Offered:
		return Transport{Mode: BytesInMessages, Declared: true, Fallback: t.Fallback},
			Item{Name: name, Status: Fail, Detail: BytesInMessages + ": the plugin declares capabilities.shared_memory but the host fell back: " + t.Fallback +
				"; implement MapRegion or stop declaring the capability"}
	default:
		return Transport{Mode: BytesInMessages, Declared: true, Fallback: t.Fallback},
			Item{Name: name, Status: Info, Detail: BytesInMessages + ": the plugin declares capabilities.shared_memory, but " + t.Fallback}
	}
}

// relDiff returns the largest |a − b| of a signal relative to that
// signal's largest |a|.
func relDiff(a, b [][]float64) float64 {
	var d float64
	for i := range a {
		var diff, scale float64
		for j := range a[i] {
			diff = math.Max(diff, math.Abs(a[i][j]-b[i][j]))
			scale = math.Max(scale, math.Abs(a[i][j]))
		}
		switch {
		case diff == 0:
		case scale == 0:
			d = math.Inf(1)
		default:
			d = math.Max(d, diff/scale)
		}
	}
	return d
}

// withTransport runs call with shared memory allowed (shm) or forbidden,
// and allows it again after.
func withTransport(tp transporter, shm bool, call func() error) error {
	tp.UseSharedMemory(shm)
	defer tp.UseSharedMemory(true)
	return call()
}

// checkPaths compares answers through shared memory with answers in bytes:
// Predict's scores within transportTolerance, and for gradient models
// InputGradient's gradients within transportTolerance relative. It skips
// plugins that do not use shared memory.
func checkPaths(ctx context.Context, c model.Classifier, tp transporter, tr Transport, info model.Info, x [][]float64) Item {
	const name = "shared memory = bytes"
	switch {
	case !tr.Declared:
		return Item{Name: name, Status: Skip, Detail: "the plugin does not declare capabilities.shared_memory: only bytes in messages to check"}
	case tr.Mode != SharedMemory:
		return Item{Name: name, Status: Skip, Detail: "shared memory is not in use (see transport): only bytes in messages to check"}
	}
	if info.MaxBatch > 0 {
		x = x[:min(len(x), info.MaxBatch)]
	}
	var viaShm, viaBytes [][]float64
	var retired string
	err := withTransport(tp, true, func() error {
		var err error
		if viaShm, err = c.Predict(ctx, x); err == nil {
			if t := tp.Transport(); !t.SharedMemory {
				retired = t.Fallback
			}
		}
		return err
	})
	if err != nil {
		return Item{Name: name, Status: Fail, Detail: "predict through shared memory: " + err.Error()}
	}
	if retired != "" {
		return Item{Name: name, Status: Fail, Detail: "the shared-memory path stopped during the comparison: " + retired}
	}
	if err := withTransport(tp, false, func() (err error) { viaBytes, err = c.Predict(ctx, x); return err }); err != nil {
		return Item{Name: name, Status: Fail, Detail: "predict with bytes in messages: " + err.Error()}
	}
	if err := checkScores(info, viaShm, len(x)); err != nil {
		return Item{Name: name, Status: Fail, Detail: "predict through shared memory: " + err.Error()}
	}
	if err := checkScores(info, viaBytes, len(x)); err != nil {
		return Item{Name: name, Status: Fail, Detail: "predict with bytes in messages: " + err.Error()}
	}
	d := maxDiff(viaShm, viaBytes)
	detail := fmt.Sprintf("predict on %d signals: max |Δscore| = %.3g (≤ %g)", len(x), d, transportTolerance)
	st := Pass
	if d > transportTolerance {
		st = Fail
	}
	g, ok := c.(model.Gradienter)
	if !ok || !info.InputGradient {
		return Item{Name: name, Status: st, Figure: figure(d), Detail: detail}
	}
	labels := make([]int, len(x))
	for i := range labels {
		labels[i] = i % len(info.Classes)
	}
	var gShm, gBytes [][]float64
	if err := withTransport(tp, true, func() (err error) { gShm, _, err = g.InputGradient(ctx, x, labels, model.CrossEntropy); return err }); err != nil {
		return Item{Name: name, Status: Fail, Figure: figure(d), Detail: detail + "; input gradient through shared memory: " + err.Error()}
	}
	if err := withTransport(tp, false, func() (err error) { gBytes, _, err = g.InputGradient(ctx, x, labels, model.CrossEntropy); return err }); err != nil {
		return Item{Name: name, Status: Fail, Figure: figure(d), Detail: detail + "; input gradient with bytes in messages: " + err.Error()}
	}
	if len(gShm) != len(x) || len(gBytes) != len(x) {
		return Item{Name: name, Status: Fail, Figure: figure(d),
			Detail: fmt.Sprintf("%s; %d gradients through shared memory, %d in bytes, for %d signals", detail, len(gShm), len(gBytes), len(x))}
	}
	for i := range x {
		if len(gShm[i]) != len(x[i]) || len(gBytes[i]) != len(x[i]) {
			return Item{Name: name, Status: Fail, Figure: figure(d),
				Detail: fmt.Sprintf("%s; signal %d: gradients of %d (shared memory) and %d (bytes) samples for %d", detail, i, len(gShm[i]), len(gBytes[i]), len(x[i]))}
		}
	}
	rd := relDiff(gBytes, gShm)
	if rd > transportTolerance {
		st = Fail
	}
	return Item{Name: name, Status: st, Figure: figure(d),
		Detail: fmt.Sprintf("%s; input gradient cross_entropy: max relative |Δgradient| = %.3g (≤ %g)", detail, rd, transportTolerance)}
}
