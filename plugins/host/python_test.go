package host

import (
	"context"
	"errors"
	"math"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ecgrobust/ecgrobust/harness/model"
)

// pythonPlugin returns the example Python plugin, or skips the test when
// Debian's python3 lacks the modules it needs.
func pythonPlugin(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	out, err := exec.Command(py, "-c", pythonImports).CombinedOutput()
	if err != nil {
		t.Skipf("skipping the Python plugin test: %s cannot import grpc, protobuf, numpy and cryptography (%v: %s); "+
			"install python3-grpcio python3-protobuf python3-numpy python3-cryptography", py, err, out)
	}
	return pythonPluginPath()
}

const pythonImports = "import grpc, google.protobuf, numpy, cryptography"

// pythonAvailable reports whether Debian's python3 can run the example.
func pythonAvailable() bool {
	return exec.Command("/usr/bin/python3", "-c", pythonImports).Run() == nil
}

func pythonPluginPath() string {
	path, err := filepath.Abs("../examples/python/plugin.py")
	if err != nil {
		panic(err)
	}
	return path
}

func TestPythonPlugin(t *testing.T) {
	path := pythonPlugin(t)
	log, logs := testLogger()
	p := openT(t, Config{Path: path, Logger: log})
	info := p.Info()
	if info.Name != "example-python" || info.MaxLength != 18000 || !info.InputGradient {
		t.Fatalf("Info = %+v", info)
	}
	// The Python and Go examples are the same model: compare them.
	g := openT(t, Config{Path: exampleBin})
	x := signals(4, 18000, false)
	pyScores, err := p.Predict(context.Background(), x)
	if err != nil {
		t.Fatalf("Predict: %v\nlog:\n%s", err, logs)
	}
	goScores, err := g.Predict(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-5
	for i := range x {
		for c := range goScores[i] {
			if math.Abs(pyScores[i][c]-goScores[i][c]) > tol {
				t.Errorf("signal %d class %d: Python %v, Go %v", i, c, pyScores[i][c], goScores[i][c])
			}
		}
	}
	labels := []int{0, 1, 2, 3}
	for _, loss := range []model.Loss{model.CrossEntropy, model.LogitMargin} {
		pg, _, err := p.InputGradient(context.Background(), x, labels, loss)
		if err != nil {
			t.Fatal(err)
		}
		gg, _, err := g.InputGradient(context.Background(), x, labels, loss)
		if err != nil {
			t.Fatal(err)
		}
		for i := range gg {
			for _, j := range []int{0, 17999} {
				if d := math.Abs(pg[i][j] - gg[i][j]); d > 1e-4*math.Abs(gg[i][j])+1e-12 {
					t.Errorf("%v: signal %d sample %d: Python gradient %g, Go %g", loss, i, j, pg[i][j], gg[i][j])
				}
			}
		}
	}
	if _, err := p.Predict(context.Background(), [][]float64{make([]float64, 5)}); !errors.Is(err, ErrRejected) {
		t.Errorf("short signal: %v, want ErrRejected", err)
	}
	if len(processes(t, path)) == 0 {
		t.Error("the process table scan does not see the running Python plugin")
	}
	p.Close()
	assertNoProcess(t, path)
}
