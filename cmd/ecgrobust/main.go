// Command ecgrobust tells whether an ECG rhythm classifier survives
// adversarial attack. See README.md.
package main

import (
	"os"

	"github.com/ecgrobust/ecgrobust/cmd/ecgrobust/internal/command"
)

func main() {
	os.Exit(int(command.Main()))
}
