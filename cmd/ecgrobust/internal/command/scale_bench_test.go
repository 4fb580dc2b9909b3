package command

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/dataset"
	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/journal"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/model/modeltest"
	"github.com/ecgrobust/ecgrobust/harness/spec"
)

// BenchmarkRunWorkers times a run of 16 demo records (PGD 5 steps, SAP
// 2+5 steps) with 1 and 2 model instances: the reference CNN in process,
// and the reference plugin (bin/, built by make build) as 1 or 2
// processes. Run with -benchtime=1x; see BENCHMARKS.md.
func BenchmarkRunWorkers(b *testing.B) {
	dir := b.TempDir()
	models := []string{"reference"}
	if p, err := filepath.Abs("../../../../bin/ecgrobust-reference-plugin"); err == nil {
		if _, err := os.Stat(p); err == nil {
			models = append(models, p)
		}
	}
	models = append(models, "slow")
	for _, m := range models {
		specFile := writeScaleSpec(b, filepath.Join(dir), m, 4, 5)
		name := "reference-in-process"
		switch m {
		case "reference":
		case "slow":
			// The fixture plugin, single-threaded, with 1024 FIR taps per
			// sample of work per signal.
			name = "single-threaded-plugin"
			specFile = filepath.Join(dir, "slow.yaml")
			s := strings.Replace(faultSpec, "%s", buildFaulty(b), 1)
			s = strings.Replace(s, "%s", `"-mode=slow", "-work=1024"`, 1)
			s = strings.Replace(s, "%d", "2", 1)
			s = strings.Replace(s, "per_class: 2", "per_class: 4", 1)
			if err := os.WriteFile(specFile, []byte(s), 0o644); err != nil {
				b.Fatal(err)
			}
		default:
			name = "reference-plugin"
		}
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", name, w), func(b *testing.B) {
				for i := range b.N {
					out := filepath.Join(dir, fmt.Sprintf("%s-%d-%d", name, w, i))
					var stderr strings.Builder
					f := &Factory{OpenClassifier: openClassifier, Stdout: io.Discard, Stderr: &stderr, Stdin: strings.NewReader("")}
					root := NewRootCmd(f)
					root.SetArgs([]string{"run", specFile, "--out", out, "--quiet", "--workers", strconv.Itoa(w)})
					if code := execute(context.Background(), root, f.Stderr); code > ExitInconclusive {
						b.Fatalf("exit %d: %s", code, stderr.String())
					}
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/16, "ms/record")
			})
		}
	}
}

// repeated is the demo sample repeated to n records with distinct IDs,
// decoded on demand like a large data set.
type repeated struct {
	base *dataset.Stream
	n    int
}

func (r repeated) Len() int { return r.n }
func (r repeated) Meta(i int) (string, string) {
	id, label := r.base.Meta(i % r.base.Len())
	return fmt.Sprintf("%s-%05d", id, i), label
}
func (r repeated) Load(ctx context.Context, i int) (ecg.Record, error) {
	rec, err := r.base.Load(ctx, i%r.base.Len())
	rec.ID, _ = r.Meta(i)
	return rec, err
}

const memSpec = `apiVersion: ecgrobust/v1
kind: RobustnessSpec
metadata: {name: memory, version: 0.1.0, description: Peak memory of long runs.}
model: {plugin: reference}
dataset: {source: demo}
seed: 1
attacks:
  - {id: pgd, type: pgd, steps: 1}
outputs: {examples: 2}
criteria:
  - {id: clean, expr: clean_accuracy >= 0}
`

// TestMemHelperProcess runs ECGROBUST_MEM_RECORDS records of the repeated
// demo sample through the engine (analytic model, PGD with one step),
// the crash journal and the full report bundle, for BenchmarkPeakRSS.
func TestMemHelperProcess(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("ECGROBUST_MEM_RECORDS"))
	if err != nil {
		t.Skip("helper process for BenchmarkPeakRSS")
	}
	ctx := context.Background()
	s, err := spec.Parse("memory.yaml", []byte(memSpec))
	if err != nil {
		t.Fatal(err)
	}
	s.File = "" // no file to hash into the manifest
	base, err := dataset.Open(ctx, dataset.Config{Source: dataset.Demo})
	if err != nil {
		t.Fatal(err)
	}
	out := os.Getenv("ECGROBUST_MEM_OUT")
	j, err := journal.Create(filepath.Join(out, journal.File), journal.Header{Spec: s.SHA256})
	if err != nil {
		t.Fatal(err)
	}
	sc := &scaleRun{journal: j, log: slog.New(slog.DiscardHandler)}
	pool := []model.Classifier{modeltest.Analytic{}, modeltest.Analytic{}}
	var src engine.Source = repeated{base: base, n: n}
	if os.Getenv("ECGROBUST_MEM_IN_MEMORY") == "1" { // the way dataset.Load holds records
		recs := make([]ecg.Record, n)
		for i := range recs {
			if recs[i], err = src.Load(ctx, i); err != nil {
				t.Fatal(err)
			}
		}
		src = engine.Records(recs)
	}
	res, err := engine.Run(ctx, s, src, pool, sc.options(engine.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.close(); err != nil {
		t.Fatal(err)
	}
	if _, err := writeReports(out, s, res, nil); err != nil {
		t.Fatal(err)
	}
	if len(res.Records) != n {
		t.Fatalf("%d rows, want %d", len(res.Records), n)
	}
	os.Exit(0)
}

// BenchmarkPeakRSS reports the peak resident memory of a whole run of
// 1,000 and 10,000 records (see TestMemHelperProcess), measured by the
// kernel (getrusage of the child process): records streamed as the CLI
// does (dataset.Open), and, for comparison, 1,000 records held in memory
// the way dataset.Load holds them.
func BenchmarkPeakRSS(b *testing.B) {
	for _, c := range []struct {
		n        int
		inMemory bool
	}{{1000, false}, {10000, false}, {1000, true}} {
		n := c.n
		name := fmt.Sprintf("streamed/records=%d", n)
		if c.inMemory {
			name = fmt.Sprintf("in-memory/records=%d", n)
		}
		b.Run(name, func(b *testing.B) {
			var rss int64
			for range b.N {
				cmd := exec.Command(os.Args[0], "-test.run=^TestMemHelperProcess$")
				cmd.Env = append(os.Environ(), "ECGROBUST_MEM_RECORDS="+strconv.Itoa(n), "ECGROBUST_MEM_OUT="+b.TempDir())
				if c.inMemory {
					cmd.Env = append(cmd.Env, "ECGROBUST_MEM_IN_MEMORY=1")
				}
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("%v: %s", err, out)
				}
				rss = max(rss, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
			}
			b.ReportMetric(float64(rss)/1024, "peak-RSS-MiB")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/float64(n), "ms/record")
		})
	}
}

// BenchmarkEngineWorkers runs the engine alone (no CLI, no plugin
// processes, no reports) on 256 records of the repeated demo sample with
// the single-threaded analytic model, PGD 20 steps, with 1 and 2 workers:
// the speed-up the worker pool itself can give on this machine.
func BenchmarkEngineWorkers(b *testing.B) {
	ctx := context.Background()
	s, err := spec.Parse("workers.yaml", []byte(strings.Replace(strings.Replace(memSpec, "steps: 1", "steps: 20", 1), "examples: 2", "examples: 0", 1)))
	if err != nil {
		b.Fatal(err)
	}
	base, err := dataset.Open(ctx, dataset.Config{Source: dataset.Demo})
	if err != nil {
		b.Fatal(err)
	}
	defer base.Close()
	src := repeated{base: base, n: 256}
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			pool := make([]model.Classifier, w)
			for i := range pool {
				pool[i] = modeltest.Analytic{}
			}
			for range b.N {
				if _, err := engine.Run(ctx, s, src, pool, engine.Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/256, "ms/record")
		})
	}
}
