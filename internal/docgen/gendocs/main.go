// Command gendocs rewrites the generated documents (docs/presets.md). Run it
// from the module root: `make docs`.
package main

import (
	"fmt"
	"os"

	"github.com/cardsea/cardsea/internal/docgen"
)

func main() {
	data, err := docgen.Presets()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(docgen.PresetsPath, data, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
