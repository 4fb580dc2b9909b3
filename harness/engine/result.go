package engine

import "github.com/ecgrobust/ecgrobust/harness/verdict"

// SchemaVersion identifies the layout of Result in results.json. Bump it
// on any change that a reader of an older file would misread.
const SchemaVersion = "ecgrobust.results/v1"

// Result is everything a run produced. Encoded with encoding/json it is
// results.json: the same spec and seed give byte-identical files, so
// nothing in it may depend on the clock, the worker count or the order in
// which records finish. Wall times live in Timings, which is written to
// its own file.
type Result struct {
	SchemaVersion string  `json:"schema_version"`
	Run           RunInfo `json:"run"`
	// Records holds one row per (record, attack), sorted by record ID, then
	// by the attack's position in the spec.
	Records []RecordResult `json:"records"`
	// Attacks holds one summary per attack, in spec order.
	Attacks []AttackSummary `json:"attacks"`
	// Metrics are the aggregate values criteria may name, e.g.
	// "clean_accuracy", "sap_success_rate", "sap_success_rate_ci_high".
	Metrics  map[string]float64        `json:"metrics"`
	Criteria []verdict.CriterionResult `json:"criteria"`
	Verdict  verdict.Outcome           `json:"verdict"`
	// Reason summarises why the verdict is what it is.
	Reason string `json:"reason,omitempty"`
	// Examples are full traces of a few representative records, so a
	// report can draw ECG overlays from the results alone.
	Examples []Example `json:"examples,omitempty"`

	// Timings are wall-clock figures, kept out of results.json.
	Timings *Timings `json:"-"`
}

// RunInfo identifies what was run.
type RunInfo struct {
	Spec           SpecRef    `json:"spec"`
	Model          ModelRef   `json:"model"`
	Dataset        DatasetRef `json:"dataset"`
	Seed           uint64     `json:"seed"`
	HarnessVersion string     `json:"harness_version"`
	// Shard is set for a partial run (--shard k/n).
	Shard *Shard `json:"shard,omitempty"`
}

// SpecRef identifies the spec.
type SpecRef struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// SHA256 is the hash of the spec's canonical form.
	SHA256 string `json:"sha256"`
}

// ModelRef identifies the classifier.
type ModelRef struct {
	// Kind is "plugin" or "reference".
	Kind       string   `json:"kind"`
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Classes    []string `json:"classes"`
	SampleRate float64  `json:"sample_rate_hz"`
	Gain       float64  `json:"gain_adu_per_mv"`
	// SHA256 is the hash of the plugin binary or of the weights.
	SHA256        string `json:"sha256,omitempty"`
	InputGradient bool   `json:"input_gradient"`
}

// DatasetRef identifies the data.
type DatasetRef struct {
	Source string `json:"source"`
	Split  string `json:"split,omitempty"`
	// SHA256 hashes the ordered list of record IDs with their samples.
	SHA256  string `json:"sha256"`
	Records int    `json:"records"`
}

// Shard is the k-th of n parts of a run (0-based Index).
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// RecordResult is the outcome of one attack on one record. Amplitudes of
// perturbations are in µV.
type RecordResult struct {
	Record      string    `json:"record"`
	Attack      string    `json:"attack"`
	TrueLabel   string    `json:"true_label"`
	CleanLabel  string    `json:"clean_label,omitempty"`
	CleanScores []float64 `json:"clean_scores,omitempty"`
	// Attacked is true when the record was correctly classified before the
	// attack (the paper's denominator for the success rate).
	Attacked  bool      `json:"attacked"`
	AdvLabel  string    `json:"adv_label,omitempty"`
	AdvScores []float64 `json:"adv_scores,omitempty"`
	// Success is true when the attack reached its goal (label flipped, or
	// the target label reached for a targeted attack).
	Success bool `json:"success"`
	// LinfUV and L2UV are the L∞ and L2 norms of the perturbation in µV.
	LinfUV float64 `json:"linf_uv"`
	L2UV   float64 `json:"l2_uv"`
	// SNRdB is 10·log10(signal power / perturbation power) over the valid
	// span; omitted (nil) for a zero perturbation.
	SNRdB *float64 `json:"snr_db,omitempty"`
	// HighFreqFraction is the fraction of perturbation energy above 40 Hz.
	HighFreqFraction float64 `json:"high_freq_fraction"`
	// Queries counts signals sent to the model for this record.
	Queries int64 `json:"queries"`
	// Extra holds attack-specific figures, e.g. collating fractions.
	Extra map[string]float64 `json:"extra,omitempty"`
	// Error is set when the record could not be evaluated.
	Error string `json:"error,omitempty"`
}

// AttackSummary aggregates one attack over all records.
type AttackSummary struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// EpsilonUV is the L∞ budget in µV, when the attack has one.
	EpsilonUV float64 `json:"epsilon_uv,omitempty"`
	// Gradient is the gradient source the attack used: "plugin" (the
	// model's own input gradient), "finite-difference" (black-box,
	// queries counted) or "search" (black-box random search, no
	// gradient); empty for collate and noise-stress attacks.
	Gradient string `json:"gradient,omitempty"`
	// Target is the label a targeted attack aims for; empty if untargeted.
	Target  string `json:"target,omitempty"`
	Records int    `json:"records"`
	Errored int    `json:"errored"`
	// Metrics are this attack's aggregates, unprefixed, e.g.
	// "success_rate", "success_rate_ci_low", "robust_accuracy".
	Metrics map[string]float64 `json:"metrics"`
	// PerClass maps a true label to its aggregates.
	PerClass map[string]map[string]float64 `json:"per_class,omitempty"`
	// FlipMatrix[true][adversarial] counts attacked records.
	FlipMatrix map[string]map[string]int `json:"flip_matrix,omitempty"`
	// Curves are x/y series for charts, e.g. success vs queries or
	// accuracy vs SNR.
	Curves []Curve `json:"curves,omitempty"`
}

// Curve is a named series.
type Curve struct {
	Name   string    `json:"name"`
	XLabel string    `json:"x_label"`
	YLabel string    `json:"y_label"`
	X      []float64 `json:"x"`
	Y      []float64 `json:"y"`
}

// Example is a record's clean and adversarial trace for overlays.
type Example struct {
	Record    string  `json:"record"`
	Attack    string  `json:"attack"`
	TrueLabel string  `json:"true_label"`
	AdvLabel  string  `json:"adv_label"`
	Rate      float64 `json:"sample_rate_hz"`
	Gain      float64 `json:"gain_adu_per_mv"`
	// Start is the index of the first sample shown within the record.
	Start int `json:"start"`
	// ValidStart is the index of the first recorded (not padding) sample
	// of the record, Record.Valid.Start. Sample i of the trace was
	// recorded (Start − ValidStart + i) / Rate seconds after the
	// recording began; reports use that as the time axis.
	ValidStart  int       `json:"valid_start,omitempty"`
	Clean       []float64 `json:"clean_adu"`
	Adversarial []float64 `json:"adversarial_adu"`
}

// Timings are the wall-clock figures of a run, written to timings.json.
type Timings struct {
	TotalSeconds float64 `json:"total_seconds"`
	// PerRecord maps "record/attack" to seconds.
	PerRecord map[string]float64 `json:"per_record_seconds"`
}
