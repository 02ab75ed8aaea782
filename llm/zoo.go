package llm

import (
	"embed"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/cardsea/cardsea/internal/strictyaml"
)

//go:embed models/*.yaml
var zooFS embed.FS

// Names lists the models in the zoo, sorted.
func Names() []string {
	entries, _ := zooFS.ReadDir("models")
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") {
			names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
		}
	}
	sort.Strings(names)
	return names
}

// Source returns the text of a zoo model's file.
func Source(name string) ([]byte, error) {
	data, err := zooFS.ReadFile(path.Join("models", name+".yaml"))
	if err != nil {
		return nil, UnknownModelError(name)
	}
	return data, nil
}

// UnknownModelError says a name is not in the zoo and suggests the nearest.
func UnknownModelError(name string) error {
	names := Names()
	msg := fmt.Sprintf("unknown model %q", name)
	if s := strictyaml.Nearest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Errorf("%s; models: %s; or give a model file ending in .yaml", msg, strings.Join(names, ", "))
}

// Load returns a zoo model by name or, when name ends in .yaml or .yml, the
// model described by that file.
func Load(name string) (*Model, error) {
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("cannot read model file: %w", err)
		}
		return Parse(name, data)
	}
	data, err := Source(name)
	if err != nil {
		return nil, err
	}
	return Parse("models/"+name+".yaml", data)
}
