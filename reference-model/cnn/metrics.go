package cnn

import "github.com/ecgrobust/ecgrobust/harness/ecg"

// Metrics summarise predictions against reference labels over the CinC
// classes N, A, O, ~.
type Metrics struct {
	// Records is the number of records scored.
	Records int `json:"records"`
	// Accuracy is the fraction predicted correctly.
	Accuracy float64 `json:"accuracy"`
	// F1 is the per-class F1 score, keyed by label.
	F1 map[string]float64 `json:"f1"`
	// MacroF1NAO is the mean F1 of N, A and O (the CinC 2017 score).
	MacroF1NAO float64 `json:"macro_f1_nao"`
	// Confusion[i][j] counts records of class i predicted as j, in
	// ecg.CinCClasses order.
	Confusion [][]int `json:"confusion"`
}

// Score computes Metrics from class indices (ecg.CinCClasses order).
func Score(truth, pred []int) Metrics {
	k := len(ecg.CinCClasses)
	m := Metrics{Records: len(truth), F1: map[string]float64{}, Confusion: make([][]int, k)}
	for i := range m.Confusion {
		m.Confusion[i] = make([]int, k)
	}
	correct := 0
	for i := range truth {
		m.Confusion[truth[i]][pred[i]]++
		if truth[i] == pred[i] {
			correct++
		}
	}
	if len(truth) > 0 {
		m.Accuracy = float64(correct) / float64(len(truth))
	}
	for c, name := range ecg.CinCClasses {
		tp, rowSum, colSum := m.Confusion[c][c], 0, 0
		for j := 0; j < k; j++ {
			rowSum += m.Confusion[c][j]
			colSum += m.Confusion[j][c]
		}
		if rowSum+colSum > 0 {
			m.F1[name] = 2 * float64(tp) / float64(rowSum+colSum)
		}
	}
	m.MacroF1NAO = (m.F1[ecg.Normal] + m.F1[ecg.AF] + m.F1[ecg.Other]) / 3
	return m
}
