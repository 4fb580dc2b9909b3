// Package reporttest builds realistic engine.Result values for tests of
// report renderers and commands, without running an engine: a seeded
// synthetic ECG, PGD's square-wave perturbation next to SAP's smooth one,
// per-class figures, a flip matrix, a black-box query curve and a
// noise-stress sweep.
package reporttest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/verdict"
)

// Rate and Gain of the fixture's signals (CinC 2017: 300 Hz, 1000 adu/mV).
const (
	Rate = 300.0
	Gain = 1000.0
)

// Result returns a FAIL run of an audit-style spec over six records: PGD
// and SAP at 5 and 10 µV, black-box SAP, and a noise-stress sweep. The
// same call always returns the same value.
func Result() *engine.Result {
	rng := rand.New(rand.NewPCG(2020, 360))
	classes := []string{"N", "A", "O", "~"}
	r := &engine.Result{
		SchemaVersion: engine.SchemaVersion,
		Run: engine.RunInfo{
			Spec: engine.SpecRef{Name: "audit-full", Version: "1.0.0",
				SHA256: "5f1e0c2a9d4b7e3f8a6c1d0e2b4f6a8c9e1d3b5a7c9e0f2d4b6a8c0e2f4a6b8c"},
			Model: engine.ModelRef{Kind: "plugin", Name: "reference-cnn", Version: "1.2.0", Classes: classes,
				SampleRate: Rate, Gain: Gain, InputGradient: true,
				SHA256: "a3c5e7f9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3c5e7b9d1f3a5"},
			Dataset: engine.DatasetRef{Source: "cinc2017", Split: "han2020-test",
				SHA256: "0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d", Records: 6},
			Seed:           42,
			HarnessVersion: "0.1.0-test",
		},
	}
	records := []struct{ id, label, clean string }{
		{"A00001", "N", "N"}, {"A00004", "A", "A"}, {"A00008", "O", "O"},
		{"A00022", "~", "~"}, {"A00031", "N", "N"}, {"A00057", "A", "O"},
	}
	type atk struct {
		id, typ, grad string
		eps           float64
		succ          []bool
		queries       int64
	}
	attacks := []atk{
		{"pgd_5uv", "pgd", "plugin", 5, []bool{true, false, false, true, false, false}, 21},
		{"pgd_10uv", "pgd", "plugin", 10, []bool{true, true, false, true, true, false}, 21},
		{"sap_5uv", "sap", "plugin", 5, []bool{false, true, false, false, false, false}, 61},
		{"sap_10uv", "sap", "plugin", 10, []bool{true, true, false, false, true, false}, 61},
		{"sap_blackbox", "sap", "finite-difference", 10, []bool{true, false, false, false, true, false}, 5000},
		{"noise_ec57", "noise-stress", "", 0, nil, 0},
	}
	flipTo := map[string]string{"N": "A", "A": "N", "O": "N", "~": "O"}
	for _, rec := range records {
		for _, a := range attacks {
			row := engine.RecordResult{Record: rec.id, Attack: a.id, TrueLabel: rec.label, CleanLabel: rec.clean,
				CleanScores: scores(rng, classes, rec.clean)}
			row.Attacked = rec.clean == rec.label
			if a.typ == "noise-stress" {
				row.AdvLabel = rec.clean
				row.Queries = 18
				r.Records = append(r.Records, row)
				continue
			}
			i := recordIndex(rec.id)
			row.Success = row.Attacked && a.succ[i]
			row.AdvLabel = rec.clean
			if row.Success {
				row.AdvLabel = flipTo[rec.label]
			}
			row.AdvScores = scores(rng, classes, row.AdvLabel)
			if row.Attacked {
				row.LinfUV = a.eps
				row.L2UV = round(a.eps*math.Sqrt(9000)*(0.6+0.3*rng.Float64()), 3)
				snr := round(38+6*rng.Float64(), 3)
				row.SNRdB = &snr
				row.HighFreqFraction = 0.41
				if a.typ == "sap" {
					row.HighFreqFraction = 0.012
				}
				row.Queries = a.queries
			}
			r.Records = append(r.Records, row)
		}
	}

	// Summaries consistent with the rows above.
	r.Metrics = map[string]float64{
		"records":                6,
		"errored_fraction":       0,
		"clean_accuracy":         5.0 / 6,
		"clean_accuracy_ci_low":  0.4365,
		"clean_accuracy_ci_high": 0.9699,
	}
	for _, a := range attacks {
		s := engine.AttackSummary{ID: a.id, Type: a.typ, EpsilonUV: a.eps, Gradient: a.grad, Records: len(records)}
		if a.typ == "noise-stress" {
			s.Metrics = map[string]float64{"errored_fraction": 0}
			for _, n := range []string{"em", "bw", "ma"} {
				c := engine.Curve{Name: "accuracy vs SNR (" + n + ")", XLabel: "SNR (dB)", YLabel: "Accuracy"}
				for k, snr := range []float64{24, 18, 12, 6, 0, -6} {
					acc := 5.0 / 6
					if k >= 3 {
						acc = float64(5-(k-2)) / 6
					}
					if n == "bw" && k >= 4 {
						acc += 1.0 / 6
					}
					if n == "ma" && k >= 2 {
						acc -= 1.0 / 6
					}
					c.X = append(c.X, snr)
					c.Y = append(c.Y, round(acc, 4))
					s.Metrics["accuracy_"+n+"_"+strconv.FormatFloat(snr, 'f', -1, 64)] = round(acc, 4)
				}
				s.Curves = append(s.Curves, c)
			}
			lowest := 1.0
			for _, c := range s.Curves {
				for _, y := range c.Y {
					lowest = math.Min(lowest, y)
				}
			}
			s.Metrics["accuracy_min"] = lowest
			s.Metrics["accuracy_drop_max"] = round(r.Metrics["clean_accuracy"]-lowest, 4)
			r.Attacks = append(r.Attacks, s)
			continue
		}
		succ, attacked := 0, 0
		s.PerClass = map[string]map[string]float64{}
		s.FlipMatrix = map[string]map[string]int{}
		perClassN := map[string]int{}
		perClassS := map[string]int{}
		for _, row := range r.Records {
			if row.Attack != a.id || !row.Attacked {
				continue
			}
			attacked++
			perClassN[row.TrueLabel]++
			if row.Success {
				succ++
				perClassS[row.TrueLabel]++
			}
			if s.FlipMatrix[row.TrueLabel] == nil {
				s.FlipMatrix[row.TrueLabel] = map[string]int{}
			}
			s.FlipMatrix[row.TrueLabel][row.AdvLabel]++
		}
		for c, n := range perClassN {
			s.PerClass[c] = map[string]float64{"attacked": float64(n), "success_rate": round(float64(perClassS[c])/float64(n), 4)}
		}
		// Records per class and correct before/after, as the engine reports.
		for _, c := range classes {
			var recs, clean, robust int
			for _, row := range r.Records {
				if row.Attack != a.id || row.TrueLabel != c {
					continue
				}
				recs++
				if row.CleanLabel == c {
					clean++
				}
				if row.AdvLabel == c {
					robust++
				}
			}
			if recs == 0 {
				continue
			}
			if s.PerClass[c] == nil {
				s.PerClass[c] = map[string]float64{"attacked": 0}
			}
			s.PerClass[c]["records"] = float64(recs)
			s.PerClass[c]["clean_accuracy"] = round(float64(clean)/float64(recs), 4)
			s.PerClass[c]["robust_accuracy"] = round(float64(robust)/float64(recs), 4)
		}
		rate := float64(succ) / float64(attacked)
		lo, hi := wilson(succ, attacked)
		s.Metrics = map[string]float64{
			"success_rate": round(rate, 4), "success_rate_ci_low": lo, "success_rate_ci_high": hi,
			"robust_accuracy": round(float64(attacked-succ)/6, 4), "attacked": float64(attacked),
			"errored_fraction": 0, "linf_uv_mean": a.eps, "l2_uv_mean": round(a.eps*70, 3),
			"snr_db_mean": 40.2, "high_freq_fraction_mean": 0.41, "queries_mean": float64(a.queries),
		}
		if a.typ == "sap" {
			s.Metrics["high_freq_fraction_mean"] = 0.012
		}
		if a.grad == "finite-difference" {
			s.Curves = []engine.Curve{{Name: "success vs queries", XLabel: "Queries per record", YLabel: "Success rate",
				X: []float64{0, 500, 1000, 2000, 3000, 4000, 5000}, Y: []float64{0, 0.1, 0.2, 0.2, 0.4, 0.4, 0.4}}}
		}
		r.Attacks = append(r.Attacks, s)
		for k, v := range s.Metrics {
			r.Metrics[a.id+"_"+k] = v
		}
	}
	for k, v := range r.Attacks[5].Metrics {
		r.Metrics["noise_ec57_"+k] = v
	}

	r.Criteria = []verdict.CriterionResult{
		{ID: "clean-accuracy", Description: "The model is accurate enough to be worth attacking", Severity: "error",
			Expr: "clean_accuracy >= 0.75", Values: map[string]float64{"clean_accuracy": r.Metrics["clean_accuracy"]}, Outcome: verdict.Pass},
		{ID: "sap-10uv", Description: "SAP at 10 µV flips at most 5 % of correctly classified records", Severity: "error",
			Expr:    "sap_10uv_success_rate_ci_high <= 0.05",
			Values:  map[string]float64{"sap_10uv_success_rate_ci_high": r.Metrics["sap_10uv_success_rate_ci_high"]},
			Outcome: verdict.Fail, Reason: fmt.Sprintf("sap_10uv_success_rate_ci_high = %.4g > 0.05", r.Metrics["sap_10uv_success_rate_ci_high"])},
		{ID: "pgd-and-noise", Description: "PGD at 5 µV, and EC57 noise down to −6 dB", Severity: "error",
			Expr:    "pgd_5uv_success_rate < 0.5 && noise_ec57_accuracy_min >= 0.15",
			Values:  map[string]float64{"pgd_5uv_success_rate": r.Metrics["pgd_5uv_success_rate"], "noise_ec57_accuracy_min": r.Metrics["noise_ec57_accuracy_min"]},
			Outcome: verdict.Pass},
		{ID: "black-box", Description: "Black-box SAP within 5,000 queries", Severity: "error",
			Expr: "sap_blackbox_success_rate <= 0.1", Values: map[string]float64{},
			Outcome: verdict.Inconclusive, Reason: "gradient-fidelity check failed: finite-difference estimate unreliable"},
	}
	r.Criteria = append(r.Criteria, verdict.CriterionResult{ID: "pgd-smooth", Description: "PGD's perturbation is mostly below 40 Hz", Severity: "warning",
		Expr: "pgd_10uv_high_freq_fraction_mean <= 0.1", Values: map[string]float64{"pgd_10uv_high_freq_fraction_mean": r.Metrics["pgd_10uv_high_freq_fraction_mean"]},
		Outcome: verdict.Fail, Reason: fmt.Sprintf("does not hold with pgd_10uv_high_freq_fraction_mean = %.6g", r.Metrics["pgd_10uv_high_freq_fraction_mean"])})
	r.Verdict = verdict.Fail
	r.Reason = "1 of 4 criteria failed: sap-10uv; 1 inconclusive: black-box (warnings: pgd-smooth)"

	// Overlays: the same record under PGD and SAP, 3 s from 2 s in.
	clean := Signal(1200, 2.0)
	r.Examples = []engine.Example{
		example("A00001", "pgd_10uv", "N", "A", clean, 600, SquareWave(rng, len(clean), 10)),
		example("A00001", "sap_10uv", "N", "A", clean, 600, Smooth(rng, len(clean), 10)),
	}
	r.Timings = &engine.Timings{TotalSeconds: 12.5, PerRecord: map[string]float64{"A00001/pgd_10uv": 0.42, "A00001/sap_10uv": 1.31}}
	return r
}

func recordIndex(id string) int {
	for i, s := range []string{"A00001", "A00004", "A00008", "A00022", "A00031", "A00057"} {
		if s == id {
			return i
		}
	}
	return 0
}

func example(rec, attack, truth, adv string, clean []float64, start int, pertUV []float64) engine.Example {
	a := make([]float64, len(clean))
	for i := range clean {
		a[i] = round(clean[i]+pertUV[i]*Gain/1000, 3)
	}
	return engine.Example{Record: rec, Attack: attack, TrueLabel: truth, AdvLabel: adv, Rate: Rate, Gain: Gain,
		Start: start, Clean: clean, Adversarial: a}
}

// Signal returns n samples (adu, at Rate and Gain) of a synthetic sinus
// rhythm, P, QRS and T waves every 0.8 s, starting at t0 seconds.
func Signal(n int, t0 float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		t := math.Mod(t0+float64(i)/Rate, 0.8)
		mv := 0.15*gauss(t, 0.18, 0.025) - 0.1*gauss(t, 0.285, 0.008) + 1.2*gauss(t, 0.3, 0.01) -
			0.25*gauss(t, 0.32, 0.01) + 0.3*gauss(t, 0.55, 0.04)
		out[i] = round(mv*Gain, 3)
	}
	return out
}

func gauss(t, mu, sigma float64) float64 { return math.Exp(-(t - mu) * (t - mu) / (2 * sigma * sigma)) }

// SquareWave returns a PGD-like perturbation in µV: ±eps, its sign
// changing at random every few samples.
func SquareWave(rng *rand.Rand, n int, eps float64) []float64 {
	out := make([]float64, n)
	sign := 1.0
	for i := range out {
		if rng.IntN(4) == 0 {
			sign = -sign
		}
		out[i] = sign * eps
	}
	return out
}

// Smooth returns a SAP-like perturbation in µV: random signs smoothed by
// a Gaussian kernel (σ = 10 samples), scaled to peak at eps.
func Smooth(rng *rand.Rand, n int, eps float64) []float64 {
	raw := make([]float64, n)
	for i := range raw {
		raw[i] = rng.Float64()*2 - 1
	}
	out := make([]float64, n)
	peak := 0.0
	for i := range out {
		var s, w float64
		for k := -30; k <= 30; k++ {
			if j := i + k; j >= 0 && j < n {
				g := gauss(float64(k), 0, 10)
				s += g * raw[j]
				w += g
			}
		}
		out[i] = s / w
		peak = math.Max(peak, math.Abs(out[i]))
	}
	for i := range out {
		out[i] = round(out[i]/peak*eps, 3)
	}
	return out
}

func scores(rng *rand.Rand, classes []string, top string) []float64 {
	out := make([]float64, len(classes))
	rest := 1.0
	for i, c := range classes {
		if c != top {
			out[i] = round(0.1*rng.Float64(), 4)
			rest -= out[i]
		}
	}
	for i, c := range classes {
		if c == top {
			out[i] = round(rest, 4)
		}
	}
	return out
}

// wilson returns the Wilson 95 % interval of k successes in n trials.
func wilson(k, n int) (lo, hi float64) {
	const z = 1.959963984540054
	p := float64(k) / float64(n)
	nn := float64(n)
	d := 1 + z*z/nn
	c := (p + z*z/(2*nn)) / d
	h := z * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn)) / d
	return round(c-h, 4), round(c+h, 4)
}

func round(v float64, dec int) float64 {
	p := math.Pow(10, float64(dec))
	return math.Round(v*p) / p
}

// Large returns Result with its rows repeated until it has n records per
// attack (record IDs B00000…), and four 10-second examples: the size of a
// full Han 2020 run (853 records) for benchmarks.
func Large(n int) *engine.Result {
	r := Result()
	base := r.Records
	r.Records = nil
	for i := 0; i < n; i++ {
		src := base[(i%6)*6 : (i%6)*6+6]
		for _, row := range src {
			row.Record = fmt.Sprintf("B%05d", i)
			r.Records = append(r.Records, row)
		}
	}
	r.Run.Dataset.Records = n
	rng := rand.New(rand.NewPCG(853, 1))
	clean := Signal(3000, 0)
	r.Examples = []engine.Example{
		example("B00000", "pgd_10uv", "N", "A", clean, 0, SquareWave(rng, len(clean), 10)),
		example("B00000", "sap_10uv", "N", "A", clean, 0, Smooth(rng, len(clean), 10)),
		example("B00004", "pgd_10uv", "N", "A", clean, 0, SquareWave(rng, len(clean), 10)),
		example("B00004", "sap_10uv", "N", "A", clean, 0, Smooth(rng, len(clean), 10)),
	}
	return r
}
