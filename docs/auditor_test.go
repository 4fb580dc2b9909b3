package docs

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/spec"
	"github.com/ecgrobust/ecgrobust/specs"
)

const (
	criteriaBegin = "<!-- begin generated: bundled criteria (make docs) -->\n"
	criteriaEnd   = "<!-- end generated -->"
)

// bundledCriteria renders the criteria and limits of every bundled spec.
func bundledCriteria() (string, error) {
	var b strings.Builder
	for _, name := range specs.Names() {
		data, err := specs.Read(name)
		if err != nil {
			return "", err
		}
		s, err := spec.Parse(name+".yaml", data)
		if err != nil {
			return "", fmt.Errorf("bundled spec %s: %w", name, err)
		}
		d := s.Dataset
		data0 := d.Source + " " + d.Split
		if d.PerClass > 0 {
			data0 += fmt.Sprintf(", %d per class", d.PerClass)
		}
		lim := s.Limits
		limits := fmt.Sprintf("errored records ≤ %g", lim.MaxErroredFraction)
		if lim.MaxCIWidth > 0 {
			limits += fmt.Sprintf(", success-rate interval width ≤ %g", lim.MaxCIWidth)
		}
		if lim.MinAttacked > 0 {
			limits += fmt.Sprintf(", attacked records ≥ %d", lim.MinAttacked)
		}
		if g := s.GradientFidelity; g.Records > 0 {
			limits += fmt.Sprintf("; gradient fidelity on %d records, cosine ≥ %g, on failure %s", g.Records, g.MinCosine, g.OnFailure)
		}
		fmt.Fprintf(&b, "**`%s` %s** (data: %s; limits: %s)\n\n| Criterion | Expression | Severity |\n| --- | --- | --- |\n",
			name, s.Metadata.Version, data0, limits)
		for _, c := range s.Criteria {
			expr := strings.Join(strings.Fields(c.Expr), " ")
			fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", c.ID, cell(expr), c.Severity)
		}
		b.WriteString("\n")
	}
	return b.String(), nil
}

// TestAuditorGuideCriteria keeps the generated criteria tables of
// auditor-guide.md in step with the bundled specs (make docs rewrites
// them).
func TestAuditorGuideCriteria(t *testing.T) {
	const file = "auditor-guide.md"
	doc, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	i, j := strings.Index(text, criteriaBegin), strings.Index(text, criteriaEnd)
	if i < 0 || j < i {
		t.Fatalf("docs/%s lacks the generated block %q … %q", file, criteriaBegin, criteriaEnd)
	}
	want, err := bundledCriteria()
	if err != nil {
		t.Fatal(err)
	}
	got := text[i+len(criteriaBegin) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(file, []byte(text[:i+len(criteriaBegin)]+want+text[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/%s: the bundled specs' criteria changed: run `make docs`, then review the guide's explanation of them", file)
}

// TestAuditorGuideSpecVersions fails when a bundled spec's version moves
// past the one the guide's hand-written table explains.
func TestAuditorGuideSpecVersions(t *testing.T) {
	guide := string(mustRead(t, "docs/auditor-guide.md"))
	for _, name := range specs.Names() {
		data, err := specs.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := spec.Parse(name+".yaml", data)
		if err != nil {
			t.Fatalf("bundled spec %s: %v", name, err)
		}
		m := regexp.MustCompile("\\| `" + regexp.QuoteMeta(name) + "` ([0-9.]+) \\|").FindStringSubmatch(guide)
		switch {
		case m == nil:
			t.Errorf("docs/auditor-guide.md's table has no row \"| `%s` VERSION |\"", name)
		case m[1] != s.Metadata.Version:
			t.Errorf("docs/auditor-guide.md explains %s %s, the bundled spec is %s: review the row and update its version", name, m[1], s.Metadata.Version)
		}
	}
}
