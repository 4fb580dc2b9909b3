package command

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ecgrobust/ecgrobust/harness/shard"
)

const deployDir = "../../../../deploy"

// parsedCLI is what the command tree made of a command line.
type parsedCLI struct {
	run   *RunOptions
	merge *MergeOptions
}

// parseCLI runs args through the real command tree with run and merge
// replaced by recorders, in an environment holding only env.
func parseCLI(t *testing.T, env map[string]string, args []string) (parsedCLI, error) {
	t.Helper()
	old := getenv
	getenv = func(k string) string { return env[k] }
	defer func() { getenv = old }()
	var got parsedCLI
	f := &Factory{}
	root := NewRootCmd(f)
	for _, c := range root.Commands() {
		if c.Name() == "run" || c.Name() == "merge" {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(
		newCmdRun(f, func(_ context.Context, o *RunOptions) error { got.run = o; return nil }),
		newCmdMerge(f, func(_ context.Context, o *MergeOptions) error { got.merge = o; return nil }))
	var errb bytes.Buffer
	f.Stdout, f.Stderr = &bytes.Buffer{}, &errb
	root.SetArgs(args)
	if code := execute(context.Background(), root, &errb); code != 0 {
		return got, &exitError{code: code, err: errString(errb.String())}
	}
	return got, nil
}

type errString string

func (e errString) Error() string { return string(e) }

var shellVar = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}?`)

// ecgrobustArgs returns the arguments of the `exec ecgrobust` call in a shell
// command, with variables expanded from vars (or their :- defaults) and
// quotes removed.
func ecgrobustArgs(t *testing.T, sh string, vars map[string]string) []string {
	t.Helper()
	i := strings.Index(sh, "exec ecgrobust ")
	if i < 0 {
		t.Fatalf("no ecgrobust command in %q", sh)
	}
	vars = maps.Clone(vars)
	if vars == nil {
		vars = map[string]string{}
	}
	// Defaults assigned before the call: NAME=${NAME:-value}.
	for _, d := range shellDefault.FindAllStringSubmatch(sh[:i], -1) {
		if _, ok := vars[d[1]]; !ok {
			vars[d[1]] = expand(t, d[2], vars)
		}
	}
	return strings.Fields(strings.ReplaceAll(expand(t, strings.SplitN(sh[i+len("exec "):], "\n", 2)[0], vars), `"`, ""))[1:]
}

var shellDefault = regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_]*)=\$\{[A-Za-z_][A-Za-z0-9_]*:-(.*)\}$`)

func expand(t *testing.T, line string, vars map[string]string) string {
	t.Helper()
	return shellVar.ReplaceAllStringFunc(line, func(m string) string {
		g := shellVar.FindStringSubmatch(m)
		if v, ok := vars[g[1]]; ok {
			return v
		}
		if g[2] != "" {
			return g[3]
		}
		t.Fatalf("%q uses $%s, which the test does not set", line, g[1])
		return ""
	})
}

type k8sJob struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct{ Name string }
	Spec       struct {
		CompletionMode string `yaml:"completionMode"`
		Completions    int    `yaml:"completions"`
		Template       struct {
			Spec struct {
				Containers []struct {
					Image        string
					Command      []string
					Args         []string
					VolumeMounts []struct {
						Name      string
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				}
				Volumes []struct {
					Name                  string
					PersistentVolumeClaim struct {
						ClaimName string `yaml:"claimName"`
					} `yaml:"persistentVolumeClaim"`
				}
			}
		}
	}
}

func readJob(t *testing.T, name string) (k8sJob, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, "kubernetes", name))
	if err != nil {
		t.Fatal(err)
	}
	var j k8sJob
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&j); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if j.APIVersion != "batch/v1" || j.Kind != "Job" || len(j.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: not a batch/v1 Job with one container: %+v", name, j)
	}
	c := j.Spec.Template.Spec.Containers[0]
	if len(c.Command) != 2 || c.Command[0] != "/bin/sh" || c.Command[1] != "-c" || len(c.Args) != 1 {
		t.Fatalf("%s: want command [/bin/sh -c] and one shell line, got %q %q", name, c.Command, c.Args)
	}
	mounted := map[string]bool{}
	for _, m := range c.VolumeMounts {
		mounted[m.MountPath] = true
	}
	if !mounted["/results"] {
		t.Errorf("%s: /results (the shared volume) is not mounted", name)
	}
	for _, v := range j.Spec.Template.Spec.Volumes {
		if v.Name == "results" && v.PersistentVolumeClaim.ClaimName != "ecgrobust-results" {
			t.Errorf("%s: results volume claims %q, want ecgrobust-results (volume.yaml)", name, v.PersistentVolumeClaim.ClaimName)
		}
	}
	return j, c.Args[0]
}

func TestKubernetesManifests(t *testing.T) {
	var pvc struct {
		Kind string
		Spec struct {
			AccessModes []string `yaml:"accessModes"`
		}
	}
	b, err := os.ReadFile(filepath.Join(deployDir, "kubernetes", "volume.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &pvc); err != nil || pvc.Kind != "PersistentVolumeClaim" || len(pvc.Spec.AccessModes) != 1 || pvc.Spec.AccessModes[0] != "ReadWriteMany" {
		t.Errorf("volume.yaml: want a ReadWriteMany PersistentVolumeClaim, got %+v (%v)", pvc, err)
	}

	j, sh := readJob(t, "shards-job.yaml")
	n := j.Spec.Completions
	if j.Spec.CompletionMode != "Indexed" || n < 2 {
		t.Fatalf("shards-job.yaml: completionMode %q, completions %d; want an Indexed Job", j.Spec.CompletionMode, n)
	}
	for k := range n {
		idx := strconv.Itoa(k)
		args := ecgrobustArgs(t, sh, map[string]string{"JOB_COMPLETION_INDEX": idx})
		got, err := parseCLI(t, map[string]string{shard.EnvJobIndex: idx}, args)
		if err != nil || got.run == nil {
			t.Fatalf("shards-job.yaml: ecgrobust %s: %v", strings.Join(args, " "), err)
		}
		if p := got.run.Scale.Part; p == nil || *p != (shard.Part{Index: k, Count: n}) {
			t.Errorf("pod %d runs part %v, want %d/%d (is --shard-count equal to completions?)", k, p, k, n)
		}
		if want := "/results/part-" + idx; got.run.Global.Out != want || got.run.Scale.Resume != want {
			t.Errorf("pod %d writes to %q (resume %q), want %s", k, got.run.Global.Out, got.run.Scale.Resume, want)
		}
	}

	_, sh = readJob(t, "merge-job.yaml")
	args := ecgrobustArgs(t, sh, nil)
	got, err := parseCLI(t, nil, args)
	if err != nil || got.merge == nil {
		t.Fatalf("merge-job.yaml: ecgrobust %s: %v", strings.Join(args, " "), err)
	}
	if len(got.merge.Parts) != 1 || got.merge.Parts[0] != "/results/part-*/" || got.merge.Global.Out != "/results/merged" {
		t.Errorf("merge-job.yaml merges %q into %q", got.merge.Parts, got.merge.Global.Out)
	}
}

func TestSlurmScripts(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(deployDir, "slurm", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	shards := read("ecgrobust-shards.sbatch")
	m := regexp.MustCompile(`(?m)^#SBATCH --array=0-(\d+)$`).FindStringSubmatch(shards)
	if m == nil {
		t.Fatal("ecgrobust-shards.sbatch: no #SBATCH --array=0-N line")
	}
	last, _ := strconv.Atoi(m[1])
	n := last + 1
	for k := range n {
		idx := strconv.Itoa(k)
		env := map[string]string{shard.EnvSlurmID: idx, shard.EnvSlurmCount: strconv.Itoa(n), shard.EnvSlurmMin: "0"}
		args := ecgrobustArgs(t, shards, map[string]string{"SLURM_ARRAY_TASK_ID": idx, "PWD": "/w", "SLURM_CPUS_PER_TASK": "2"})
		got, err := parseCLI(t, env, args)
		if err != nil || got.run == nil {
			t.Fatalf("ecgrobust-shards.sbatch: ecgrobust %s: %v", strings.Join(args, " "), err)
		}
		if p := got.run.Scale.Part; p == nil || *p != (shard.Part{Index: k, Count: n}) {
			t.Errorf("task %d runs part %v, want %d/%d", k, p, k, n)
		}
		if want := "/w/results/part-" + idx; got.run.Global.Out != want {
			t.Errorf("task %d writes to %q, want %s", k, got.run.Global.Out, want)
		}
	}
	merge := read("ecgrobust-merge.sbatch")
	args := ecgrobustArgs(t, merge, map[string]string{"PWD": "/w"})
	got, err := parseCLI(t, nil, args)
	if err != nil || got.merge == nil || got.merge.Global.Out != "/w/results/merged" {
		t.Fatalf("ecgrobust-merge.sbatch: ecgrobust %s: %+v, %v", strings.Join(args, " "), got.merge, err)
	}
	submit := read("submit.sh")
	for _, want := range []string{"sbatch --parsable --export=ALL ecgrobust-shards.sbatch", "--dependency=afterok:\"$shards\" ecgrobust-merge.sbatch"} {
		if !strings.Contains(submit, want) {
			t.Errorf("submit.sh lacks %q", want)
		}
	}
}
