// Package docs holds no code of its own: its tests keep the user
// documentation (README.md and the guides in this directory) true.
//
//   - Every fenced ```sh block of a guide runs, in order, in a sandbox that
//     looks like an ecgrobust checkout after `make build` (bin/ecgrobust,
//     bin/example-go, bin/example-python), so the commands a reader copies
//     work. A block preceded by the line
//     `<!-- doctest: skip: REASON -->` is not run (long runs, full data);
//     `<!-- doctest: exit N -->` says the block must end with exit status N
//     (a FAIL verdict is 1), and `contains TEXT` that its output must
//     contain TEXT; join several with " ; ".
//   - Every `ecgrobust …` invocation in the guides, the CI files under ci/
//     and the commands' own help examples names a real command and real
//     flags of the built binary, and every command's help has an example.
//   - spec-reference.md is generated from harness/spec and specs/schema.json
//     (go test ./docs -run TestSpecReference -update, or make docs) and a
//     test fails when it is out of date.
//   - auditor-guide.md's criteria tables are generated from the bundled
//     specs (make docs), and its hand-written table names each spec's
//     version, so a test fails when a spec changes under it.
//   - The CI files parse as YAML, do what ci-guide.md says, have bash-valid
//     scripts, and the GitHub workflow passes actionlint; their gate and
//     blocking steps run against the example plugin and fail the job on
//     its FAIL; README.md's run walk names functions
//     that exist, its exit-code table matches the command package, its
//     links resolve and its screenshot is small enough.
package docs
