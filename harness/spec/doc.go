// Package spec reads robustness specs: versioned YAML files that fix the
// model, data, preprocessing, attacks, budgets, seeds and acceptance
// criteria of a run.
//
// # Reading
//
// Load and Parse decode with gopkg.in/yaml.v3 strictly: unknown keys, a
// float where an integer belongs, a field that does not apply to an
// attack's type, a value out of range or a missing required field are all
// errors. Each error (an *Error inside an ErrorList) names the file, line,
// column and field and says what is allowed:
//
//	specs/x.yaml:14:5: attacks[0].steps: must be an integer, got the number 20.5
//
// Fields left out take documented defaults (Han et al. 2020's values for
// the attacks), so the returned Spec is complete.
//
// # Units
//
// Amplitudes are in µV (fields ending _uv), rates in Hz (_hz), ratios in
// dB (_db), lengths in samples. SAP kernel sizes and σ are in samples at
// 300 Hz.
//
// # Identity
//
// A spec's identity is the SHA-256 of its canonical form (Canonical): the
// compact JSON of the completed spec. Layout, comments, key order and
// spelled-out defaults do not change it; any change of substance does.
//
// # Criteria variables
//
// Variables lists the metric names a run of the spec produces, built from
// the run-wide names (clean_accuracy, …) and, for each attack, its id, an
// underscore and the attack type's metrics (AttackMetrics), e.g.
// "sap_success_rate_ci_high". The engine publishes exactly these names.
// The package does not parse expressions; CheckExprs lets a caller (the
// verdict package) check them with positions in the file.
package spec
