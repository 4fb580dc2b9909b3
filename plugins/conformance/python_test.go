package conformance

import (
	"os/exec"
	"testing"
)

func TestBinaryPython(t *testing.T) {
	if out, err := exec.Command("/usr/bin/python3", "-c", "import grpc, google.protobuf, numpy, cryptography").CombinedOutput(); err != nil {
		t.Skipf("skipping the Python plugin: /usr/bin/python3 lacks grpc, protobuf, numpy or cryptography (%v: %s); "+
			"install python3-grpcio python3-protobuf python3-numpy python3-cryptography", err, out)
	}
	TestBinary(t, "../examples/python/plugin.py")
}
