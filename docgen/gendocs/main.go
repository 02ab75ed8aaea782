// Command gendocs rewrites the generated documents (docs/presets.md, docs/records.md and the
// JSON Schemas in docs/schema). Run it
// from the module root: `make docs`.
package main

import (
	"fmt"
	"os"

	"github.com/cardsea/cardsea/docgen"
)

func main() {
	data, err := docgen.Presets()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
	for path, data := range map[string][]byte{docgen.PresetsPath: data, docgen.RecordsPath: docgen.Records(),
		docgen.ScenarioSchemaPath: docgen.ScenarioSchema(), docgen.TopologySchemaPath: docgen.TopologySchema()} {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gendocs:", err)
			os.Exit(1)
		}
	}
}
