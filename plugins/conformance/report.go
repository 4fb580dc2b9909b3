package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ecgrobust/ecgrobust/harness/model"
)

// Status is the outcome of one check.
type Status string

// Statuses of an Item.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip" // not applicable, e.g. gradients of a black-box model
	Info Status = "info" // a measurement, never a failure
)

// Item is one check of the battery.
type Item struct {
	// Name identifies the check, e.g. "batch invariance".
	Name string `json:"name"`
	// Status is the outcome.
	Status Status `json:"status"`
	// Detail says what was measured or what went wrong.
	Detail string `json:"detail"`
	// Figure is the check's headline number (a difference, a cosine, a
	// latency in ms), when it has one.
	Figure *float64 `json:"figure,omitempty"`
}

// Latency is the measured time of one kind of call, median over repeats.
type Latency struct {
	Batch       int     `json:"batch"`
	PerCallMS   float64 `json:"per_call_ms"`
	PerSignalMS float64 `json:"per_signal_ms"`
	Repeats     int     `json:"repeats"`
	Samples     int     `json:"samples_per_signal"`
	// Transport is how the timed calls carried their samples (SharedMemory
	// or BytesInMessages); empty for an in-process classifier.
	Transport string `json:"transport,omitempty"`
}

// Report is the outcome of Check.
type Report struct {
	// Target names what was checked: a path or a model name.
	Target string `json:"target"`
	// Model is the classifier's description.
	Model model.Info `json:"model"`
	// Items are the checks in the order they ran.
	Items []Item `json:"items"`
	// Predict and Gradient are the measured latencies; Gradient is nil for
	// black-box models.
	Predict  *Latency `json:"predict_latency,omitempty"`
	Gradient *Latency `json:"gradient_latency,omitempty"`
	// PredictBytes and GradientBytes are the same calls timed with bytes
	// in the messages, for a plugin that uses shared memory (nil
	// otherwise): the gain of the shared-memory path.
	PredictBytes  *Latency `json:"predict_latency_bytes,omitempty"`
	GradientBytes *Latency `json:"gradient_latency_bytes,omitempty"`
	// Transport is how the plugin's calls carried their samples; nil for
	// an in-process classifier.
	Transport *Transport `json:"transport,omitempty"`
	// Passed is true when no item failed.
	Passed bool `json:"passed"`
}

// Failed returns the items that failed.
func (r Report) Failed() []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Status == Fail {
			out = append(out, it)
		}
	}
	return out
}

func (r *Report) add(it Item) {
	r.Items = append(r.Items, it)
	r.Passed = len(r.Failed()) == 0
}

// WriteJSON writes r as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("write conformance report: %w", err)
	}
	return nil
}

// WriteText writes r for a terminal.
func (r Report) WriteText(w io.Writer) error {
	m := r.Model
	maxBatch, grad := "no limit", "no"
	if m.MaxBatch > 0 {
		maxBatch = fmt.Sprint(m.MaxBatch)
	}
	if m.InputGradient {
		grad = "yes"
	}
	length := fmt.Sprint(m.MinLength)
	if m.MaxLength != m.MinLength {
		length = fmt.Sprintf("%d–%d", m.MinLength, m.MaxLength)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "plugin check: %s %s (%s)\n", m.Name, m.Version, r.Target)
	fmt.Fprintf(&b, "  classes %s (%v), %g Hz, %g adu/mV, length %s samples, max batch %s, input gradient %s\n",
		strings.Join(m.Classes, " "), m.Scores, m.SampleRate, m.Gain, length, maxBatch, grad)
	if t := r.Transport; t != nil {
		declared := "declares"
		if !t.Declared {
			declared = "does not declare"
		}
		bell := ""
		if t.Doorbell {
			bell = ", Predict over the doorbell"
		}
		fmt.Fprintf(&b, "  transport %s (%s capabilities.shared_memory%s)\n", t.Mode, declared, bell)
		if t.Fallback != "" {
			fmt.Fprintf(&b, "  fallback: %s\n", t.Fallback)
		}
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	counts := map[Status]int{}
	for _, it := range r.Items {
		counts[it.Status]++
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", strings.ToUpper(string(it.Status)), it.Name, it.Detail)
	}
	tw.Flush()
	verdict := "PASS"
	if !r.Passed {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "\n%s: %d passed, %d failed, %d skipped\n", verdict, counts[Pass], counts[Fail], counts[Skip])
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write conformance report: %w", err)
	}
	return nil
}
