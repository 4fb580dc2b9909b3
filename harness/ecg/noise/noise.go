// Package noise adds the noise of the MIT-BIH Noise Stress Test Database
// (NSTDB) to ECG signals at a requested signal-to-noise ratio, as the
// ANSI/AAMI EC57 noise stress test does: electrode motion ("em"), baseline
// wander ("bw") and muscle artefact ("ma").
//
//	src, err := noise.Load("../shared/data")        // nstdb/ and mitdb/
//	noisy, rep, err := src.AddRecord(rec, noise.Options{Kind: noise.EM, SNR: 6, Seed: 1})
//
// # SNR
//
// SNR follows NSTDB (programs nst and sigamp of the WFDB software):
// SNR = 10·log10(S/N) dB with S = A²/8, where A is the trimmed mean of the
// QRS peak-to-peak amplitudes measured within ±50 ms of each beat, and
// N = R², where R is the trimmed mean of the RMS amplitudes of the noise
// in consecutive 1 s windows, each with its own mean removed. Trimmed
// means drop the lowest and highest 5 %. (sigamp stops after 300 beats or
// windows; here every beat and window counts.) Beats come from the
// caller (reference annotations) or from the Pan–Tompkins detector in
// package qrs.
//
// # Noise records
//
// bw and ma are read from the NSTDB (360 Hz, gain field 0 = 200 adu/mV).
// The pure em record is not distributed with the data here, so it is
// estimated from 118e_6 − 118 (mitdb): noise is present only in the
// alternating 2-minute segments [108,000 + 86,400·k, +43,200) samples,
// each with its own DC offset, which is removed. The absolute scale of
// each noise record does not matter: it is rescaled to the requested SNR.
//
// Noise is resampled to the signal's rate and gain ([ecg.Resample],
// [ecg.Rescale]). Which channel and which stretch of the noise is used is
// drawn from Options.Seed (the stretch wraps around the end of the noise
// record), so the same seed gives the same result.
package noise

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/ecg/qrs"
	"github.com/ecgrobust/ecgrobust/harness/ecg/wfdb"
)

// Kind names an NSTDB noise type.
type Kind string

// The noise types of EC57.
const (
	EM Kind = "em" // electrode motion
	BW Kind = "bw" // baseline wander
	MA Kind = "ma" // muscle artefact
)

// Kinds lists every noise type.
var Kinds = []Kind{EM, BW, MA}

// EC57SNRs are the SNRs in dB at which EC57 asks for results.
var EC57SNRs = []float64{24, 18, 12, 6, 0, -6}

// Source holds the noise records. It is safe for concurrent use.
type Source struct {
	raw map[Kind][]ecg.Signal // channels at the native rate and gain

	mu    sync.Mutex
	cache map[cacheKey][]float64
}

type cacheKey struct {
	kind       Kind
	ch         int
	rate, gain float64
}

// Segments of 118e_* that hold noise.
const (
	emStart  = 108000
	emPeriod = 86400
	emLen    = 43200
)

// Load reads bw, ma, 118e_6 from root/nstdb and 118 from root/mitdb (or
// root itself when it holds the files) and estimates em.
func Load(root string) (*Source, error) {
	nst, mit := root, root
	if isFile(filepath.Join(root, "nstdb", "bw.hea")) {
		nst = filepath.Join(root, "nstdb")
	}
	if isFile(filepath.Join(root, "mitdb", "118.hea")) {
		mit = filepath.Join(root, "mitdb")
	}
	return LoadDirs(nst, mit)
}

// LoadDirs is [Load] with the NSTDB and MIT-BIH directories given apart.
func LoadDirs(nstdbDir, mitdbDir string) (*Source, error) {
	s := &Source{raw: map[Kind][]ecg.Signal{}, cache: map[cacheKey][]float64{}}
	for _, k := range []Kind{BW, MA} {
		rec, err := wfdb.ReadRecord(filepath.Join(nstdbDir, string(k)))
		if err != nil {
			return nil, fmt.Errorf("load noise %s: %w", k, err)
		}
		for i := range rec.Samples {
			sig, err := rec.Signal(i)
			if err != nil {
				return nil, fmt.Errorf("load noise %s: %w", k, err)
			}
			s.raw[k] = append(s.raw[k], sig)
		}
	}
	em, err := estimateEM(filepath.Join(nstdbDir, "118e_6"), filepath.Join(mitdbDir, "118"))
	if err != nil {
		return nil, fmt.Errorf("load noise em: %w", err)
	}
	s.raw[EM] = em
	return s, nil
}

// New makes a Source from noise channels the caller already has (for
// example the original em record, or synthetic noise in tests). Every kind
// needs at least one channel of at least 1 s; other kinds than em, bw and
// ma are allowed.
func New(channels map[Kind][]ecg.Signal) (*Source, error) {
	s := &Source{raw: map[Kind][]ecg.Signal{}, cache: map[cacheKey][]float64{}}
	for k, chans := range channels {
		if len(chans) == 0 {
			return nil, fmt.Errorf("noise %s: no channels", k)
		}
		for i, c := range chans {
			if err := c.Validate(); err != nil {
				return nil, fmt.Errorf("noise %s channel %d: %w", k, i, err)
			}
			if float64(len(c.Samples)) < c.Rate {
				return nil, fmt.Errorf("noise %s channel %d: %d samples is shorter than 1 s", k, i, len(c.Samples))
			}
		}
		s.raw[k] = append([]ecg.Signal(nil), chans...)
	}
	return s, nil
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// estimateEM returns the em noise channels: the noisy segments of
// noisy − clean, each with its mean removed, concatenated.
func estimateEM(noisyPath, cleanPath string) ([]ecg.Signal, error) {
	noisy, err := wfdb.ReadRecord(noisyPath)
	if err != nil {
		return nil, err
	}
	clean, err := wfdb.ReadRecord(cleanPath)
	if err != nil {
		return nil, err
	}
	if len(noisy.Samples) != len(clean.Samples) || len(noisy.Samples) == 0 {
		return nil, fmt.Errorf("%s has %d signals, %s %d", noisyPath, len(noisy.Samples), cleanPath, len(clean.Samples))
	}
	var out []ecg.Signal
	for ch := range noisy.Samples {
		a, b := noisy.Samples[ch], clean.Samples[ch]
		if len(a) != len(b) {
			return nil, fmt.Errorf("signal %d: %d samples in %s, %d in %s", ch, len(a), noisyPath, len(b), cleanPath)
		}
		var x []float64
		for start := emStart; start < len(a); start += emPeriod {
			end := min(start+emLen, len(a))
			seg := make([]float64, end-start)
			var mean float64
			for i := range seg {
				seg[i] = float64(a[start+i] - b[start+i])
				mean += seg[i]
			}
			mean /= float64(len(seg))
			for i := range seg {
				seg[i] -= mean
			}
			x = append(x, seg...)
		}
		if len(x) == 0 {
			return nil, fmt.Errorf("%s is too short to hold noise segments", noisyPath)
		}
		gain := noisy.Header.Signals[ch].Gain
		out = append(out, ecg.Signal{Samples: x, Rate: noisy.Header.Rate, Gain: gain})
	}
	return out, nil
}

// Raw returns the channels of noise kind at their native rate and gain.
// The slices are shared: do not modify them.
func (s *Source) Raw(k Kind) ([]ecg.Signal, error) {
	ch, ok := s.raw[k]
	if !ok {
		return nil, fmt.Errorf("noise: unknown kind %q (want em, bw or ma)", k)
	}
	return ch, nil
}

// at returns channel ch of kind k at the given rate and gain, cached.
func (s *Source) at(k Kind, ch int, rate, gain float64) ([]float64, error) {
	key := cacheKey{k, ch, rate, gain}
	s.mu.Lock()
	defer s.mu.Unlock()
	if x, ok := s.cache[key]; ok {
		return x, nil
	}
	sig, err := ecg.Resample(s.raw[k][ch], rate)
	if err != nil {
		return nil, fmt.Errorf("noise %s: %w", k, err)
	}
	if sig, err = ecg.Rescale(sig, gain); err != nil {
		return nil, fmt.Errorf("noise %s: %w", k, err)
	}
	s.cache[key] = sig.Samples
	return sig.Samples, nil
}

// Options control [Source.Add].
type Options struct {
	// Kind is the noise type.
	Kind Kind
	// SNR is the requested signal-to-noise ratio in dB.
	SNR float64
	// Seed picks the noise channel and the stretch of noise used.
	Seed uint64
	// Beats are the QRS sample indices of the signal (e.g. from reference
	// annotations); nil runs the QRS detector.
	Beats []int
}

// Report describes the noise added.
type Report struct {
	Kind    Kind
	Channel int // noise record channel used
	Offset  int // first noise sample used, at the signal's rate
	// QRSAmplitude is the trimmed mean QRS peak-to-peak amplitude A of
	// the clean signal in adu, from Beats beats.
	QRSAmplitude float64
	Beats        int
	// NoiseRMS is the trimmed mean 1 s RMS R of the added noise in adu.
	NoiseRMS float64
	// Scale is the factor applied to the noise excerpt.
	Scale float64
	// SNR is the SNR of the result in dB by the definition above, from
	// QRSAmplitude and NoiseRMS: the request, up to rounding, by
	// construction. (The tests measure it independently, against
	// reference beat annotations.)
	SNR float64
}

// Add returns sig plus noise at the requested SNR; sig is not modified.
func (s *Source) Add(sig ecg.Signal, opt Options) (ecg.Signal, Report, error) {
	rep := Report{Kind: opt.Kind}
	if err := sig.Validate(); err != nil {
		return ecg.Signal{}, rep, fmt.Errorf("add noise: %w", err)
	}
	chans, err := s.Raw(opt.Kind)
	if err != nil {
		return ecg.Signal{}, rep, err
	}
	if math.IsNaN(opt.SNR) || math.IsInf(opt.SNR, 0) {
		return ecg.Signal{}, rep, fmt.Errorf("add noise: SNR %v dB is not a number", opt.SNR)
	}
	n := len(sig.Samples)
	if float64(n) < sig.Rate {
		return ecg.Signal{}, rep, fmt.Errorf("add noise: signal of %d samples is shorter than 1 s", n)
	}
	beats := opt.Beats
	if beats == nil {
		beats = qrs.Detect(sig)
	}
	amp, used := QRSAmplitude(sig, beats)
	if used == 0 || !(amp > 0) {
		return ecg.Signal{}, rep, fmt.Errorf("add noise: no QRS complex to measure the signal amplitude (%d beats given or detected)", len(beats))
	}
	rep.QRSAmplitude, rep.Beats = amp, used

	rng := rand.New(rand.NewPCG(opt.Seed, 0x6e6f697365)) // "noise"
	rep.Channel = rng.IntN(len(chans))
	src, err := s.at(opt.Kind, rep.Channel, sig.Rate, sig.Gain)
	if err != nil {
		return ecg.Signal{}, rep, err
	}
	rep.Offset = rng.IntN(len(src))
	excerpt := make([]float64, n)
	var mean float64
	for i := range excerpt {
		excerpt[i] = src[(rep.Offset+i)%len(src)]
		mean += excerpt[i]
	}
	mean /= float64(n)
	for i := range excerpt {
		excerpt[i] -= mean
	}
	r := NoiseRMS(excerpt, sig.Rate)
	if !(r > 0) {
		return ecg.Signal{}, rep, fmt.Errorf("add noise: %s channel %d is flat at offset %d", opt.Kind, rep.Channel, rep.Offset)
	}
	// A/(2√2·R·scale) = 10^(SNR/20).
	rep.Scale = amp / (2 * math.Sqrt2 * r * math.Pow(10, opt.SNR/20))
	out := ecg.Signal{Samples: make([]float64, n), Rate: sig.Rate, Gain: sig.Gain}
	for i, v := range sig.Samples {
		out.Samples[i] = v + rep.Scale*excerpt[i]
	}
	rep.NoiseRMS = r * rep.Scale
	rep.SNR = SNR(amp, rep.NoiseRMS)
	return out, rep, nil
}

// AddRecord adds noise to the recorded part of r ([ecg.Record.ValidSpan])
// and leaves padding untouched. Beats in opt are indices into the whole
// signal.
func (s *Source) AddRecord(r ecg.Record, opt Options) (ecg.Record, Report, error) {
	vs := r.ValidSpan()
	part := ecg.Signal{Samples: r.Signal.Samples[vs.Start:vs.End], Rate: r.Signal.Rate, Gain: r.Signal.Gain}
	if opt.Beats != nil {
		var b []int
		for _, i := range opt.Beats {
			if i >= vs.Start && i < vs.End {
				b = append(b, i-vs.Start)
			}
		}
		if b == nil {
			b = []int{}
		}
		opt.Beats = b
	}
	noisy, rep, err := s.Add(part, opt)
	if err != nil {
		return ecg.Record{}, rep, fmt.Errorf("record %s: %w", r.ID, err)
	}
	out := r
	out.Signal.Samples = append([]float64(nil), r.Signal.Samples...)
	copy(out.Signal.Samples[vs.Start:vs.End], noisy.Samples)
	return out, rep, nil
}

// QRSAmplitude returns the trimmed mean peak-to-peak amplitude of sig
// within ±50 ms of each beat (beats whose window leaves the signal are
// skipped) and the number of beats measured.
func QRSAmplitude(sig ecg.Signal, beats []int) (float64, int) {
	w := int(math.Round(0.05 * sig.Rate))
	var pp []float64
	for _, b := range beats {
		lo, hi := b-w, b+w
		if lo < 0 || hi >= len(sig.Samples) {
			continue
		}
		mn, mx := sig.Samples[lo], sig.Samples[lo]
		for _, v := range sig.Samples[lo : hi+1] {
			mn, mx = math.Min(mn, v), math.Max(mx, v)
		}
		pp = append(pp, mx-mn)
	}
	return trimmedMean(pp), len(pp)
}

// NoiseRMS returns the trimmed mean of the RMS amplitudes of x in
// consecutive whole 1 s windows, each with its mean removed.
func NoiseRMS(x []float64, rate float64) float64 {
	w := int(math.Round(rate))
	if w < 1 {
		return 0
	}
	var rms []float64
	for start := 0; start+w <= len(x); start += w {
		seg := x[start : start+w]
		var mean, ss float64
		for _, v := range seg {
			mean += v
		}
		mean /= float64(w)
		for _, v := range seg {
			ss += (v - mean) * (v - mean)
		}
		rms = append(rms, math.Sqrt(ss/float64(w)))
	}
	return trimmedMean(rms)
}

// SNR returns 10·log10(S/N) in dB for a QRS peak-to-peak amplitude a and
// a noise RMS amplitude r: S = a²/8, N = r².
func SNR(a, r float64) float64 { return 20 * math.Log10(a/(2*math.Sqrt2*r)) }

// trimmedMean drops the lowest and highest n/20 values (as sigamp does).
func trimmedMean(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	lo := len(s) / 20
	s = s[lo : len(s)-lo]
	var sum float64
	for _, v := range s {
		sum += v
	}
	return sum / float64(len(s))
}
