package shard

import (
	"fmt"
	"strings"
	"testing"
)

func TestOfStableAndBalanced(t *testing.T) {
	const n = 3
	counts := make([]int, n)
	for i := range 3000 {
		id := fmt.Sprintf("A%05d", i)
		k := Of(id, n)
		if k < 0 || k >= n {
			t.Fatalf("Of(%q, %d) = %d", id, n, k)
		}
		if Of(id, n) != k {
			t.Fatal("Of is not deterministic")
		}
		counts[k]++
	}
	for k, c := range counts {
		if c < 900 || c > 1100 {
			t.Errorf("part %d has %d of 3000 records, want about 1000", k, c)
		}
	}
	// Pinned values: changing the assignment would break merges of parts
	// written by older builds.
	if got := []int{Of("A00001", 3), Of("A00002", 3), Of("A08528", 4)}; fmt.Sprint(got) != fmt.Sprint(pinned) {
		t.Errorf("assignment changed: got %v, want %v", got, pinned)
	}
	if Of("x", 1) != 0 || Of("x", 0) != 0 {
		t.Error("a single part must hold every record")
	}
}

var pinned = []int{2, 0, 2}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Part
		err  string
	}{
		{"0/4", Part{0, 4}, ""},
		{" 3 / 4 ", Part{3, 4}, ""},
		{"4/4", Part{}, "index 4 out of range 0..3"},
		{"-1/4", Part{}, "out of range"},
		{"1/0", Part{}, "count 0"},
		{"1", Part{}, "want k/n"},
		{"a/b", Part{}, "integers"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q): err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		count int
		want  Part
		err   string
	}{
		{"kubernetes", map[string]string{EnvJobIndex: "2"}, 4, Part{2, 4}, ""},
		{"kubernetes without count", map[string]string{EnvJobIndex: "2"}, 0, Part{}, "--shard-count"},
		{"kubernetes index too big", map[string]string{EnvJobIndex: "4"}, 4, Part{}, "out of range"},
		{"slurm 0-based", map[string]string{EnvSlurmID: "1", EnvSlurmCount: "3", EnvSlurmMin: "0"}, 0, Part{1, 3}, ""},
		{"slurm 1-based", map[string]string{EnvSlurmID: "3", EnvSlurmCount: "3", EnvSlurmMin: "1"}, 0, Part{2, 3}, ""},
		{"slurm count disagrees", map[string]string{EnvSlurmID: "0", EnvSlurmCount: "3"}, 4, Part{}, "has SLURM_ARRAY_TASK_COUNT=3"},
		{"slurm gap", map[string]string{EnvSlurmID: "7", EnvSlurmCount: "3", EnvSlurmMin: "0"}, 0, Part{}, "contiguous"},
		{"nothing", map[string]string{}, 3, Part{}, "no shard index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, src, err := FromEnv(func(k string) string { return tt.env[k] }, tt.count)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want || src == "" {
				t.Errorf("FromEnv = %v, %q, %v; want %v", got, src, err, tt.want)
			}
		})
	}
}

// FuzzParse checks that Parse never panics and that what it accepts is a
// part of a valid split.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0/4", "3/4", "4/4", "-1/2", "1/0", "x", "1/2/3", " 2 / 9 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		if p.Count < 1 || p.Count > MaxCount || p.Index < 0 || p.Index >= p.Count {
			t.Fatalf("Parse(%q) = %v", s, p)
		}
	})
}
