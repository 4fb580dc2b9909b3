// Package modeltest provides classifiers and synthetic records for tests,
// like net/http/httptest: [Analytic], a fast deterministic model with exact
// input gradients that 10 µV attacks can flip on some records, and
// [Records], seeded synthetic ECG records.
package modeltest
