package topology

import (
	"embed"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/cardsea/cardsea/internal/strictyaml"
	"go.yaml.in/yaml/v4"
)

//go:embed presets/*.yaml
var presetFS embed.FS

// PresetInfo names a built-in topology.
type PresetInfo struct {
	Name  string
	Title string
}

// Presets lists the built-in topologies, sorted by name.
func Presets() []PresetInfo {
	entries, _ := presetFS.ReadDir("presets")
	var out []PresetInfo
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".yaml")
		f, _, err := PresetFile(name)
		title := ""
		if err == nil {
			title = f.Title
		}
		out = append(out, PresetInfo{Name: name, Title: title})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// PresetNames lists the built-in topology names, sorted.
func PresetNames() []string {
	var names []string
	for _, p := range Presets() {
		names = append(names, p.Name)
	}
	return names
}

// PresetSource returns the text of a preset file.
func PresetSource(name string) ([]byte, error) {
	data, err := presetFS.ReadFile(path.Join("presets", name+".yaml"))
	if err != nil {
		return nil, UnknownPresetError(name)
	}
	return data, nil
}

// PresetFile parses a built-in preset.
func PresetFile(name string) (*File, *yaml.Node, error) {
	data, err := PresetSource(name)
	if err != nil {
		return nil, nil, err
	}
	return ParseFile("presets/"+name+".yaml", data)
}

// UnknownPresetError says a name is not a preset and suggests the nearest.
func UnknownPresetError(name string) error {
	names := PresetNames()
	msg := fmt.Sprintf("unknown topology %q", name)
	if s := strictyaml.Nearest(name, names); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Errorf("%s; presets: %s; or give a topology file ending in .yaml", msg, strings.Join(names, ", "))
}

// Load builds a topology from a preset name or, when name ends in .yaml or
// .yml, from a topology file. domains > 0 overrides the number of scale-up
// domains.
func Load(name string, domains int) (*Topology, error) {
	var (
		f    *File
		err  error
		file = name
	)
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		data, rerr := os.ReadFile(name)
		if rerr != nil {
			return nil, fmt.Errorf("cannot read topology file: %w", rerr)
		}
		f, _, err = ParseFile(name, data)
	} else {
		file = "presets/" + name + ".yaml"
		f, _, err = PresetFile(name)
	}
	if err != nil {
		return nil, err
	}
	spec, err := f.Spec(file, domains)
	if err != nil {
		return nil, err
	}
	t, err := Build(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// Sourced is one figure of a file with where it comes from.
type Sourced struct {
	Path   string // dotted field path, e.g. "accelerator.peak_flops.bf16"
	Value  string
	Source string
	Line   int
}

// nonFigures are keys whose values are names or choices, not numbers, and
// need no source.
var nonFigures = map[string]bool{
	"name": true, "title": true, "description": true, "assumptions": true, "kind": true,
	"medium": true, "optics": true, "switch": true, "l1": true, "l2": true, "leaf": true,
	"spine": true, "chip": true, "cooling": true,
}

// Figures walks a parsed file and lists every figure with its source, in
// file order.
func Figures(root *yaml.Node) []Sourced {
	var out []Sourced
	var walk func(n *yaml.Node, p string)
	walk = func(n *yaml.Node, p string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if nonFigures[k] {
					continue
				}
				q := k
				if p != "" {
					q = p + "." + k
				}
				walk(n.Content[i+1], q)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				name := fmt.Sprintf("[%d]", i)
				if c.Kind == yaml.MappingNode {
					for j := 0; j+1 < len(c.Content); j += 2 {
						if c.Content[j].Value == "name" {
							name = "[" + c.Content[j+1].Value + "]"
						}
					}
				}
				walk(c, p+name)
			}
		case yaml.ScalarNode:
			src := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(n.LineComment), "#"))
			out = append(out, Sourced{Path: p, Value: n.Value, Source: src, Line: n.Line})
		}
	}
	walk(root, "")
	return out
}

//go:embed presets/SOURCES.md
var sourcesMD string

// SourcesMarkdown is the list of source keys ([P1], [NV1], ...) that preset
// comments cite, as Markdown.
func SourcesMarkdown() string { return sourcesMD }
