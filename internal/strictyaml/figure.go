package strictyaml

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v4"
)

// Figure is one value in a data file as written ("752 TFLOP/s", "7168"),
// with the comment on its line, which names its source, and its position
// for error messages. Preset, topology and model files use it for every
// number they hold.
type Figure struct {
	Text   string
	Source string
	Line   int
	Column int
}

// UnmarshalYAML implements yaml.Unmarshaler: it keeps the text, the line
// comment and the position.
func (f *Figure) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d:%d: want a single value, not a list or mapping", n.Line, n.Column)
	}
	f.Text = strings.TrimSpace(n.Value)
	f.Source = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(n.LineComment), "#"))
	f.Line, f.Column = n.Line, n.Column
	return nil
}

// IsSet reports whether the figure was given.
func (f Figure) IsSet() bool { return f.Text != "" }
