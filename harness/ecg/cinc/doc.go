// Package cinc reads the PhysioNet/CinC Challenge 2017 training set
// (single-lead AF classification: 8,528 records, 300 Hz, 1000 adu/mV, one
// adu per µV) and train/test split files such as Han et al. 2020's.
//
// The data can be read straight from PhysioNet's training2017.zip or from
// its unpacked directory:
//
//	d, err := cinc.Open("../shared/data/cinc2017") // or …/training2017.zip
//	if err != nil { … }
//	defer d.Close()
//	test := cinc.Han2020Split().Part(cinc.Test)            // 853 records
//	recs, err := d.Load(ctx, test.IDs(), cinc.Options{Length: ecg.Han2020Length})
//
// Records are MATLAB level-4 files with one int16 vector "val" (see
// [ParseMAT]); labels come from REFERENCE.csv (N, A, O, ~). Load decodes in
// parallel and, with Options.Length, applies the Han et al. 2020
// preprocessing of [ecg.Fit] while decoding (first 18,000 samples, or
// centred zero padding with [ecg.Record.Valid] marking the recording).
//
// The REFERENCE.csv in PhysioNet's zip is the final (v3) labelling:
// N 5,076, A 758, O 2,415, ~ 279. The split of Han et al. 2020 is embedded
// ([Han2020Split]: 7,675 train, 853 test with N 509, A 84, O 229, ~ 31);
// other split files of the same form ("record,label,split") are read with
// [LoadSplit] and sub-sampled per class with a seed by [Split.Stratify].
//
// Data: G. D. Clifford et al., "AF Classification from a Short Single Lead
// ECG Recording: the PhysioNet/Computing in Cardiology Challenge 2017",
// Computing in Cardiology 44, 2017 (ODC-By 1.0).
package cinc
