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
	return LoadWith(name, domains, nil)
}

// Override sets one field of a topology file before it is built: Path is
// the field's dotted path as in the file ("accelerator.hbm_bandwidth",
// "fabric.link.bandwidth", "switches[nvlink5].power", "power.pue.liquid"),
// Value its new text ("10 TB/s"), with a source comment of its own.
type Override struct {
	Path, Value string
}

// LoadWith is Load with overrides applied to the file first; the result is
// checked as strictly as the file itself.
func LoadWith(name string, domains int, overrides []Override) (*Topology, error) {
	return LoadOpts(name, LoadOptions{Domains: domains, Overrides: overrides})
}

// LoadOptions are the choices a topology is built with beyond its file.
type LoadOptions struct {
	// Domains joins this many scale-up domains (0: the file's).
	Domains int
	// Overrides set fields of the file by path, before it is read.
	Overrides []Override
	// Transport runs the scale-out network on infiniband or roce ("": the
	// file's own; see transport.go).
	Transport string
}

// LoadOpts is Load with every option.
func LoadOpts(name string, o LoadOptions) (*Topology, error) {
	domains, overrides := o.Domains, o.Overrides
	file := name
	var data []byte
	var err error
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		if data, err = os.ReadFile(name); err != nil {
			return nil, fmt.Errorf("cannot read topology file: %w", err)
		}
	} else {
		file = "presets/" + name + ".yaml"
		if data, err = PresetSource(name); err != nil {
			return nil, err
		}
	}
	var f *File
	if len(overrides) == 0 {
		if f, _, err = ParseFile(file, data); err != nil {
			return nil, err
		}
	} else {
		var doc yaml.Node
		if err := yaml.Load(data, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		for _, o := range overrides {
			if err := strictyaml.SetPath(&doc, o.Path, o.Value); err != nil {
				return nil, fmt.Errorf("override of %s: %w", name, err)
			}
		}
		f = &File{}
		root := &doc
		if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
			root = root.Content[0]
		}
		if err := strictyaml.DecodeNode(file+" (with overrides)", "", root, f); err != nil {
			return nil, err
		}
	}
	spec, err := f.Spec(file, domains)
	if err != nil {
		return nil, err
	}
	if o.Transport != "" {
		if err := spec.retransport(o.Transport); err != nil {
			return nil, err
		}
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
	"spine": true, "chip": true, "cooling": true, "transport": true,
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
