package modeltest

import (
	"context"
	"fmt"
	"math"

	"github.com/ecgrobust/ecgrobust/harness/ecg"
	"github.com/ecgrobust/ecgrobust/harness/model"
)

// Analytic is a small deterministic classifier with exact input gradients.
// Its logits are
//
//	a_j = mean_i( w_j(i) · x_i ) / Scale        w_j(i) = cos(2π f_j i / 300 + φ_j)
//	e   = log(1 + mean_i(x_i²) / R²)            R = 300 adu
//	z_k = b_k + Σ_j V_kj · tanh(a_j) + U_k · e
//
// for a signal x in adu at 300 Hz and 1000 adu/mV, with six low-frequency
// templates w_j (0.7–8.9 Hz) and fixed weights. Perturbations of a few µV
// move the a_j (so an L∞ attack of 10 µV flips some records), while the
// energy term e is nearly fixed by the record, which leaves other records
// out of reach. The zero value is ready to use; it is safe for concurrent
// use. It costs about 6 multiply-adds per sample and template.
type Analytic struct {
	// Scale divides the template projections, in adu (0 means
	// DefaultScale). Larger values make the model harder to attack.
	Scale float64
}

var _ model.Gradienter = Analytic{}

// Analytic model constants (chosen once; see the package tests for what
// they give on the synthetic records).
var (
	analyticFreqs  = [...]float64{0.7, 1.3, 2.1, 3.4, 5.5, 8.9}
	analyticPhases = [...]float64{0.3, 1.9, 4.0, 2.6, 5.1, 0.9}
	analyticV      = [4][6]float64{
		{1.2, -0.8, 0.5, -0.3, 0.9, -0.6},
		{-0.9, 1.1, -0.4, 0.8, -0.5, 0.3},
		{0.4, 0.6, -1.0, -0.7, 0.2, 1.0},
		{-0.6, -0.9, 0.9, 0.2, -0.6, -0.7},
	}
	analyticU = [4]float64{1.6, -0.8, 0.4, -1.2}
	analyticB = [4]float64{-1.5, -0.1, -0.05, -0.2}
)

const (
	// DefaultScale is the Scale of the zero Analytic, in adu.
	DefaultScale = 12.0
	analyticR    = 300.0
	analyticRate = 300.0
	nTemplates   = len(analyticFreqs)
)

func (m Analytic) scale() float64 {
	if m.Scale > 0 {
		return m.Scale
	}
	return DefaultScale
}

// Info describes the analytic model.
func (Analytic) Info() model.Info {
	return model.Info{
		Name:          "analytic",
		Version:       "1",
		Classes:       append([]string(nil), ecg.CinCClasses...),
		SampleRate:    analyticRate,
		Gain:          1000,
		MinLength:     1,
		MaxLength:     1 << 22,
		Scores:        model.Logits,
		InputGradient: true,
	}
}

// features returns a (template projections / Scale), mean(x²) of x.
func features(x []float64, scale float64) (a [nTemplates]float64, ms float64) {
	n := float64(len(x))
	for j := range nTemplates {
		d := 2 * math.Pi * analyticFreqs[j] / analyticRate
		cd, sd := math.Cos(d), math.Sin(d)
		c, s := math.Cos(analyticPhases[j]), math.Sin(analyticPhases[j])
		var acc float64
		for i, v := range x {
			if i%1024 == 0 { // re-anchor the rotation so rounding cannot drift
				th := d*float64(i) + analyticPhases[j]
				c, s = math.Cos(th), math.Sin(th)
			}
			acc += c * v
			c, s = c*cd-s*sd, s*cd+c*sd
		}
		a[j] = acc / n / scale
	}
	for _, v := range x {
		ms += v * v
	}
	return a, ms / n
}

func logits(x []float64, scale float64) (z []float64, h [nTemplates]float64, ms float64) {
	a, ms := features(x, scale)
	e := math.Log1p(ms / (analyticR * analyticR))
	z = make([]float64, 4)
	for j := range nTemplates {
		h[j] = math.Tanh(a[j])
	}
	for k := range 4 {
		z[k] = analyticB[k] + analyticU[k]*e
		for j := range nTemplates {
			z[k] += analyticV[k][j] * h[j]
		}
	}
	return z, h, ms
}

// Predict returns the logits of each signal.
func (m Analytic) Predict(ctx context.Context, signals [][]float64) ([][]float64, error) {
	out := make([][]float64, len(signals))
	for i, x := range signals {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if len(x) == 0 {
			return nil, fmt.Errorf("modeltest: signal %d is empty", i)
		}
		out[i], _, _ = logits(x, m.scale())
	}
	return out, nil
}

// InputGradient returns the exact gradient of loss with respect to each
// signal, and its logits.
func (m Analytic) InputGradient(ctx context.Context, signals [][]float64, labels []int, loss model.Loss) (grads, scores [][]float64, err error) {
	if len(labels) != len(signals) {
		return nil, nil, fmt.Errorf("modeltest: %d labels for %d signals", len(labels), len(signals))
	}
	grads = make([][]float64, len(signals))
	scores = make([][]float64, len(signals))
	for i, x := range signals {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		if len(x) == 0 {
			return nil, nil, fmt.Errorf("modeltest: signal %d is empty", i)
		}
		y := labels[i]
		if y < 0 || y >= 4 {
			return nil, nil, fmt.Errorf("modeltest: label %d out of range", y)
		}
		z, h, ms := logits(x, m.scale())
		scores[i] = z
		// dL/dz
		var gz [4]float64
		switch loss {
		case model.CrossEntropy:
			p := model.Softmax(nil, z)
			for k := range 4 {
				gz[k] = p[k]
			}
			gz[y]--
		case model.LogitMargin:
			other := -1
			for k := range 4 {
				if k != y && (other < 0 || z[k] > z[other]) {
					other = k
				}
			}
			gz[y], gz[other] = 1, -1
		default:
			return nil, nil, fmt.Errorf("modeltest: unknown loss %v", loss)
		}
		n := float64(len(x))
		var c [nTemplates]float64
		var dE float64
		for k := range 4 {
			for j := range nTemplates {
				c[j] += gz[k] * analyticV[k][j] * (1 - h[j]*h[j]) / (n * m.scale())
			}
			dE += gz[k] * analyticU[k]
		}
		dE *= 2 / (n * (analyticR*analyticR + ms))
		g := make([]float64, len(x))
		for i, v := range x {
			g[i] = dE * v
		}
		for j := range nTemplates {
			d := 2 * math.Pi * analyticFreqs[j] / analyticRate
			cd, sd := math.Cos(d), math.Sin(d)
			var cs, sn float64
			for i := range g {
				if i%1024 == 0 {
					th := d*float64(i) + analyticPhases[j]
					cs, sn = math.Cos(th), math.Sin(th)
				}
				g[i] += c[j] * cs
				cs, sn = cs*cd-sn*sd, sn*cd+cs*sd
			}
		}
		grads[i] = g
	}
	return grads, scores, nil
}
