package spec

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var (
	namePattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	versionPattern = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)
	idPattern      = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	sha256Pattern  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Allowed values, in the order error messages list them.
var (
	Sources       = []string{SourceDemo, SourceCinC2017, SourceMITDB}
	AttackTypes   = []string{TypePGD, TypeSAP, TypeCollate, TypeNoiseStress}
	Gradients     = []string{GradientAuto, GradientPlugin, GradientFiniteDifference, GradientSearch}
	Losses        = []string{LossCrossEntropy, LossLogitMargin}
	Severities    = []string{SeverityError, SeverityWarning}
	OnFailures    = []string{OnFailureInconclusive, OnFailureFallback}
	NoiseTypes    = []string{"em", "bw", "ma"}
	PadModes      = []string{"center", "left", "right"}
	DefaultLabels = []string{"N", "A", "O", "~"}
	// EC57SNRs are the noise-stress SNRs of ANSI/AAMI EC57, in dB.
	EC57SNRs = []float64{24, 18, 12, 6, 0, -6}
	// SAPKernelSizes and SAPKernelSigmas are Han 2020's smoothing kernels,
	// in samples at 300 Hz.
	SAPKernelSizes  = []int{5, 7, 11, 15, 19}
	SAPKernelSigmas = []float64{1, 3, 5, 7, 10}
)

// splits lists the splits each source offers; the first is the default.
var splits = map[string][]string{
	SourceDemo:     {"all"},
	SourceCinC2017: {"han2020-test", "han2020-train", "all"},
	SourceMITDB:    {"all"},
}

// sourceLabels lists the classes a source's records carry: CinC 2017's four
// for cinc2017 and demo; N, A and O for mitdb (rhythm episodes: normal
// sinus, atrial fibrillation, any other rhythm).
func sourceLabels(source string) []string {
	if source == SourceMITDB {
		return []string{"N", "A", "O"}
	}
	return DefaultLabels
}

// attackFields lists the fields each attack type accepts beyond id, type
// and description.
var attackFields = map[string][]string{
	TypePGD: {"epsilon_uv", "step_uv", "steps", "random_start", "early_stop", "classes", "target", "loss",
		"gradient", "query_budget", "fd_directions", "fd_sigma_uv"},
	TypeSAP: {"epsilon_uv", "step_uv", "steps", "pgd_steps", "random_start", "early_stop", "kernel_sizes",
		"kernel_sigmas", "classes", "target", "loss", "gradient", "query_budget", "fd_directions", "fd_sigma_uv"},
	TypeCollate:     {"of", "trials", "noise_sigma_uv", "uniform_samples"},
	TypeNoiseStress: {"noise", "snr_db"},
}

// AttackFields returns the YAML fields an attack of type t accepts,
// including id, type and description.
func AttackFields(t string) []string {
	return append([]string{"id", "type", "description"}, attackFields[t]...)
}

// validator completes and checks a decoded spec.
type validator struct {
	s     *Spec
	nodes map[string]*yaml.Node
	errs  ErrorList
}

// present reports whether the document set the field at path.
func (v *validator) present(path string) bool {
	n, ok := v.nodes[path]
	return ok && !(n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// errorf records an error at path, placed at the nearest node the document
// has for it.
func (v *validator) errorf(path, format string, args ...any) {
	v.errs = append(v.errs, at(v.s.File, v.nodes, path, fmt.Sprintf(format, args...)))
}

// at builds an Error for path, positioned at the node of path or of its
// nearest ancestor.
func at(file string, nodes map[string]*yaml.Node, path, msg string) *Error {
	e := &Error{File: file, Field: path, Msg: msg}
	for p := path; ; {
		if n, ok := nodes[p]; ok {
			e.Line, e.Column = n.Line, n.Column
			break
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			if n, ok := nodes[""]; ok && p != "" {
				e.Line, e.Column = n.Line, n.Column
			}
			break
		}
		p = p[:i]
	}
	return e
}

// applyDefaults fills every field the document left out.
func (v *validator) applyDefaults() {
	s := v.s
	if !v.present("model.timeout") {
		s.Model.Timeout = Duration(60 * time.Second)
	}
	if !v.present("model.instances") {
		s.Model.Instances = 1
	}
	if !v.present("model.retries") {
		s.Model.Retries = 2
	}
	if !v.present("dataset.split") {
		if sp, ok := splits[s.Dataset.Source]; ok {
			s.Dataset.Split = sp[0]
		}
	}
	if !v.present("dataset.classes") {
		s.Dataset.Classes = slices.Clone(sourceLabels(s.Dataset.Source))
	}
	if s.Dataset.Seed == nil {
		seed := s.Seed
		s.Dataset.Seed = &seed
	}
	if !v.present("preprocessing.length_samples") {
		s.Preprocessing.LengthSamples = 18000
	}
	if !v.present("preprocessing.pad") {
		s.Preprocessing.Pad = "center"
	}
	for i := range s.Attacks {
		a := &s.Attacks[i]
		p := fmt.Sprintf("attacks[%d].", i)
		set := func(field string) bool { return v.present(p + field) }
		switch a.Type {
		case TypePGD, TypeSAP:
			if !set("gradient") {
				a.Gradient = GradientAuto
			}
			if !set("epsilon_uv") {
				a.EpsilonUV = 10
			}
			if a.Type == TypeSAP {
				if !set("kernel_sizes") {
					a.KernelSizes = slices.Clone(SAPKernelSizes)
				}
				if !set("kernel_sigmas") {
					a.KernelSigmas = slices.Clone(SAPKernelSigmas)
				}
			}
			// Every attack, a search included, ascends cross-entropy by
			// default (for a search it flips more records on the
			// reference CNN than the logit margin: BENCHMARKS.md, "The
			// search's loss").
			if !set("loss") {
				a.Loss = LossCrossEntropy
			}
			if a.Gradient == GradientSearch {
				// A search has no steps and no estimates; it runs for its
				// query budget.
				if !set("query_budget") {
					a.QueryBudget = 5000
				}
				break
			}
			if !set("step_uv") {
				a.StepUV = 1
			}
			if !set("steps") {
				a.Steps = 20
				if a.Type == TypeSAP {
					a.Steps = 40
				}
			}
			if a.Type == TypeSAP && !set("pgd_steps") {
				a.PGDSteps = 20
			}
			if !set("fd_directions") {
				a.FDDirections = 50
			}
			if !set("fd_sigma_uv") {
				a.FDSigmaUV = 1
			}
		case TypeCollate:
			if !set("trials") {
				a.Trials = 1000
			}
			if !set("noise_sigma_uv") {
				a.NoiseSigmaUV = 5
			}
			if !set("uniform_samples") {
				a.UniformSamples = 100
			}
		case TypeNoiseStress:
			if !set("noise") {
				a.Noise = slices.Clone(NoiseTypes)
			}
			if !set("snr_db") {
				a.SNRdB = slices.Clone(EC57SNRs)
			}
		}
	}
	if !v.present("gradient_fidelity.min_cosine") {
		s.GradientFidelity.MinCosine = 0.9
	}
	if !v.present("gradient_fidelity.on_failure") {
		s.GradientFidelity.OnFailure = OnFailureInconclusive
	}
	if !v.present("limits.max_errored_fraction") {
		s.Limits.MaxErroredFraction = 0.05
	}
	for i := range s.Criteria {
		if !v.present(fmt.Sprintf("criteria[%d].severity", i)) {
			s.Criteria[i].Severity = SeverityError
		}
	}
	if !v.present("outputs.examples") {
		s.Outputs.Examples = 3
	}
}

func (v *validator) required(path string) bool {
	if !v.present(path) {
		v.errorf(path, "required field is missing")
		return false
	}
	return true
}

func (v *validator) oneOf(path, got string, allowed []string) {
	if !slices.Contains(allowed, got) {
		v.errorf(path, "%q is not allowed%s; use one of: %s", got, suggest(got, allowed), strings.Join(allowed, ", "))
	}
}

func (v *validator) intRange(path string, got, lo, hi int) {
	if got < lo || got > hi {
		v.errorf(path, "%d is out of range; allowed: %d to %d", got, lo, hi)
	}
}

// floatRange checks lo < got ≤ hi when open, lo ≤ got ≤ hi otherwise.
func (v *validator) floatRange(path string, got, lo, hi float64, open bool) {
	bad := math.IsNaN(got) || got > hi || got < lo || (open && got == lo)
	if bad {
		op := "≤"
		if open {
			op = "<"
		}
		v.errorf(path, "%v is out of range; allowed: %v %s value ≤ %v", got, lo, op, hi)
	}
}

func (v *validator) pattern(path, got string, re *regexp.Regexp, what string) {
	if !re.MatchString(got) {
		v.errorf(path, "%q is not %s", got, what)
	}
}

func (v *validator) validate() {
	s := v.s
	if v.required("apiVersion") && s.APIVersion != APIVersion {
		v.errorf("apiVersion", "%q is not supported; use %q", s.APIVersion, APIVersion)
	}
	if v.required("kind") && s.Kind != Kind {
		v.errorf("kind", "%q is not supported; use %q", s.Kind, Kind)
	}
	if v.required("metadata") {
		if v.required("metadata.name") {
			v.pattern("metadata.name", s.Metadata.Name, namePattern, "a valid name (lowercase letters, digits and '-', at most 63 characters)")
		}
		if v.required("metadata.version") {
			v.pattern("metadata.version", s.Metadata.Version, versionPattern, "a version of the form MAJOR.MINOR.PATCH, e.g. \"1.0.0\"")
		}
		if v.required("metadata.description") && strings.TrimSpace(s.Metadata.Description) == "" {
			v.errorf("metadata.description", "must say what the spec tests and why its thresholds are what they are")
		}
	}
	v.validateModel()
	v.validateDataset()
	v.validatePreprocessing()
	v.required("seed")
	v.validateAttacks()
	gf := s.GradientFidelity
	v.intRange("gradient_fidelity.records", gf.Records, 0, 1000)
	v.floatRange("gradient_fidelity.min_cosine", gf.MinCosine, -1, 1, false)
	v.oneOf("gradient_fidelity.on_failure", gf.OnFailure, OnFailures)
	v.floatRange("limits.max_errored_fraction", s.Limits.MaxErroredFraction, 0, 1, false)
	v.floatRange("limits.max_ci_width", s.Limits.MaxCIWidth, 0, 1, false)
	v.intRange("limits.min_attacked", s.Limits.MinAttacked, 0, 1_000_000)
	v.validateCriteria()
	v.checkVariableClash()
	v.intRange("outputs.examples", s.Outputs.Examples, 0, 100)
}

func (v *validator) unique(path string, items []string) {
	seen := map[string]bool{}
	for i, it := range items {
		if seen[it] {
			v.errorf(fmt.Sprintf("%s[%d]", path, i), "%q is listed twice", it)
		}
		seen[it] = true
	}
}

func (v *validator) validateModel() {
	m := v.s.Model
	if !v.required("model") || !v.required("model.plugin") {
		return
	}
	if strings.TrimSpace(m.Plugin) == "" {
		v.errorf("model.plugin", "must be the path of a plugin binary or %q", ReferenceModel)
	}
	if m.SHA256 != "" {
		if m.IsReference() {
			v.errorf("model.sha256", "pins a plugin binary; not allowed with plugin: %s", ReferenceModel)
		} else {
			v.pattern("model.sha256", m.SHA256, sha256Pattern, "a SHA-256 in lowercase hex (64 characters)")
		}
	}
	if len(m.Args) > 0 && m.IsReference() {
		v.errorf("model.args", "are passed to a plugin binary; not allowed with plugin: %s", ReferenceModel)
	}
	if d := time.Duration(m.Timeout); d <= 0 || d > time.Hour {
		v.errorf("model.timeout", "%s is out of range; allowed: more than 0s, at most 1h", d)
	}
	v.intRange("model.instances", m.Instances, 1, 64)
	v.intRange("model.retries", m.Retries, 0, 10)
}

func (v *validator) validateDataset() {
	d := v.s.Dataset
	if !v.required("dataset") || !v.required("dataset.source") {
		return
	}
	sp, ok := splits[d.Source]
	if !ok {
		v.oneOf("dataset.source", d.Source, Sources)
		return
	}
	v.oneOf("dataset.split", d.Split, sp)
	labels := sourceLabels(d.Source)
	if len(d.Classes) == 0 {
		v.errorf("dataset.classes", "must list at least one class; allowed for %s: %s", d.Source, strings.Join(labels, ", "))
	}
	for i, c := range d.Classes {
		if !slices.Contains(labels, c) {
			v.errorf(fmt.Sprintf("dataset.classes[%d]", i), "%q is not a class of %s; use one of: %s", c, d.Source, strings.Join(labels, ", "))
		}
	}
	v.unique("dataset.classes", d.Classes)
	v.intRange("dataset.per_class", d.PerClass, 0, 100_000)
}

func (v *validator) validatePreprocessing() {
	p := v.s.Preprocessing
	v.intRange("preprocessing.length_samples", p.LengthSamples, 1, 10_000_000)
	v.oneOf("preprocessing.pad", p.Pad, PadModes)
	if p.SampleRateHz != 0 {
		v.floatRange("preprocessing.sample_rate_hz", p.SampleRateHz, 1, 100_000, false)
	}
	if p.GainADUPerMV != 0 {
		v.floatRange("preprocessing.gain_adu_per_mv", p.GainADUPerMV, 0, 1e6, true)
	}
}

func (v *validator) validateAttacks() {
	s := v.s
	if !v.required("attacks") {
		return
	}
	if len(s.Attacks) == 0 {
		v.errorf("attacks", "must list at least one attack")
		return
	}
	ids := map[string]int{}
	for i, a := range s.Attacks {
		p := fmt.Sprintf("attacks[%d]", i)
		if v.required(p + ".id") {
			v.pattern(p+".id", a.ID, idPattern, "a valid attack id (lowercase letters, digits and '_', starting with a letter, at most 40 characters)")
			if j, dup := ids[a.ID]; dup {
				v.errorf(p+".id", "%q is already the id of attacks[%d]", a.ID, j)
			} else {
				ids[a.ID] = i
			}
		}
		if !v.required(p + ".type") {
			continue
		}
		if _, ok := attackFields[a.Type]; !ok {
			v.oneOf(p+".type", a.Type, AttackTypes)
			continue
		}
		allowed := AttackFields(a.Type)
		if n, ok := v.nodes[p]; ok && n.Kind == yaml.MappingNode {
			for k := 0; k+1 < len(n.Content); k += 2 {
				key := n.Content[k].Value
				if !slices.Contains(allowed, key) {
					v.errs = append(v.errs, &Error{File: s.File, Line: n.Content[k].Line, Column: n.Content[k].Column,
						Field: p + "." + key, Msg: fmt.Sprintf("does not apply to a %s attack; allowed: %s", a.Type, strings.Join(allowed, ", "))})
				}
			}
		}
		switch a.Type {
		case TypePGD, TypeSAP:
			v.validateGradientAttack(p, a)
		case TypeCollate:
			if v.required(p + ".of") {
				j, ok := ids[a.Of]
				switch {
				case !ok:
					v.errorf(p+".of", "%q is not the id of an earlier attack", a.Of)
				case s.Attacks[j].Type != TypePGD && s.Attacks[j].Type != TypeSAP:
					v.errorf(p+".of", "%q is a %s attack; collate needs a pgd or sap attack", a.Of, s.Attacks[j].Type)
				}
			}
			v.intRange(p+".trials", a.Trials, 1, 1_000_000)
			v.floatRange(p+".noise_sigma_uv", a.NoiseSigmaUV, 0, 10_000, true)
			v.intRange(p+".uniform_samples", a.UniformSamples, 1, 1_000_000)
		case TypeNoiseStress:
			if len(a.Noise) == 0 {
				v.errorf(p+".noise", "must list at least one noise type; allowed: %s", strings.Join(NoiseTypes, ", "))
			}
			for k, n := range a.Noise {
				v.oneOf(fmt.Sprintf("%s.noise[%d]", p, k), n, NoiseTypes)
			}
			v.unique(p+".noise", a.Noise)
			if len(a.SNRdB) == 0 {
				v.errorf(p+".snr_db", "must list at least one SNR in dB, e.g. [24, 18, 12, 6, 0, -6]")
			}
			seen := map[float64]bool{}
			for k, x := range a.SNRdB {
				q := fmt.Sprintf("%s.snr_db[%d]", p, k)
				v.floatRange(q, x, -30, 60, false)
				if seen[x] {
					v.errorf(q, "%v dB is listed twice", x)
				}
				seen[x] = true
			}
		}
	}
}

func (v *validator) validateGradientAttack(p string, a Attack) {
	v.floatRange(p+".epsilon_uv", a.EpsilonUV, 0, 100_000, true)
	search := a.Gradient == GradientSearch
	if search {
		for _, f := range []string{"step_uv", "steps", "pgd_steps", "random_start", "fd_directions", "fd_sigma_uv"} {
			if v.present(p + "." + f) {
				v.errorf(p+"."+f, "does not apply with gradient search: the search has no gradient steps, random start or estimates; it runs until the first success or query_budget")
			}
		}
		if v.present(p+".early_stop") && !a.EarlyStop {
			v.errorf(p+".early_stop", "must be true (or left out) with gradient search: the search stops at its first success")
		}
	} else {
		v.floatRange(p+".step_uv", a.StepUV, 0, 100_000, true)
		if a.StepUV > a.EpsilonUV && a.EpsilonUV > 0 {
			v.errorf(p+".step_uv", "%v µV is larger than epsilon_uv (%v µV)", a.StepUV, a.EpsilonUV)
		}
		v.intRange(p+".steps", a.Steps, 1, 100_000)
	}
	if a.Type == TypeSAP {
		if !search {
			v.intRange(p+".pgd_steps", a.PGDSteps, 0, 100_000)
		}
		if len(a.KernelSizes) == 0 {
			v.errorf(p+".kernel_sizes", "must list at least one kernel size")
		}
		for k, n := range a.KernelSizes {
			q := fmt.Sprintf("%s.kernel_sizes[%d]", p, k)
			if n < 1 || n > 1001 || n%2 == 0 {
				v.errorf(q, "%d is not allowed; kernel sizes are odd numbers of samples from 1 to 1001", n)
			}
		}
		if len(a.KernelSigmas) == 0 {
			v.errorf(p+".kernel_sigmas", "must list at least one σ")
		}
		for k, x := range a.KernelSigmas {
			v.floatRange(fmt.Sprintf("%s.kernel_sigmas[%d]", p, k), x, 0, 1000, true)
		}
	}
	for k, c := range a.Classes {
		if !slices.Contains(v.s.Dataset.Classes, c) {
			v.errorf(fmt.Sprintf("%s.classes[%d]", p, k), "%q is not one of the dataset's classes (%s)", c, strings.Join(v.s.Dataset.Classes, ", "))
		}
	}
	v.unique(p+".classes", a.Classes)
	if a.Target != "" && !slices.Contains(v.s.Dataset.Classes, a.Target) {
		v.errorf(p+".target", "%q is not one of the dataset's classes (%s)", a.Target, strings.Join(v.s.Dataset.Classes, ", "))
	} else if a.Target != "" && len(a.Classes) == 1 && a.Classes[0] == a.Target {
		v.errorf(p+".target", "%q is the only class attacked; a targeted attack needs records of other classes", a.Target)
	}
	v.oneOf(p+".loss", a.Loss, Losses)
	v.oneOf(p+".gradient", a.Gradient, Gradients)
	if search {
		v.intRange(p+".query_budget", a.QueryBudget, 1, 1_000_000_000)
		return
	}
	v.intRange(p+".query_budget", a.QueryBudget, 0, 1_000_000_000)
	v.intRange(p+".fd_directions", a.FDDirections, 1, 100_000)
	v.floatRange(p+".fd_sigma_uv", a.FDSigmaUV, 0, 100_000, true)
}

func (v *validator) validateCriteria() {
	s := v.s
	if !v.required("criteria") {
		return
	}
	if len(s.Criteria) == 0 {
		v.errorf("criteria", "must list at least one criterion")
		return
	}
	ids := map[string]int{}
	for i, c := range s.Criteria {
		p := fmt.Sprintf("criteria[%d]", i)
		if v.required(p + ".id") {
			v.pattern(p+".id", c.ID, regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`), "a valid criterion id (lowercase letters, digits, '_' and '-', starting with a letter)")
			if j, dup := ids[c.ID]; dup {
				v.errorf(p+".id", "%q is already the id of criteria[%d]", c.ID, j)
			} else {
				ids[c.ID] = i
			}
		}
		if v.required(p+".expr") && strings.TrimSpace(c.Expr) == "" {
			v.errorf(p+".expr", "must be an expression such as \"sap_success_rate <= 0.05\"")
		}
		v.oneOf(p+".severity", c.Severity, Severities)
	}
}

// FieldError returns an Error for the field at path (e.g.
// "criteria[2].expr"), positioned at its line in the spec file when the
// spec came from Load or Parse. Callers that check parts of a spec the
// spec package cannot (such as criteria expressions) use it to report with
// the same precision.
func (s *Spec) FieldError(path, format string, args ...any) *Error {
	nodes := map[string]*yaml.Node{}
	if s.node != nil {
		w := walker{file: s.File, nodes: nodes}
		w.walk(s.node, reflectSpec, "", 0)
	}
	return at(s.File, nodes, path, fmt.Sprintf(format, args...))
}

// CheckExprs calls check on every criterion's expression with the
// variables the spec's run will produce (see Variables) and returns the
// failures as an ErrorList positioned at each criteria[i].expr, or nil.
func (s *Spec) CheckExprs(check func(expr string, variables []string) error) error {
	vars := s.Variables()
	var errs ErrorList
	for i, c := range s.Criteria {
		if err := check(c.Expr, vars); err != nil {
			errs = append(errs, s.FieldError(fmt.Sprintf("criteria[%d].expr", i), "%v", err))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// checkVariableClash rejects attack ids whose metric names collide with
// another attack's or with a run-wide metric.
func (v *validator) checkVariableClash() {
	owner := map[string]int{} // metric name → attack index, -1 for run-wide
	for _, m := range []string{MetricRecords, MetricErroredFraction, MetricCleanAccuracy, MetricCleanAccuracyCILow,
		MetricCleanAccuracyCIHigh, MetricGradientCosineMin, MetricGradientCosineMean, MetricGradientFidelityPass} {
		owner[m] = -1
	}
	seen := map[string]bool{}
	for i, a := range v.s.Attacks {
		if seen[a.ID] {
			continue // reported as a duplicate id
		}
		seen[a.ID] = true
		for _, m := range AttackMetrics(a) {
			name := MetricName(a.ID, m)
			if o, ok := owner[name]; ok && o != i {
				other := "a run-wide metric"
				if o >= 0 {
					other = fmt.Sprintf("a metric of attack %q", v.s.Attacks[o].ID)
				}
				v.errorf(fmt.Sprintf("attacks[%d].id", i), "metric %q of attack %q is also %s; rename the attack", name, a.ID, other)
				break
			}
			owner[name] = i
		}
	}
}
