package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecgrobust/ecgrobust/harness/journal"
	"github.com/ecgrobust/ecgrobust/harness/shard"
)

// scaleSpec is a small spec for the shard, merge and resume tests: 8 demo
// records, short attacks, and example traces (which merge must rebuild).
const scaleSpec = `apiVersion: ecgrobust/v1
kind: RobustnessSpec
metadata: {name: scale, version: 0.1.0, description: Tests of sharding and resuming.}
model: {plugin: %s}
dataset: {source: demo, per_class: %d}
seed: 5
attacks:
  - {id: pgd, type: pgd, steps: %d}
  - {id: sap, type: sap, pgd_steps: 2, steps: %d}
outputs: {examples: 2}
criteria:
  - {id: clean, expr: clean_accuracy >= 0.25}
  - {id: sap, expr: sap_success_rate <= 0.5}
`

func writeScaleSpec(t testing.TB, dir, plugin string, perClass, steps int) string {
	t.Helper()
	s := strings.Replace(scaleSpec, "%s", plugin, 1)
	s = strings.Replace(s, "%d", itoa(perClass), 1)
	s = strings.ReplaceAll(s, "%d", itoa(steps))
	p := filepath.Join(dir, "scale.yaml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// mustRun runs the CLI in process and fails unless it exits with one of
// the codes in ok (PASS, FAIL or INCONCLUSIVE by default).
func mustRun(t *testing.T, args ...string) (string, string) {
	t.Helper()
	code, stdout, stderr := runCLI(t, &Factory{OpenClassifier: openClassifier}, args...)
	if code > ExitInconclusive {
		t.Fatalf("ecgrobust %s: exit %d\nstdout %s\nstderr %s", strings.Join(args, " "), code, stdout, stderr)
	}
	return stdout, stderr
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestScaleFlags(t *testing.T) {
	env := map[string]string{}
	old := getenv
	getenv = func(k string) string { return env[k] }
	defer func() { getenv = old }()
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantPart *shard.Part
		wantOut  string
		wantErr  string
	}{
		{name: "whole run", args: []string{"--out", "o"}, wantOut: "o"},
		{name: "k/n", args: []string{"--shard", "1/3"}, wantPart: &shard.Part{Index: 1, Count: 3}, wantOut: "out"},
		{name: "k/n out of range", args: []string{"--shard", "3/3"}, wantErr: "index 3 out of range 0..2"},
		{name: "kubernetes", env: map[string]string{"JOB_COMPLETION_INDEX": "2"}, args: []string{"--shard", "auto", "--shard-count", "4"},
			wantPart: &shard.Part{Index: 2, Count: 4}, wantOut: "out"},
		{name: "kubernetes without count", env: map[string]string{"JOB_COMPLETION_INDEX": "2"}, args: []string{"--shard", "auto"}, wantErr: "--shard-count"},
		{name: "slurm", env: map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "2"},
			args: []string{"--shard", "auto"}, wantPart: &shard.Part{Index: 3, Count: 4}, wantOut: "out"},
		{name: "auto outside a scheduler", args: []string{"--shard", "auto"}, wantErr: "no shard index in the environment"},
		{name: "count without auto", args: []string{"--shard-count", "4"}, wantErr: "--shard-count needs --shard auto"},
		{name: "resume sets out", args: []string{"--resume", "prev"}, wantOut: "prev"},
		{name: "resume and same out", args: []string{"--resume", "prev/", "--out", "prev"}, wantOut: "prev/"},
		{name: "resume and other out", args: []string{"--resume", "prev", "--out", "other"}, wantErr: "drop --out other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env = tt.env
			var got *RunOptions
			f := &Factory{}
			root := NewRootCmd(f)
			for _, c := range root.Commands() {
				if c.Name() == "run" {
					root.RemoveCommand(c)
				}
			}
			root.AddCommand(newCmdRun(f, func(_ context.Context, o *RunOptions) error { got = o; return nil }))
			var errb bytes.Buffer
			f.Stdout, f.Stderr = &bytes.Buffer{}, &errb
			root.SetArgs(append([]string{"run", "x.yaml"}, tt.args...))
			code := execute(context.Background(), root, &errb)
			if tt.wantErr != "" {
				if code != ExitUsage || !strings.Contains(errb.String(), tt.wantErr) {
					t.Errorf("exit %d, stderr %q; want usage error %q", code, errb.String(), tt.wantErr)
				}
				return
			}
			if code != 0 || got == nil {
				t.Fatalf("exit %d, stderr %q", code, errb.String())
			}
			if (got.Scale.Part == nil) != (tt.wantPart == nil) || (got.Scale.Part != nil && *got.Scale.Part != *tt.wantPart) {
				t.Errorf("part = %v, want %v", got.Scale.Part, tt.wantPart)
			}
			if got.Global.Out != tt.wantOut {
				t.Errorf("out = %q, want %q", got.Global.Out, tt.wantOut)
			}
		})
	}
}

// TestShardMergeEqualsSingleRun runs a spec whole, with two workers, and
// as three shards, and checks that the merge of the shards writes the
// single run's results.json byte for byte; then that merge names missing
// and doubled parts and records.
func TestShardMergeEqualsSingleRun(t *testing.T) {
	dir := t.TempDir()
	specFile := writeScaleSpec(t, dir, "reference", 2, 3)
	single := filepath.Join(dir, "single")
	mustRun(t, "run", specFile, "--out", single, "--quiet", "--workers", "1")
	want := readFile(t, filepath.Join(single, "results.json"))

	two := filepath.Join(dir, "two-workers")
	mustRun(t, "run", specFile, "--out", two, "--quiet", "--workers", "2")
	if got := readFile(t, filepath.Join(two, "results.json")); !bytes.Equal(got, want) {
		t.Error("results.json with --workers 2 differs from --workers 1")
	}

	var parts []string
	rows := 0
	for k := range 3 {
		p := filepath.Join(dir, "part-"+itoa(k))
		stdout, _ := mustRun(t, "run", specFile, "--out", p, "--shard", itoa(k)+"/3")
		if !strings.Contains(stdout, "shard "+itoa(k)+"/3") || !strings.Contains(stdout, PartFile) {
			t.Errorf("shard %d stdout: %s", k, stdout)
		}
		ps, err := readParts([]string{p})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range ps[0].Result.Records {
			if shard.Of(r.Record, 3) != k {
				t.Errorf("part %d holds record %s of part %d", k, r.Record, shard.Of(r.Record, 3))
			}
		}
		rows += len(ps[0].Result.Records)
		parts = append(parts, p)
	}
	if rows != 16 {
		t.Errorf("the parts hold %d rows, want 16 (8 records × 2 attacks)", rows)
	}
	merged := filepath.Join(dir, "merged")
	stdout, _ := mustRun(t, append([]string{"merge", "--out", merged}, parts...)...)
	if !strings.Contains(stdout, "verdict: ") {
		t.Errorf("merge stdout lacks the verdict: %s", stdout)
	}
	got := readFile(t, filepath.Join(merged, "results.json"))
	if !bytes.Equal(got, want) {
		t.Fatalf("merged results.json differs from the single run's:\n%s", firstDiff(got, want))
	}
	for _, name := range []string{"report.html", "manifest.json", "junit.xml"} {
		if _, err := os.Stat(filepath.Join(merged, name)); err != nil {
			t.Errorf("merge did not write %s: %v", name, err)
		}
	}

	// Broken sets of parts: each must be refused with a message naming
	// the problem.
	doctored := func(name string, edit func(p *partFile)) string {
		d := filepath.Join(dir, name)
		os.MkdirAll(d, 0o755)
		ps, err := readParts([]string{parts[1]})
		if err != nil {
			t.Fatal(err)
		}
		edit(&ps[0].partFile)
		b, _ := json.Marshal(ps[0].partFile)
		os.WriteFile(filepath.Join(d, PartFile), b, 0o644)
		return d
	}
	var firstRow string
	dropRow := doctored("drop-row", func(p *partFile) {
		firstRow = p.Result.Records[0].Record + "/" + p.Result.Records[0].Attack
		p.Result.Records = p.Result.Records[1:]
	})
	otherSeed := doctored("other-seed", func(p *partFile) { p.Result.Run.Seed++ })
	p0, err := readParts([]string{parts[0]})
	if err != nil {
		t.Fatal(err)
	}
	stolen := p0[0].Result.Records[0]
	addRow := doctored("add-row", func(p *partFile) { p.Result.Records = append(p.Result.Records, stolen) })
	tests := []struct {
		name  string
		parts []string
		want  []string
	}{
		{"missing part", []string{parts[0], parts[2]}, []string{"missing parts: 1/3"}},
		{"part twice", []string{parts[0], parts[1], parts[1], parts[2]}, []string{"part 1/3 is given twice"}},
		{"missing row", []string{parts[0], dropRow, parts[2]}, []string{"missing (record/attack): " + firstRow}},
		{"doubled row", []string{parts[0], addRow, parts[2]}, []string{"doubled (record/attack): " + stolen.Record + "/" + stolen.Attack, "belongs to part 0/3"}},
		{"other seed", []string{parts[0], otherSeed, parts[2]}, []string{"seed is 6, but 5"}},
		{"not a part", []string{parts[0], single}, []string{"no part.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, &Factory{OpenClassifier: openClassifier}, append([]string{"merge", "--out", filepath.Join(dir, "bad")}, tt.parts...)...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d (stderr %s)", code, ExitUsage, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
	// The spec file changed after the parts ran.
	writeScaleSpec(t, dir, "reference", 2, 4)
	code, _, stderr := runCLI(t, &Factory{OpenClassifier: openClassifier}, append([]string{"merge", "--out", filepath.Join(dir, "bad")}, parts...)...)
	if code != ExitUsage || !strings.Contains(stderr, "has changed since the parts ran") {
		t.Errorf("merge after the spec changed: exit %d, stderr %s", code, stderr)
	}
}

// firstDiff shows where two byte slices first differ.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(i-200, 0)
	return "got:  …" + string(a[lo:min(i+200, len(a))]) + "\nwant: …" + string(b[lo:min(i+200, len(b))])
}

// TestScaleHelperProcess is the ecgrobust CLI for tests that need it as a
// separate process (to kill it): the arguments are in
// ECGROBUST_SCALE_ARGS, separated by \x1f.
func TestScaleHelperProcess(t *testing.T) {
	if os.Getenv("ECGROBUST_SCALE_HELPER") != "1" {
		t.Skip("helper process for TestResumeAfterKill")
	}
	os.Args = append([]string{"ecgrobust"}, strings.Split(os.Getenv("ECGROBUST_SCALE_ARGS"), "\x1f")...)
	os.Exit(int(Main()))
}

func journalRows(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return max(bytes.Count(b, []byte("\n"))-1, 0)
}

// TestResumeAfterKill starts a run as a separate process, kills it with
// SIGKILL after its first batch reached the journal, resumes it, and
// checks that results.json equals an uninterrupted run's and that the
// journal holds every row exactly once: no row was computed twice (the
// journal receives only newly computed rows) and none was lost.
func TestResumeAfterKill(t *testing.T) {
	dir := t.TempDir()
	specFile := writeScaleSpec(t, dir, "reference", 3, 6)
	whole := filepath.Join(dir, "whole")
	mustRun(t, "run", specFile, "--out", whole, "--quiet")
	want := readFile(t, filepath.Join(whole, "results.json"))
	total := journalRows(filepath.Join(whole, journal.File))
	if total != 24 {
		t.Fatalf("uninterrupted journal has %d rows, want 24 (12 records × 2 attacks)", total)
	}

	out := filepath.Join(dir, "killed")
	cmd := exec.Command(os.Args[0], "-test.run=^TestScaleHelperProcess$")
	cmd.Env = append(os.Environ(), "ECGROBUST_SCALE_HELPER=1",
		"ECGROBUST_SCALE_ARGS="+strings.Join([]string{"run", specFile, "--out", out, "--quiet"}, "\x1f"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	var wg sync.WaitGroup
	wg.Add(1)
	exited := make(chan struct{})
	go func() { defer wg.Done(); waitErr = cmd.Wait(); close(exited) }()
	jpath := filepath.Join(out, journal.File)
	deadline := time.After(2 * time.Minute)
poll:
	for {
		select {
		case <-exited:
			t.Fatalf("the run ended before it could be killed (%v): %s", waitErr, stderr.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatal("no row reached the journal within 2 minutes")
		case <-time.After(5 * time.Millisecond):
			if journalRows(jpath) > 0 {
				break poll
			}
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	var ee *exec.ExitError
	if !errors.As(waitErr, &ee) || ee.ExitCode() != -1 {
		t.Fatalf("the run was not killed: %v", waitErr)
	}
	if _, err := os.Stat(filepath.Join(out, "results.json")); err == nil {
		t.Fatal("the killed run wrote results.json")
	}
	c, err := journal.Read(jpath)
	if err != nil {
		t.Fatalf("journal after kill -9: %v", err)
	}
	before := len(c.Rows)
	if before == 0 || before >= total {
		t.Fatalf("killed with %d of %d rows journaled; want some but not all", before, total)
	}

	mustRun(t, "run", specFile, "--resume", out, "--quiet")
	got := readFile(t, filepath.Join(out, "results.json"))
	if !bytes.Equal(got, want) {
		t.Fatalf("resumed results.json differs from the uninterrupted run's:\n%s", firstDiff(got, want))
	}
	c, err = journal.Read(jpath) // fails on a (record, attack) written twice
	if err != nil {
		t.Fatalf("journal after resume: %v", err)
	}
	if len(c.Rows) != total {
		t.Errorf("journal holds %d rows after resume (%d before the kill), want %d: each computed once", len(c.Rows), before, total)
	}
	t.Logf("killed after %d of %d rows; resume computed the other %d", before, total, len(c.Rows)-before)
}

// TestResumeTornJournal resumes from a journal cut in the middle of a
// line, as a kill during a write leaves it.
func TestResumeTornJournal(t *testing.T) {
	dir := t.TempDir()
	specFile := writeScaleSpec(t, dir, "reference", 1, 2)
	out := filepath.Join(dir, "out")
	mustRun(t, "run", specFile, "--out", out, "--quiet")
	want := readFile(t, filepath.Join(out, "results.json"))
	jpath := filepath.Join(out, journal.File)
	b := readFile(t, jpath)
	lines := bytes.SplitAfter(b, []byte("\n"))
	torn := bytes.Join(lines[:3], nil)
	torn = append(torn, lines[3][:len(lines[3])/2]...)
	os.WriteFile(jpath, torn, 0o644)
	os.Remove(filepath.Join(out, "results.json"))
	mustRun(t, "run", specFile, "--resume", out, "--quiet")
	if got := readFile(t, filepath.Join(out, "results.json")); !bytes.Equal(got, want) {
		t.Fatalf("results.json after resuming a torn journal differs:\n%s", firstDiff(got, want))
	}
	if got := journalRows(jpath); got != len(lines)-2 {
		t.Errorf("journal has %d rows after resume, want %d", got, len(lines)-2)
	}
	// Another spec must not resume this journal.
	other := writeScaleSpec(t, t.TempDir(), "reference", 1, 3)
	code, _, stderr := runCLI(t, &Factory{OpenClassifier: openClassifier}, "run", other, "--resume", out, "--quiet")
	if code != ExitUsage || !strings.Contains(stderr, "spec sha256") {
		t.Errorf("resume with another spec: exit %d, stderr %s", code, stderr)
	}
}

func TestUnwritableOutBeforeWork(t *testing.T) {
	dir := t.TempDir()
	specFile := writeScaleSpec(t, dir, "reference", 1, 2)
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, nil, 0o644)
	opened := false
	f := &Factory{OpenClassifier: func(ctx context.Context, req ClassifierRequest) (*OpenedModel, error) {
		opened = true
		return openClassifier(ctx, req)
	}}
	code, _, stderr := runCLI(t, f, "run", specFile, "--out", filepath.Join(file, "out"), "--quiet")
	if code != ExitRuntime || !strings.Contains(stderr, "output directory") || opened {
		t.Errorf("out under a file: exit %d, model opened %v, stderr %s", code, opened, stderr)
	}
	if err := checkFreeSpace(dir, 1<<62); !errors.Is(err, errNoSpace) || !strings.Contains(err.Error(), dir) {
		t.Errorf("checkFreeSpace(need 4 EiB) = %v, want errNoSpace naming the directory", err)
	}
	if err := checkFreeSpace(dir, 1); err != nil {
		t.Errorf("checkFreeSpace(need 1 byte) = %v", err)
	}
}

var (
	faultyOnce sync.Once
	faultyBin  string
	faultyErr  error
)

// buildFaulty builds the fault fixture plugin (plugins/internal/fixture).
func buildFaulty(t testing.TB) string {
	t.Helper()
	faultyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ecgrobust-faulty-")
		if err != nil {
			faultyErr = err
			return
		}
		faultyBin = filepath.Join(dir, "faulty")
		out, err := exec.Command("go", "build", "-o", faultyBin, "github.com/ecgrobust/ecgrobust/plugins/internal/fixture/faulty").CombinedOutput()
		if err != nil {
			faultyErr = errors.New(string(out))
		}
	})
	if faultyErr != nil {
		t.Fatalf("build the fixture plugin: %v", faultyErr)
	}
	return faultyBin
}

// faultSpec runs the fixture plugin in a mode on 8 demo records.
const faultSpec = `apiVersion: ecgrobust/v1
kind: RobustnessSpec
metadata: {name: faults, version: 0.1.0, description: Plugin faults during a run.}
model: {plugin: %s, args: [%s], retries: %d}
dataset: {source: demo, per_class: 2}
seed: 3
attacks:
  - {id: pgd, type: pgd, steps: 3}
limits: {max_errored_fraction: 0.1}
criteria:
  - {id: clean, expr: clean_accuracy >= 0}
`

func runFault(t *testing.T, dir, args string, retries int, extra ...string) (ExitCode, []byte, string) {
	t.Helper()
	bin := buildFaulty(t)
	s := strings.Replace(faultSpec, "%s", bin, 1)
	s = strings.Replace(s, "%s", args, 1)
	s = strings.Replace(s, "%d", itoa(retries), 1)
	specFile := filepath.Join(dir, "faults.yaml")
	os.WriteFile(specFile, []byte(s), 0o644)
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCLI(t, &Factory{OpenClassifier: openClassifier}, append([]string{"run", specFile, "--out", out}, extra...)...)
	if code > ExitInconclusive {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	return code, readFile(t, filepath.Join(out, "results.json")), stdout
}

// TestPluginWorkersAndFaults runs the fixture plugin with one and two
// processes (identical results.json), then crashing on every second call:
// with retries the crashes leave no trace in the results; without, the
// records of the crashed calls are errored with the reason, the run
// completes, and the verdict is INCONCLUSIVE because more records errored
// than limits.max_errored_fraction allows.
func TestPluginWorkersAndFaults(t *testing.T) {
	_, one, _ := runFault(t, t.TempDir(), `"-mode="`, 2, "--workers", "1", "--quiet")
	_, two, _ := runFault(t, t.TempDir(), `"-mode="`, 2, "--workers", "2", "--quiet")
	if !bytes.Equal(one, two) {
		t.Errorf("plugin results.json with 2 workers differs from 1:\n%s", firstDiff(two, one))
	}
	rowsOf := func(b []byte) (rows []map[string]any, metrics map[string]any, verdict string) {
		var r struct {
			Records []map[string]any `json:"records"`
			Metrics map[string]any   `json:"metrics"`
			Verdict string           `json:"verdict"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		return r.Records, r.Metrics, r.Verdict
	}
	goodRows, goodMetrics, _ := rowsOf(one)

	code, flaky, _ := runFault(t, t.TempDir(), `"-mode=flaky", "-every=2"`, 2, "--quiet")
	rows, metrics, _ := rowsOf(flaky)
	if code != ExitPass || !jsonEqual(rows, goodRows) || !jsonEqual(metrics, goodMetrics) {
		t.Errorf("with retries, a plugin crashing on every second call gave other results (exit %d)", code)
	}

	brokenDir := t.TempDir()
	code, broken, stdout := runFault(t, brokenDir, `"-mode=flaky", "-every=2"`, 0)
	rows, _, verdict := rowsOf(broken)
	errored := 0
	for _, r := range rows {
		if e, _ := r["error"].(string); e != "" {
			errored++
			if !strings.Contains(e, "plugin process exited") || !strings.Contains(e, "model.retries is 0") {
				t.Errorf("record %v errored without the reason: %q", r["record"], e)
			}
		}
	}
	if errored == 0 || errored == len(rows) {
		t.Errorf("%d of %d rows errored without retries; want some", errored, len(rows))
	}
	if code != ExitInconclusive || verdict != "INCONCLUSIVE" || !strings.Contains(stdout, "max_errored_fraction") {
		t.Errorf("without retries: exit %d, verdict %s; stdout %s", code, verdict, stdout)
	}

	// --resume tries the errored rows again and keeps the others; the
	// journal then holds one row per (record, attack).
	out := filepath.Join(brokenDir, "out")
	_, resumed, _ := runFault(t, brokenDir, `"-mode=flaky", "-every=2"`, 0, "--resume", out, "--quiet")
	again, _, _ := rowsOf(resumed)
	stillErrored := 0
	for i, r := range again {
		if e, _ := r["error"].(string); e != "" {
			stillErrored++
		} else if e0, _ := rows[i]["error"].(string); e0 == "" && !jsonEqual(r, rows[i]) {
			t.Errorf("resume changed the finished row %v", r["record"])
		}
	}
	if stillErrored > errored {
		t.Errorf("%d errored rows before resume, %d after", errored, stillErrored)
	}
	jpath := filepath.Join(out, journal.File)
	if got := journalRows(jpath); got != len(rows)+errored {
		t.Errorf("journal has %d lines of rows after resume, want %d: the %d errored rows written again", got, len(rows)+errored, errored)
	}
	c, err := journal.Read(jpath)
	if err != nil || len(c.Rows) != len(rows) {
		t.Errorf("journal after resume: %v rows, err %v; want %d", len(c.Rows), err, len(rows))
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
