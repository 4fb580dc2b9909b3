// Command bbstudy measures black-box (finite-difference) SAP against
// white-box SAP on the analytic test model of harness/model/modeltest
// (or, with -reference DATA, on the reference CNN and the 56 correctly
// classified records of the 80-record test-split draw):
// success rate as a function of the per-record query budget. It is a
// developer tool for BENCHMARKS.md; the same study on the reference CNN
// runs through `ecgrobust run` with the specs in harness/attack/testdata.
//
// -wb-only and -wb-missed split the correctly classified records by
// whether white-box SAP flips them, so that a long study runs in parts.
//
// Diagnostics: -blocks B measures how coarse white-box SAP's signs can
// be and still flip; -project D bounds what the estimator could reach with
// unlimited queries; -surrogate W measures a transfer prior.
//
//	go run ./cmd/bbstudy -records 40 -budgets 500,1000,2000,5000
//	go run ./cmd/bbstudy -reference ../shared/data -project 0,1,8
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/ecgrobust/ecgrobust/harness/attack"
	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/dataset"
	"github.com/ecgrobust/ecgrobust/harness/engine"
	"github.com/ecgrobust/ecgrobust/harness/model"
	"github.com/ecgrobust/ecgrobust/harness/model/modeltest"
	"github.com/ecgrobust/ecgrobust/reference-model/cnn"
)

func main() {
	var (
		n          = flag.Int("records", 40, "synthetic records")
		length     = flag.Int("length", 18000, "samples per record (300 Hz)")
		budgets    = flag.String("budgets", "500,1000,2000,5000", "per-record query budgets")
		downsample = flag.String("downsample", "1,8", "direction resolution reductions to compare")
		momentum   = flag.String("momentum", "0", "finite-difference momentum values to compare")
		seed       = flag.Uint64("seed", 1, "seed")
		first      = flag.Int("first", 0, "pairs of each record's first estimate (0: as the others); that many fewer queries are left for the later estimates")
		data       = flag.String("reference", "", "data root: attack the reference CNN on test-split records (-per-class of each class; by default the draw of bbstudy-cnn-test-split.yaml, see -draw) instead of the analytic model")
		decay      = flag.Float64("decay", 0, "pool probes across estimates with this decay (0: off; see FiniteDifference.Decay)")
		pgdSteps   = flag.Int("pgd-steps", 20, "SAP's PGD steps")
		sapSteps   = flag.Int("sap-steps", 40, "SAP's smoothed steps")
		stepUV     = flag.Float64("step", 1, "step α in µV")
		margin     = flag.Bool("margin", false, "ascend the logit margin instead of cross-entropy")
		wbOnly     = flag.Bool("wb-only", false, "attack black-box only the records white-box SAP flipped (success then counts out of those)")
		wbMissed   = flag.Bool("wb-missed", false, "attack black-box only the correctly classified records white-box SAP did not flip (with -wb-only's runs, the whole split's black-box successes)")
		project    = flag.String("project", "", "instead of black-box SAP, run white-box SAP with gradients projected as finite differences at these downsamples would see them (comma-separated; see projected)")
		surrogate  = flag.String("surrogate", "", "weights file of a second CNN: print gradient cosines with it, then run white-box SAP on the target with its gradients (a transfer attack)")
		conc       = flag.Int("concentration", 0, "print how the smoothed gradient's energy is spread over time (QRS windows of ± this many samples) and stop")
		simulate   = flag.Bool("simulate", false, "simulate the finite-difference rows with first-order probes of the model's own gradient (see simulated)")
		adapt      = flag.Int("adapt", 0, "with -simulate: scale probes by the estimate's RMS over blocks of this many samples")
		simCos     = flag.Float64("sim-cos", 0, "with -simulate: instead of probes, the exact projection plus noise at this cosine")
		freeze     = flag.Bool("freeze", false, "with -simulate: keep each record's first estimate for every step")
		search     = flag.String("search", "", "instead of finite differences, run attack.Search (Square-attack random search in SAP's set) with these minimum windows in samples (comma-separated)")
		fraction   = flag.Float64("fraction", 0.05, "with -search: the initial window fraction")
		sweep      = flag.Bool("sweep", false, "with -search: sweep a grid of windows (Search.Sweep)")
		hierarchy  = flag.Bool("hierarchy", false, "with -sweep: halve the window after each full sweep (Search.Hierarchy)")
		searchFrom = flag.String("search-from", "", "with -search: weights file of a second CNN; start each search from the signs of white-box SAP's perturbation on it (a transfer prior)")
		tag        = flag.String("tag", "sap_fd_5000", "with -reference: the attack name each record's random stream is derived from (engine.RecordRand); another tag is another seed")
		perRecord  = flag.Bool("per-record", false, "with -search: also print each record's outcome and queries")
		tree       = flag.Bool("tree", false, "with -search: the tree of halves (Search.Tree; implies -sweep -hierarchy)")
		edges      = flag.Bool("edges", false, "with -search: after the tree, move the boundaries between runs of one sign first (Search.Edges; implies -tree)")
		searchTo   = flag.String("search-target", "", "with -search: a targeted search toward this class (records of that class stay untargeted)")
		edgeStep   = flag.Int("edge-step", 0, "with -edges: the step in samples by which the edge stage moves a boundary (Search.EdgeStep; 0: the -search window)")
		edgeMargin = flag.Bool("edge-margin", false, "with -edges: judge the edge stage's proposals by the logit margin (Search.EdgeMargin, the engine's setting)")
		searchCE   = flag.Bool("search-ce", false, "with -search: judge proposals by cross-entropy, the engine's loss for a search (without it, the logit margin, the engine's loss before 2026-12-07)")
		perClass   = flag.Int("per-class", 20, "with -reference: records drawn per class from the test split (0: all 853)")
		part       = flag.String("part", "", "with -reference: attack only part k of n (\"k/n\", 0-based) of the correctly classified records, to split a study across processes")
		draw       = flag.Uint64("draw", 2020, "with -reference: the seed of the per-class draw from the test split (dataset seed; 2020 is bbstudy-cnn-test-split.yaml's)")
		minSpan    = flag.Int("min-span", 0, "attack only records whose recorded span has at least this many samples")
		maxSpan    = flag.Int("max-span", 0, "attack only records whose recorded span has at most this many samples (0: no limit)")
		idFile     = flag.String("ids", "", "attack only the records whose IDs this file lists, one per line")
		blocks     = flag.String("blocks", "", "print whether the signs of white-box SAP's perturbation, as one sign per block of these sizes, flip each record, and stop")
		hunt       = flag.Int("signhunt", 0, "instead of finite differences, run the SignHunter-style sign search (see signHunt) with blocks down to this many samples")
	)
	flag.Parse()
	budgetList := intList("budgets", *budgets, math.MinInt)
	ctx := context.Background()
	var clf model.Classifier = modeltest.Analytic{}
	var recs []ecg.Record
	if *data != "" {
		m, err := cnn.Reference(0)
		if err != nil {
			log.Fatal(err)
		}
		clf = m
		set, err := dataset.Load(ctx, dataset.Config{Source: dataset.CinC2017, Path: *data, Split: "han2020-test", PerClass: *perClass, Seed: *draw})
		if err != nil {
			log.Fatal(err)
		}
		recs = set.Records
	} else {
		recs = modeltest.Records(*n, *length, *seed)
	}
	var idSet map[string]bool
	if *idFile != "" {
		b, err := os.ReadFile(*idFile)
		if err != nil {
			log.Fatal(err)
		}
		idSet = map[string]bool{}
		for _, id := range strings.Fields(string(b)) {
			idSet[id] = true
		}
	}
	var keep []attack.Item
	for i, r := range recs {
		if idSet != nil && !idSet[r.ID] {
			continue
		}
		if n := r.ValidSpan().Len(); n < *minSpan || (*maxSpan > 0 && n > *maxSpan) {
			continue
		}
		s, err := clf.Predict(ctx, [][]float64{r.Signal.Samples})
		if err != nil {
			log.Fatal(err)
		}
		it := attack.Item{Record: r, Label: model.Argmax(s[0]), Target: -1}
		if *data != "" {
			y := slices.Index(clf.Info().Classes, r.Label)
			if y != it.Label {
				continue // attack only correctly classified records
			}
		} else {
			it.Rand = rand.New(rand.NewPCG(*seed, uint64(i)))
		}
		keep = append(keep, it)
	}
	if *part != "" {
		var k, of int
		if _, err := fmt.Sscanf(*part, "%d/%d", &k, &of); err != nil || of < 1 || k < 0 || k >= of {
			log.Fatalf("-part %q: want k/n with 0 ≤ k < n", *part)
		}
		var mine []attack.Item
		for i, it := range keep {
			if i%of == k {
				mine = append(mine, it)
			}
		}
		keep = mine
	}
	items := func() []attack.Item {
		out := slices.Clone(keep)
		for i := range out {
			if *data != "" {
				out[i].Rand = engine.RecordRand(2020, out[i].Record.ID, *tag)
			} else {
				out[i].Rand = rand.New(rand.NewPCG(*seed, uint64(i)))
			}
		}
		return out
	}
	count := func(out []attack.Outcome) (succ int, q float64) {
		for _, o := range out {
			if o.Success {
				succ++
			}
			q += float64(o.Queries)
		}
		return succ, q / float64(len(out))
	}
	sap := attack.SAP{EarlyStop: true}
	if *blocks != "" {
		blockSigns(ctx, clf, items(), intList("blocks", *blocks, 1))
		return
	}
	if *conc > 0 {
		concentration(ctx, clf.(model.Gradienter), items(), *conc)
		return
	}
	wb, err := sap.Attack(ctx, attack.NewOracle(clf, attack.WhiteBox{}, items(), 0))
	if err != nil {
		log.Fatal(err)
	}
	ws, wq := count(wb)
	if *wbOnly && *wbMissed {
		log.Fatal("-wb-only and -wb-missed exclude each other")
	}
	if *wbOnly || *wbMissed {
		var chosen []attack.Item
		for i, o := range wb {
			if o.Success == *wbOnly {
				chosen = append(chosen, keep[i])
			}
		}
		keep = chosen
	}
	sap = attack.SAP{EarlyStop: true, PGDSteps: *pgdSteps, Steps: *sapSteps, StepUV: *stepUV}
	if *margin {
		sap.Loss = model.LogitMargin
	}
	estimates := *pgdSteps + *sapSteps
	// whiteBox runs the flags' SAP with c's own gradients and prints a row.
	whiteBox := func(label string, c model.Classifier) {
		out, err := sap.Attack(ctx, attack.NewOracle(c, attack.WhiteBox{}, items(), 0))
		if err != nil {
			log.Fatal(err)
		}
		s, mq := count(out)
		fmt.Printf("| %s | %d/%d | %.0f %% of white-box | %.0f |\n", label, s, len(out), 100*float64(s)/float64(max(ws, 1)), mq)
	}
	if *surrogate != "" {
		sm, err := loadModel(*surrogate)
		if err != nil {
			log.Fatal(err)
		}
		cosines(ctx, clf.(model.Gradienter), sm, items())
		whiteBox("transfer from "+*surrogate, transfer{Classifier: clf, surrogate: sm})
		return
	}
	if *project != "" {
		for _, ds := range strings.Split(*project, ",") {
			pc := projected{Classifier: clf, s: attack.DefaultSmoother(300)}
			var c model.Classifier
			switch d, err := strconv.Atoi(ds); {
			case ds == "beat":
				pc.beat = true
				c = pc
			case err != nil:
				log.Fatal(err)
			case d == 0:
				c = clf // the model's own gradients, with the flags' attack
			default:
				pc.r = d
				c = pc
			}
			whiteBox("white-box, projected at downsample "+ds, c)
		}
		return
	}
	if *search != "" {
		var start func(attack.Item) []float64
		if *searchFrom != "" {
			start = surrogateStart(ctx, *searchFrom, items())
		}
		searchLoss := model.LogitMargin
		if *searchCE {
			searchLoss = model.CrossEntropy
		}
		for _, wstr := range strings.Split(*search, ",") {
			w, err := strconv.Atoi(wstr)
			if err != nil {
				log.Fatal(err)
			}
			for _, b := range budgetList {
				its := items()
				if *searchTo != "" {
					c := slices.Index(clf.Info().Classes, *searchTo)
					if c < 0 {
						log.Fatalf("-search-target %q: the model's classes are %v", *searchTo, clf.Info().Classes)
					}
					for k := range its {
						its[k].Target = c
						if its[k].Label == c {
							its[k].Target = -1
						}
					}
				}
				out, err := attack.Search{MinWindow: w, InitialFraction: *fraction, Smoother: attack.DefaultSmoother(300), Loss: searchLoss, Sweep: *sweep, Hierarchy: *hierarchy, Tree: *tree, Edges: *edges, EdgeStep: *edgeStep, EdgeMargin: *edgeMargin, Start: start}.Attack(ctx, attack.NewOracle(clf, nil, its, int64(b)))
				if err != nil {
					log.Fatal(err)
				}
				if *perRecord {
					for i, o := range out {
						margin := math.NaN()
						if o.Scores != nil {
							margin = attack.Loss(o.Scores, clf.Info().Scores, keep[i].Label, model.LogitMargin)
						}
						fmt.Printf("record %s (%s): success %v, queries %d, span %d, margin %.4f, runs %d, toward %s\n", keep[i].Record.ID, keep[i].Record.Label, o.Success, o.Queries, keep[i].Record.ValidSpan().Len(), margin, signRuns(keep[i], o.Adversarial), runnerUp(clf, keep[i], o.Scores))
					}
				}
				s, mq := count(out)
				fmt.Printf("| search (windows ≥ %d samples, from %.3g of the record) | %d | %d/%d | %.0f %% of white-box | %.0f |\n", w, *fraction, b, s, len(out), 100*float64(s)/float64(max(ws, 1)), mq)
			}
		}
		return
	}
	if *hunt > 0 {
		for _, b := range budgetList {
			s, mq := signHunt(ctx, clf, items(), 10, b, *hunt)
			fmt.Printf("| sign search (blocks ≥ %d samples) | – | – | – | %d | %d/%d | %.0f %% | %.0f |\n", *hunt, b, s, len(keep), 100*float64(s)/float64(max(ws, 1)), mq)
		}
		return
	}
	fmt.Printf("| gradient | directions q | downsample | momentum | budget | success | of white-box | mean queries |\n|---|---|---|---|---|---|---|---|\n")
	fmt.Printf("| white-box | – | – | – | – | %d/%d | 100 %% | %.0f |\n", ws, len(wb), wq)
	for _, ms := range strings.Split(*momentum, ",") {
		mom, err := strconv.ParseFloat(ms, 64)
		if err != nil {
			log.Fatal(err)
		}
		for _, ds := range strings.Split(*downsample, ",") {
			d, err := strconv.Atoi(ds)
			if err != nil {
				log.Fatal(err)
			}
			for _, b := range budgetList {
				// One estimate per PGD and SAP step, of 2q+1 queries, plus
				// the final prediction, fit in the budget.
				q := max(1, (b-1)/estimates/2-1)
				if *first > 0 {
					q = max(1, (b-1-2**first-1)/(estimates-1)/2-1)
				}
				fd := attack.FiniteDifference{Directions: q, Downsample: d, Momentum: mom, FirstDirections: *first, Decay: *decay}
				o := attack.NewOracle(clf, fd, items(), int64(b))
				var sim *simulated
				if *simulate {
					it := items()
					sim = newSimulated(clf, it, d, q, *first, *decay, *adapt, *seed)
					sim.cos, sim.freeze = *simCos, *freeze
					o = attack.NewOracle(sim, attack.WhiteBox{}, it, 0)
				}
				out, err := sap.Attack(ctx, o)
				if err != nil {
					log.Fatal(err)
				}
				s, mq := count(out)
				fmt.Printf("| finite-difference | %d | %d | %.2g | %d | %d/%d | %.0f %% | %.0f |\n", q, d, mom, b, s, len(out), 100*float64(s)/float64(max(ws, 1)), mq)
				if sim != nil {
					fmt.Printf("simulated: mean cosine of the first estimates with the exact projection %.3f\n", sim.meanCosine())
				}
			}
		}
	}
}

// intList parses flag name's comma-separated integers, each at least least.
func intList(name, s string, least int) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(f)
		if err != nil {
			log.Fatalf("-%s: %q is not an integer", name, f)
		}
		if v < least {
			log.Fatalf("-%s: %d is below %d", name, v, least)
		}
		out = append(out, v)
	}
	return out
}
