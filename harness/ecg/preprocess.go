package ecg

// Han2020Length is the input length of Han et al. 2020: 60 s at 300 Hz.
const Han2020Length = 18000

// Fit returns r with exactly n samples, following Han et al. 2020: the
// recorded part of r (its [Record.ValidSpan]) is cut to its first n samples,
// or zero-padded to n with the recording centred, floor(pad/2) zeros on the
// left and the rest on the right. Valid marks the recorded samples of the
// result. The samples are copied; r is not modified.
func Fit(r Record, n int) Record {
	if n < 0 {
		n = 0
	}
	vs := r.ValidSpan()
	src := r.Signal.Samples[vs.Start:vs.End]
	out := make([]float64, n)
	start, m := FitSpan(len(src), n)
	copy(out[start:start+m], src[:m])
	r.Signal.Samples = out
	r.Valid = Span{start, start + m}
	return r
}

// Han2020 returns [Fit](r, [Han2020Length]): raw adu, no normalisation.
func Han2020(r Record) Record { return Fit(r, Han2020Length) }

// FitSpan returns where a recording of length have lands in a buffer of
// length n under [Fit]: it starts at start and m = min(have, n) of its first
// samples are kept. Readers that decode straight into a padded buffer use it
// to agree with Fit.
func FitSpan(have, n int) (start, m int) {
	if have >= n {
		return 0, n
	}
	return (n - have) / 2, have
}
