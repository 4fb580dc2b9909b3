// Package shard splits a run's records into n parts that separate
// processes, machines or cluster tasks run independently, and reads the
// part a process must run from the command line or from the environment
// of the scheduler that started it (Kubernetes Indexed Jobs, Slurm job
// arrays).
//
// A record's part depends only on its ID and n ([Of]): not on the data
// set's order, on the other records, or on which part runs first, so any
// process can tell which part a record belongs to and a merge can check
// that every record was run exactly once.
package shard

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxCount is the largest number of parts accepted.
const MaxCount = 100_000

// Part is the Index-th (0-based) of Count parts.
type Part struct {
	Index, Count int
}

// String returns "k/n" with k 0-based.
func (p Part) String() string { return fmt.Sprintf("%d/%d", p.Index, p.Count) }

// Has reports whether the record with this ID belongs to p.
func (p Part) Has(recordID string) bool { return Of(recordID, p.Count) == p.Index }

// Of returns the part (0 ≤ part < n) of a record: the first 8 bytes of
// SHA-256("ecgrobust/shard/v1" ‖ 0 ‖ recordID), big-endian, modulo n.
// With thousands of records the parts are within a few percent of equal
// size.
func Of(recordID string, n int) int {
	if n <= 1 {
		return 0
	}
	h := sha256.New()
	h.Write([]byte("ecgrobust/shard/v1"))
	h.Write([]byte{0})
	h.Write([]byte(recordID))
	sum := h.Sum(nil)
	return int(binary.BigEndian.Uint64(sum[:8]) % uint64(n))
}

// Parse reads "k/n" (0 ≤ k < n).
func Parse(s string) (Part, error) {
	ks, ns, ok := strings.Cut(s, "/")
	if !ok {
		return Part{}, fmt.Errorf("shard %q: want k/n, e.g. 0/4 for the first of four parts", s)
	}
	k, err1 := strconv.Atoi(strings.TrimSpace(ks))
	n, err2 := strconv.Atoi(strings.TrimSpace(ns))
	if err1 != nil || err2 != nil {
		return Part{}, fmt.Errorf("shard %q: k and n must be integers, e.g. 0/4", s)
	}
	return check(Part{Index: k, Count: n}, s)
}

func check(p Part, what string) (Part, error) {
	if p.Count < 1 || p.Count > MaxCount {
		return Part{}, fmt.Errorf("shard %s: count %d out of range 1..%d", what, p.Count, MaxCount)
	}
	if p.Index < 0 || p.Index >= p.Count {
		return Part{}, fmt.Errorf("shard %s: index %d out of range 0..%d (indices are 0-based)", what, p.Index, p.Count-1)
	}
	return p, nil
}

// Environment variables read by FromEnv.
const (
	// EnvJobIndex is set by Kubernetes in the pods of an Indexed Job.
	EnvJobIndex = "JOB_COMPLETION_INDEX"
	// EnvSlurmID, EnvSlurmCount and EnvSlurmMin are set by Slurm in the
	// tasks of a job array (sbatch --array).
	EnvSlurmID    = "SLURM_ARRAY_TASK_ID"
	EnvSlurmCount = "SLURM_ARRAY_TASK_COUNT"
	EnvSlurmMin   = "SLURM_ARRAY_TASK_MIN"
)

// ErrNoScheduler is returned by FromEnv when neither a Kubernetes Indexed
// Job nor a Slurm job array set the environment.
var ErrNoScheduler = errors.New("shard: no shard index in the environment (" + EnvJobIndex + " or " + EnvSlurmID + ")")

// FromEnv returns the part of a process started by a scheduler, reading
// variables through getenv (os.Getenv in production):
//
//   - Kubernetes Indexed Job: JOB_COMPLETION_INDEX is k; the count is not
//     in the environment and must be given (count, e.g. from the Job's
//     completions through a flag).
//   - Slurm job array: k = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN (so
//     --array=1-4 works as well as 0-3) and n = SLURM_ARRAY_TASK_COUNT;
//     a count given here must agree with it.
//
// count ≤ 0 means not given. The source is named in the returned string.
func FromEnv(getenv func(string) string, count int) (Part, string, error) {
	if v := getenv(EnvJobIndex); v != "" {
		k, err := strconv.Atoi(v)
		if err != nil {
			return Part{}, "", fmt.Errorf("shard: %s=%q is not an integer", EnvJobIndex, v)
		}
		if count <= 0 {
			return Part{}, "", fmt.Errorf("shard: %s=%d gives the index but not the count; pass the Job's completions as --shard-count", EnvJobIndex, k)
		}
		p, err := check(Part{Index: k, Count: count}, EnvJobIndex)
		return p, "kubernetes " + EnvJobIndex, err
	}
	if v := getenv(EnvSlurmID); v != "" {
		id, err := strconv.Atoi(v)
		if err != nil {
			return Part{}, "", fmt.Errorf("shard: %s=%q is not an integer", EnvSlurmID, v)
		}
		n, err := strconv.Atoi(getenv(EnvSlurmCount))
		if err != nil {
			return Part{}, "", fmt.Errorf("shard: %s=%q but %s=%q is not an integer", EnvSlurmID, v, EnvSlurmCount, getenv(EnvSlurmCount))
		}
		lo := 0
		if m := getenv(EnvSlurmMin); m != "" {
			if lo, err = strconv.Atoi(m); err != nil {
				return Part{}, "", fmt.Errorf("shard: %s=%q is not an integer", EnvSlurmMin, m)
			}
		}
		if count > 0 && count != n {
			return Part{}, "", fmt.Errorf("shard: --shard-count %d but the Slurm array has %s=%d tasks", count, EnvSlurmCount, n)
		}
		p, err := check(Part{Index: id - lo, Count: n}, EnvSlurmID)
		if err != nil {
			err = fmt.Errorf("%w (the array must be contiguous, e.g. --array=0-%d)", err, n-1)
		}
		return p, "slurm " + EnvSlurmID, err
	}
	return Part{}, "", ErrNoScheduler
}
