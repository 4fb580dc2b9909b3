// Package qrs finds QRS complexes in one ECG lead with the Pan–Tompkins
// algorithm (J. Pan, W. J. Tompkins, "A real-time QRS detection
// algorithm", IEEE Trans. Biomed. Eng. 32(3):230-236, 1985), adapted for
// offline use: the filters are linear-phase and centred, so they add no
// delay.
//
// Steps: band-pass 5–15 Hz (windowed-sinc FIR), five-point derivative,
// squaring, 150 ms moving-window integration; candidate peaks of the
// integrated signal at least 200 ms apart; adaptive signal and noise
// levels with the threshold NPKI + 0.25·(SPKI − NPKI); search-back at half
// the threshold when no beat comes for 1.66 mean RR intervals; T-wave
// rejection within 360 ms of a beat when the slope is under half the
// previous beat's. Each detection is then moved to the largest absolute
// deviation of the band-passed signal within ±75 ms: the R (or S) peak.
package qrs

import (
	"math"
	"slices"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
)

// Detect returns the sample indices of the QRS complexes in s, ascending.
// It needs s.Rate ≥ 50 Hz; shorter or slower signals give no beats.
func Detect(s ecg.Signal) []int {
	fs := s.Rate
	x := s.Samples
	if fs < 50 || len(x) < int(fs) {
		return nil
	}
	sec := func(t float64) int { return max(1, int(math.Round(t*fs))) }

	bp := bandpass(x, fs, 5, 15)
	// Five-point derivative, squared.
	sq := make([]float64, len(bp))
	for i := 2; i+2 < len(bp); i++ {
		d := (2*bp[i+2] + bp[i+1] - bp[i-1] - 2*bp[i-2]) * fs / 8
		sq[i] = d * d
	}
	mwi := movingAverage(sq, sec(0.150))

	// Candidate peaks: local maxima of the integrated signal, keeping the
	// highest within any 200 ms.
	refractory := sec(0.200)
	var cand []int
	for i := 1; i+1 < len(mwi); i++ {
		if mwi[i] > mwi[i-1] && mwi[i] >= mwi[i+1] {
			if k := len(cand) - 1; k >= 0 && i-cand[k] < refractory {
				if mwi[i] > mwi[cand[k]] {
					cand[k] = i
				}
				continue
			}
			cand = append(cand, i)
		}
	}
	if len(cand) == 0 {
		return nil
	}

	// Learning phase: the first 2 s set the initial levels.
	learn := min(len(mwi), sec(2))
	var peakMax, mean float64
	for _, v := range mwi[:learn] {
		peakMax = math.Max(peakMax, v)
		mean += v
	}
	mean /= float64(learn)
	spki, npki := 0.25*peakMax, 0.5*mean
	thr := func() float64 { return npki + 0.25*(spki-npki) }

	slope := func(i int) float64 {
		lo, hi := max(2, i-sec(0.075)), min(len(bp)-2, i+1)
		var m float64
		for j := lo; j < hi; j++ {
			m = math.Max(m, math.Abs(bp[j+1]-bp[j-1]))
		}
		return m
	}

	var beats []int
	var rr []int
	lastSlope := 0.0
	accept := func(i int, searchBack bool) {
		if searchBack {
			spki = 0.25*mwi[i] + 0.75*spki
		} else {
			spki = 0.125*mwi[i] + 0.875*spki
		}
		if n := len(beats); n > 0 {
			rr = append(rr, i-beats[n-1])
			if len(rr) > 8 {
				rr = rr[1:]
			}
		}
		beats = append(beats, i)
		lastSlope = slope(i)
	}
	meanRR := func() float64 {
		if len(rr) == 0 {
			return 0
		}
		var s float64
		for _, v := range rr {
			s += float64(v)
		}
		return s / float64(len(rr))
	}

	ci := 0
	for ci < len(cand) {
		i := cand[ci]
		// Search back for a missed beat before this candidate.
		if n := len(beats); n > 0 && meanRR() > 0 && float64(i-beats[n-1]) > 1.66*meanRR() {
			best := -1
			for _, j := range cand {
				if j > beats[n-1]+refractory && j < i-refractory/2 && mwi[j] > 0.5*thr() && (best < 0 || mwi[j] > mwi[best]) {
					best = j
				}
			}
			if best >= 0 {
				accept(best, true)
				continue // re-examine candidate i against the new beat
			}
		}
		ci++
		if mwi[i] <= thr() {
			npki = 0.125*mwi[i] + 0.875*npki
			continue
		}
		if n := len(beats); n > 0 {
			gap := i - beats[n-1]
			if gap < refractory {
				npki = 0.125*mwi[i] + 0.875*npki
				continue
			}
			if gap < sec(0.360) && slope(i) < 0.5*lastSlope {
				npki = 0.125*mwi[i] + 0.875*npki // T wave
				continue
			}
		}
		accept(i, false)
	}

	// Move each detection to the R (or S) peak of the band-passed signal.
	w := sec(0.075)
	out := make([]int, 0, len(beats))
	for _, b := range beats {
		lo, hi := max(0, b-w), min(len(bp), b+w+1)
		best := lo
		for j := lo; j < hi; j++ {
			if math.Abs(bp[j]) > math.Abs(bp[best]) {
				best = j
			}
		}
		if k := len(out) - 1; k >= 0 && best-out[k] < refractory {
			continue
		}
		out = append(out, best)
	}
	slices.Sort(out)
	return out
}

// bandpass applies a zero-phase windowed-sinc FIR band-pass (Hamming
// window, 0.5 s long) from lo to hi Hz.
func bandpass(x []float64, fs, lo, hi float64) []float64 {
	half := int(math.Round(0.25 * fs))
	n := 2*half + 1
	h := make([]float64, n)
	for j := range h {
		t := float64(j - half)
		var v float64
		if t == 0 {
			v = 2 * (hi - lo) / fs
		} else {
			v = (math.Sin(2*math.Pi*hi/fs*t) - math.Sin(2*math.Pi*lo/fs*t)) / (math.Pi * t)
		}
		h[j] = v * (0.54 - 0.46*math.Cos(2*math.Pi*float64(j)/float64(n-1)))
	}
	y := make([]float64, len(x))
	for i := range x {
		var acc float64
		for j, hj := range h {
			k := i + half - j
			if k < 0 {
				k = 0
			} else if k >= len(x) {
				k = len(x) - 1
			}
			acc += hj * x[k]
		}
		y[i] = acc
	}
	return y
}

// movingAverage returns the centred moving average over w samples.
func movingAverage(x []float64, w int) []float64 {
	y := make([]float64, len(x))
	var sum float64
	half := w / 2
	// Prefix sums keep this O(n).
	pre := make([]float64, len(x)+1)
	for i, v := range x {
		sum += v
		pre[i+1] = sum
	}
	for i := range x {
		lo, hi := max(0, i-half), min(len(x), i-half+w)
		y[i] = (pre[hi] - pre[lo]) / float64(w)
	}
	return y
}
