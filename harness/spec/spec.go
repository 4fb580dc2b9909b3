package spec

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// APIVersion and Kind are the values every spec must declare.
const (
	APIVersion = "ecgrobust/v1"
	Kind       = "RobustnessSpec"
)

// Dataset sources.
const (
	SourceDemo     = "demo"     // the sample the repository ships
	SourceCinC2017 = "cinc2017" // PhysioNet/CinC 2017 training set
	SourceMITDB    = "mitdb"    // MIT-BIH Arrhythmia Database rhythm segments
)

// Attack types.
const (
	TypePGD         = "pgd"          // L∞ projected gradient descent (Han 2020 baseline)
	TypeSAP         = "sap"          // smoothed adversarial perturbation
	TypeCollate     = "collate"      // collating/perturbing another attack's adversarial examples
	TypeNoiseStress = "noise-stress" // EC57 noise (em, bw, ma) at given SNRs
)

// Gradient sources of a gradient attack.
const (
	GradientAuto             = "auto"              // the model's gradient if offered, else finite differences
	GradientPlugin           = "plugin"            // the model's gradient; an error if it has none
	GradientFiniteDifference = "finite-difference" // zeroth-order estimate from Predict only
	GradientSearch           = "search"            // no gradient: a coarse-to-fine random search (after the Square attack) in the attack's set, from Predict only
)

// Losses an attack can ascend (untargeted) or descend (targeted).
const (
	LossCrossEntropy = "cross_entropy"
	LossLogitMargin  = "logit_margin"
)

// Criterion severities.
const (
	SeverityError   = "error"   // a failing criterion fails the run
	SeverityWarning = "warning" // a failing criterion is reported but does not fail the run
)

// Actions when the gradient-fidelity check fails.
const (
	OnFailureInconclusive = "inconclusive" // gradient attacks cannot PASS
	OnFailureFallback     = "fallback"     // gradient attacks re-run with finite differences
)

// ReferenceModel is the Model.Plugin value that selects the reference CNN in
// process instead of a plugin binary.
const ReferenceModel = "reference"

// Spec is a robustness spec: what is tested and what passes. Load and Parse
// return it validated and with defaults filled in.
type Spec struct {
	APIVersion    string        `yaml:"apiVersion" json:"apiVersion"`
	Kind          string        `yaml:"kind" json:"kind"`
	Metadata      Metadata      `yaml:"metadata" json:"metadata"`
	Model         Model         `yaml:"model" json:"model"`
	Dataset       Dataset       `yaml:"dataset" json:"dataset"`
	Preprocessing Preprocessing `yaml:"preprocessing" json:"preprocessing"`
	Attacks       []Attack      `yaml:"attacks" json:"attacks"`
	// Seed is the root of every random draw of the run.
	Seed uint64 `yaml:"seed" json:"seed"`
	// GradientFidelity checks a model's gradients against finite
	// differences before gradient attacks are trusted.
	GradientFidelity GradientFidelity `yaml:"gradient_fidelity" json:"gradient_fidelity"`
	Limits           Limits           `yaml:"limits" json:"limits"`
	Criteria         []Criterion      `yaml:"criteria" json:"criteria"`
	Outputs          Outputs          `yaml:"outputs" json:"outputs"`

	// File is where the spec was read from ("" for bytes given to Parse
	// without a name); it is not part of the spec's identity.
	File string `yaml:"-" json:"-"`
	// SHA256 is the hex SHA-256 of the canonical form, set by Load and
	// Parse; it is not part of the canonical form itself.
	SHA256 string `yaml:"-" json:"-"`
	// node is the parsed document, for positions in error messages.
	node *yaml.Node
}

// Metadata names and describes a spec.
type Metadata struct {
	// Name is a lowercase slug, e.g. "ci-gate-quick".
	Name string `yaml:"name" json:"name"`
	// Version is MAJOR.MINOR.PATCH; bump it on any change of substance.
	Version string `yaml:"version" json:"version"`
	// Description says what the spec tests and why its thresholds are what
	// they are.
	Description string `yaml:"description" json:"description"`
	// References are citations or URLs.
	References []string `yaml:"references,omitempty" json:"references,omitempty"`
}

// Model says which classifier is tested.
type Model struct {
	// Plugin is the path of the plugin binary, or "reference" for the
	// reference CNN in process. A relative path is resolved against the
	// spec file's directory, then the ecgrobust executable's directory.
	Plugin string `yaml:"plugin" json:"plugin"`
	// SHA256 optionally pins the plugin binary (hex); a mismatch refuses
	// to start it.
	SHA256 string `yaml:"sha256,omitempty" json:"sha256,omitempty"`
	// Args are passed to the plugin binary.
	Args []string `yaml:"args,omitempty" json:"args,omitempty"`
	// Timeout bounds one call to the model (default 60s).
	Timeout Duration `yaml:"timeout" json:"timeout"`
	// Instances is the number of model instances run in parallel
	// (default 1; --workers overrides it). Results do not depend on it,
	// so it is not part of the spec's identity (see Canonical).
	Instances int `yaml:"instances" json:"instances"`
	// Retries is how often a crashed or hung plugin is restarted before
	// the records it was working on are marked errored (default 2).
	Retries int `yaml:"retries" json:"retries"`
}

// IsReference reports whether the spec selects the in-process reference CNN.
func (m Model) IsReference() bool { return m.Plugin == ReferenceModel }

// Dataset says which records are attacked.
type Dataset struct {
	// Source is demo, cinc2017 or mitdb.
	Source string `yaml:"source" json:"source"`
	// Path overrides where the source is read from; by default the
	// --data directory (or the embedded sample for demo).
	Path string `yaml:"path,omitempty" json:"path,omitempty"`
	// Split selects records: for cinc2017 "han2020-test" (default),
	// "han2020-train" or "all"; for demo and mitdb "all".
	Split string `yaml:"split" json:"split"`
	// Classes restricts the records to these labels (default: the
	// source's labels, N A O ~ for cinc2017 and demo).
	Classes []string `yaml:"classes" json:"classes"`
	// PerClass draws this many records per class with Seed (stratified);
	// 0 keeps every record.
	PerClass int `yaml:"per_class" json:"per_class"`
	// Seed drives the per-class draw; it defaults to the spec's seed.
	Seed *uint64 `yaml:"seed" json:"seed"`
}

// Preprocessing turns a record into the classifier's input.
type Preprocessing struct {
	// LengthSamples cuts or zero-pads every record to this many samples
	// (default 18000, 60 s at 300 Hz, as Han 2020).
	LengthSamples int `yaml:"length_samples" json:"length_samples"`
	// Pad is where padding goes: center (default, floor(pad/2) zeros on
	// the left), left or right.
	Pad string `yaml:"pad" json:"pad"`
	// SampleRateHz resamples records to this rate; 0 means the model's.
	SampleRateHz float64 `yaml:"sample_rate_hz" json:"sample_rate_hz"`
	// GainADUPerMV rescales amplitudes to this gain; 0 means the model's.
	GainADUPerMV float64 `yaml:"gain_adu_per_mv" json:"gain_adu_per_mv"`
}

// Attack is one attack of the run. Which fields apply depends on Type;
// Validate rejects a field that does not apply.
type Attack struct {
	// ID names the attack in metrics ("<id>_success_rate"): lowercase
	// letters, digits and underscores, starting with a letter.
	ID          string `yaml:"id" json:"id"`
	Type        string `yaml:"type" json:"type"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`

	// EpsilonUV is the L∞ budget in µV (pgd, sap; default 10).
	EpsilonUV float64 `yaml:"epsilon_uv,omitempty" json:"epsilon_uv,omitempty"`
	// StepUV is the step size in µV (pgd, sap; default 1).
	StepUV float64 `yaml:"step_uv,omitempty" json:"step_uv,omitempty"`
	// Steps is the number of iterations (pgd default 20; sap default 40,
	// after PGDSteps of PGD).
	Steps int `yaml:"steps,omitempty" json:"steps,omitempty"`
	// PGDSteps is the number of PGD steps that initialise SAP (default 20).
	PGDSteps int `yaml:"pgd_steps,omitempty" json:"pgd_steps,omitempty"`
	// RandomStart starts PGD from a seeded uniform point in the ε-ball.
	RandomStart bool `yaml:"random_start,omitempty" json:"random_start,omitempty"`
	// EarlyStop stops a record's attack once it succeeds.
	EarlyStop bool `yaml:"early_stop,omitempty" json:"early_stop,omitempty"`
	// KernelSizes and KernelSigmas define SAP's smoothing: the average of
	// the Gaussian kernels of every size × σ pair, in samples at 300 Hz
	// (defaults {5,7,11,15,19} × {1,3,5,7,10}).
	KernelSizes  []int     `yaml:"kernel_sizes,omitempty" json:"kernel_sizes,omitempty"`
	KernelSigmas []float64 `yaml:"kernel_sigmas,omitempty" json:"kernel_sigmas,omitempty"`
	// Classes restricts the attack to records of these true labels
	// (pgd, sap; default every class), e.g. [A] for an A → N attack.
	Classes []string `yaml:"classes,omitempty" json:"classes,omitempty"`
	// Target makes the attack targeted: the label to reach (e.g. "N").
	Target string `yaml:"target,omitempty" json:"target,omitempty"`
	// Loss is cross_entropy (default) or logit_margin.
	Loss string `yaml:"loss,omitempty" json:"loss,omitempty"`
	// Gradient is auto (default), plugin, finite-difference or search
	// (no gradient: a random search from Predict only; step_uv, steps,
	// pgd_steps, random_start and fd_* do not apply).
	Gradient string `yaml:"gradient,omitempty" json:"gradient,omitempty"`
	// QueryBudget caps the signals sent to the model per record; 0 means
	// no cap. With gradient search it is the search's length (default
	// 5000, at least 1).
	QueryBudget int `yaml:"query_budget,omitempty" json:"query_budget,omitempty"`
	// FDDirections is the number of antithetic direction pairs per
	// finite-difference gradient estimate (default 50).
	FDDirections int `yaml:"fd_directions,omitempty" json:"fd_directions,omitempty"`
	// FDSigmaUV is the finite-difference probe size in µV (default 1).
	FDSigmaUV float64 `yaml:"fd_sigma_uv,omitempty" json:"fd_sigma_uv,omitempty"`

	// Of is the ID of the pgd or sap attack whose adversarial examples a
	// collate attack perturbs; it must come earlier in the list.
	Of string `yaml:"of,omitempty" json:"of,omitempty"`
	// Trials is the number of Gaussian resampling trials (collate,
	// default 1000).
	Trials int `yaml:"trials,omitempty" json:"trials,omitempty"`
	// NoiseSigmaUV is the σ of the resampling noise in µV (collate,
	// default 5).
	NoiseSigmaUV float64 `yaml:"noise_sigma_uv,omitempty" json:"noise_sigma_uv,omitempty"`
	// UniformSamples is the number of uniform-band samples (collate,
	// default 100): each draws every sample uniformly between the least
	// and greatest adversarial example, smooths it with S and projects it
	// back onto that band (the paper's construction).
	UniformSamples int `yaml:"uniform_samples,omitempty" json:"uniform_samples,omitempty"`

	// Noise lists the NSTDB noise types (noise-stress: em, bw, ma;
	// default all three).
	Noise []string `yaml:"noise,omitempty" json:"noise,omitempty"`
	// SNRdB lists the signal-to-noise ratios in dB (noise-stress; default
	// the EC57 set 24, 18, 12, 6, 0, −6).
	SNRdB []float64 `yaml:"snr_db,omitempty" json:"snr_db,omitempty"`
}

// Targeted reports whether the attack aims at a target label.
func (a Attack) Targeted() bool { return a.Target != "" }

// GradientFidelity compares a model's own input gradients with a
// finite-difference estimate on a few records.
type GradientFidelity struct {
	// Records is the number of records checked; 0 turns the check off.
	Records int `yaml:"records" json:"records"`
	// MinCosine is the least acceptable cosine similarity between the two
	// gradients in SAP's smoothed subspace (default 0.9).
	MinCosine float64 `yaml:"min_cosine" json:"min_cosine"`
	// OnFailure is inconclusive (default) or fallback.
	OnFailure string `yaml:"on_failure" json:"on_failure"`
}

// Limits make a run INCONCLUSIVE rather than PASS when its evidence is weak.
type Limits struct {
	// MaxErroredFraction is the largest fraction of errored records an
	// attack may have (default 0.05).
	MaxErroredFraction float64 `yaml:"max_errored_fraction" json:"max_errored_fraction"`
	// MaxCIWidth is the widest Wilson 95 % interval a success rate may
	// have for a criterion to read its point estimate; 0 means no limit.
	// Criteria on the interval's bounds are not affected.
	MaxCIWidth float64 `yaml:"max_ci_width" json:"max_ci_width"`
	// MinAttacked is the least number of correctly classified (attacked)
	// records per attack; 0 means no limit.
	MinAttacked int `yaml:"min_attacked" json:"min_attacked"`
}

// Criterion is one acceptance criterion.
type Criterion struct {
	ID          string `yaml:"id" json:"id"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Expr is a govaluate expression over the run's metrics, e.g.
	// "sap_success_rate <= 0.05".
	Expr string `yaml:"expr" json:"expr"`
	// Severity is error (default) or warning.
	Severity string `yaml:"severity" json:"severity"`
}

// Outputs tunes what a run writes. Every run writes the whole evidence
// bundle (results.json, timings.json, report.html, junit.xml, summary.md,
// manifest.json): an auditor's copy must not depend on the spec.
type Outputs struct {
	// Examples is the number of example traces kept for overlays
	// (default 3).
	Examples int `yaml:"examples" json:"examples"`
}

// Duration is a time.Duration written as a Go duration string ("30s").
type Duration time.Duration

// UnmarshalYAML reads a duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return fmt.Errorf("line %d: duration must be a string like \"30s\" or \"2m\"", n.Line)
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: invalid duration %q: want a string like \"30s\" or \"2m\"", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// MarshalJSON writes the duration string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// String returns the duration string.
func (d Duration) String() string { return time.Duration(d).String() }
