// Command plugin serves the reference CNN (reference-model/cnn with the
// weights embedded by reference-model/weights) to the ecgrobust host
// through the Go plugin SDK. `make build` puts it at bin/reference-cnn.
//
// It gives the same scores and input gradients, bit for bit, as the model
// in process: the model itself reads signals at float32 precision and
// rounds gradients to float32, as the protocol carries them.
package main

import (
	"fmt"
	"os"

	"github.com/ecgrobust/ecgrobust/plugins/sdk"
	"github.com/ecgrobust/ecgrobust/reference-model/cnn"
)

func main() {
	m, err := cnn.Reference(0)
	if err != nil {
		fmt.Fprintf(os.Stderr, "reference-cnn: %v\n", err)
		os.Exit(1)
	}
	sdk.Serve(adapter{m})
}
