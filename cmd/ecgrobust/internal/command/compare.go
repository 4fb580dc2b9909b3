package command

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
)

// CompareOptions are the inputs of `ecgrobust compare`.
type CompareOptions struct {
	Factory *Factory
	// Base and Head are results.json files or run directories holding one.
	Base, Head string
	// Tolerance hides metric changes no larger than it; with Strict, a
	// metric that worsens by more than it is a regression.
	Tolerance float64
	Strict    bool
	JSON      bool
}

const compareLong = `Compare two runs, e.g. model release N−1 (BASE) and N (HEAD): which
metrics and criteria changed and whether the verdict got worse.

A regression is a verdict that got worse (PASS → INCONCLUSIVE → FAIL) or a
criterion that held in BASE and does not in HEAD; with --strict also a
metric that moved in the harmful direction (a success rate up, an accuracy
down) by more than --tolerance. Exit code 0 without regression, 1 with one,
3 for bad arguments, 4 when a file cannot be read. In a release pipeline:
docs/ci-guide.md#blocking-a-release-that-is-less-robust-than-the-last-one.`

func newCmdCompare(f *Factory, runF func(*CompareOptions) error) *cobra.Command {
	opts := &CompareOptions{Factory: f}
	cmd := &cobra.Command{
		Use:     "compare BASE HEAD",
		Short:   "Compare two runs and fail on regression",
		Long:    compareLong,
		Example: "  ecgrobust compare out/release-1.3 out/release-1.4 --strict --tolerance 0.02",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Base, opts.Head, opts.JSON = args[0], args[1], f.Global.JSON
			if opts.Tolerance < 0 || math.IsNaN(opts.Tolerance) {
				return usageErrorf("--tolerance %v: must be 0 or more", opts.Tolerance)
			}
			if runF != nil {
				return runF(opts)
			}
			return compareRun(opts)
		},
	}
	cmd.Flags().Float64Var(&opts.Tolerance, "tolerance", 0, "ignore metric changes up to this size")
	cmd.Flags().BoolVar(&opts.Strict, "strict", false, "a metric worse by more than --tolerance is a regression")
	return cmd
}

// Comparison is the outcome of compare, as printed with --json.
type Comparison struct {
	Base        string            `json:"base"`
	Head        string            `json:"head"`
	SameSpec    bool              `json:"same_spec"`
	BaseModel   string            `json:"base_model"`
	HeadModel   string            `json:"head_model"`
	BaseVerdict verdict.Outcome   `json:"base_verdict"`
	HeadVerdict verdict.Outcome   `json:"head_verdict"`
	Metrics     []MetricChange    `json:"metrics"`
	Criteria    []CriterionChange `json:"criteria"`
	Regressions []string          `json:"regressions"`
}

// MetricChange is a metric that differs between the runs. Base or Head is
// nil when the metric is absent from that run.
type MetricChange struct {
	Name string   `json:"name"`
	Base *float64 `json:"base"`
	Head *float64 `json:"head"`
	// Direction is "worse", "better" or "" when the name does not say
	// which way is better.
	Direction string `json:"direction,omitempty"`
}

// CriterionChange is a criterion whose outcome differs.
type CriterionChange struct {
	ID   string          `json:"id"`
	Base verdict.Outcome `json:"base,omitempty"`
	Head verdict.Outcome `json:"head,omitempty"`
}

func compareRun(opts *CompareOptions) error {
	base, err := readResult(opts.Base)
	if err != nil {
		return err
	}
	head, err := readResult(opts.Head)
	if err != nil {
		return err
	}
	c := compareResults(base, head, opts.Tolerance, opts.Strict)
	c.Base, c.Head = opts.Base, opts.Head
	if opts.JSON {
		enc := json.NewEncoder(opts.Factory.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(c); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
	} else if err := printComparison(opts.Factory, c); err != nil {
		return err
	}
	if len(c.Regressions) > 0 {
		return &exitError{code: ExitFail}
	}
	return nil
}

// readResult reads results.json from a file or a run directory.
func readResult(p string) (*engine.Result, error) {
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		p = filepath.Join(p, "results.json")
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var r engine.Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("read results %s: %w", p, err)
	}
	if r.SchemaVersion != engine.SchemaVersion {
		return nil, fmt.Errorf("read results %s: schema %q, want %q", p, r.SchemaVersion, engine.SchemaVersion)
	}
	return &r, nil
}

var outcomeRank = map[verdict.Outcome]int{verdict.Pass: 0, verdict.Inconclusive: 1, verdict.Fail: 2}

// compareResults finds what changed from base to head.
func compareResults(base, head *engine.Result, tol float64, strict bool) *Comparison {
	c := &Comparison{
		SameSpec:  base.Run.Spec.SHA256 == head.Run.Spec.SHA256,
		BaseModel: modelLabel(base.Run.Model), HeadModel: modelLabel(head.Run.Model),
		BaseVerdict: base.Verdict, HeadVerdict: head.Verdict,
		Metrics: []MetricChange{}, Criteria: []CriterionChange{}, Regressions: []string{},
	}
	if outcomeRank[head.Verdict] > outcomeRank[base.Verdict] {
		c.Regressions = append(c.Regressions, fmt.Sprintf("verdict %s → %s", base.Verdict, head.Verdict))
	}
	names := map[string]bool{}
	for n := range base.Metrics {
		names[n] = true
	}
	for n := range head.Metrics {
		names[n] = true
	}
	for _, n := range sortedNames(names) {
		b, okB := base.Metrics[n]
		h, okH := head.Metrics[n]
		if okB && okH && (b == h || math.Abs(h-b) <= tol || (math.IsNaN(b) && math.IsNaN(h))) {
			continue
		}
		m := MetricChange{Name: n}
		if okB {
			m.Base = &b
		}
		if okH {
			m.Head = &h
		}
		if okB && okH {
			m.Direction = direction(n, h-b)
			if strict && m.Direction == "worse" {
				c.Regressions = append(c.Regressions, fmt.Sprintf("metric %s %.4g → %.4g", n, b, h))
			}
		}
		c.Metrics = append(c.Metrics, m)
	}
	baseCrit := map[string]verdict.Outcome{}
	for _, cr := range base.Criteria {
		baseCrit[cr.ID] = cr.Outcome
	}
	seen := map[string]bool{}
	for _, cr := range head.Criteria {
		seen[cr.ID] = true
		was, ok := baseCrit[cr.ID]
		if ok && was == cr.Outcome {
			continue
		}
		c.Criteria = append(c.Criteria, CriterionChange{ID: cr.ID, Base: was, Head: cr.Outcome})
		if was == verdict.Pass && cr.Outcome != verdict.Pass {
			c.Regressions = append(c.Regressions, fmt.Sprintf("criterion %s %s → %s", cr.ID, was, cr.Outcome))
		}
	}
	for _, cr := range base.Criteria {
		if !seen[cr.ID] {
			c.Criteria = append(c.Criteria, CriterionChange{ID: cr.ID, Base: cr.Outcome})
		}
	}
	return c
}

// direction says whether a change of delta in the metric name is better
// or worse for robustness, from the name's documented meaning.
func direction(name string, delta float64) string {
	lowerIsBetter := []string{"success_rate", "errored_fraction", "gaussian_fraction", "concat_fraction",
		"uniform_fraction", "accuracy_drop"}
	higherIsBetter := []string{"accuracy", "gradient_cosine", "gradient_fidelity_pass"}
	sign := 0
	for _, s := range lowerIsBetter {
		if strings.Contains(name, s) {
			sign = -1
			break
		}
	}
	if sign == 0 {
		for _, s := range higherIsBetter {
			if strings.Contains(name, s) {
				sign = 1
				break
			}
		}
	}
	switch {
	case sign == 0 || delta == 0:
		return ""
	case (delta > 0) == (sign > 0):
		return "better"
	}
	return "worse"
}

func sortedNames(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func printComparison(f *Factory, c *Comparison) error {
	tw := tabwriter.NewWriter(f.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "model\t%s\t→\t%s\n", c.BaseModel, c.HeadModel)
	fmt.Fprintf(tw, "verdict\t%s\t→\t%s\n", c.BaseVerdict, c.HeadVerdict)
	if !c.SameSpec {
		fmt.Fprintf(tw, "note\tthe runs used different specs (sha256 differs)\t\t\n")
	}
	if len(c.Metrics) > 0 {
		fmt.Fprintln(tw, "\nMETRIC\tBASE\tHEAD\tCHANGE")
		for _, m := range c.Metrics {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.Name, fmtOpt(m.Base), fmtOpt(m.Head), m.Direction)
		}
	}
	if len(c.Criteria) > 0 {
		fmt.Fprintln(tw, "\nCRITERION\tBASE\tHEAD\t")
		for _, cr := range c.Criteria {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\n", cr.ID, orDash(string(cr.Base)), orDash(string(cr.Head)))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(c.Regressions) == 0 {
		_, err := fmt.Fprintln(f.Stdout, "\nno regression")
		return err
	}
	fmt.Fprintf(f.Stdout, "\n%d regression(s):\n", len(c.Regressions))
	for _, r := range c.Regressions {
		fmt.Fprintf(f.Stdout, "  %s\n", r)
	}
	return nil
}

func fmtOpt(x *float64) string {
	if x == nil {
		return "-"
	}
	return fmt.Sprintf("%.4g", *x)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// modelLabel names a run's model: name, version and the first 12 hex
// digits of its hash.
func modelLabel(m engine.ModelRef) string {
	label := strings.TrimSpace(m.Name + " " + m.Version)
	if label == "" {
		label = m.Kind
	}
	if len(m.SHA256) >= 12 {
		label += " (" + m.SHA256[:12] + ")"
	}
	if label == "" {
		return "-"
	}
	return label
}
