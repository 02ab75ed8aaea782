package strictyaml

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// SetPath sets the scalar at a dotted path in a YAML tree to value,
// creating mapping keys that are missing on the way. A path step is a
// mapping key ("fabric", "link"), a list index ("switches[1]") or a list
// item named by its `name` field ("switches[nvlink5]"). It is how overrides
// and sweeps change any field of a file without knowing its schema; the
// strict decode that follows rejects paths the schema does not have.
func SetPath(root *yaml.Node, path, value string) error {
	if root == nil {
		return fmt.Errorf("no document to set %q in", path)
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	steps, err := splitPath(path)
	if err != nil {
		return err
	}
	n := root
	for i, st := range steps {
		last := i == len(steps)-1
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: %s is not a mapping", path, strings.Join(stepNames(steps[:i]), "."))
		}
		var child *yaml.Node
		var keys []string
		for j := 0; j+1 < len(n.Content); j += 2 {
			keys = append(keys, n.Content[j].Value)
			if n.Content[j].Value == st.key {
				child = n.Content[j+1]
			}
		}
		if child == nil {
			if st.index != "" {
				msg := fmt.Sprintf("%s: no list `%s` here", path, st.key)
				if s := Nearest(st.key, keys); s != "" {
					msg += fmt.Sprintf(" (did you mean `%s`?)", s)
				}
				return fmt.Errorf("%s", msg)
			}
			child = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			if last {
				child = &yaml.Node{Kind: yaml.ScalarNode}
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: st.key}, child)
		}
		if st.index != "" {
			if child.Kind != yaml.SequenceNode {
				return fmt.Errorf("%s: `%s` is not a list", path, st.key)
			}
			item, err := pick(child, st.index)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			child = item
		}
		if last {
			if v := strings.TrimSpace(value); strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{") {
				// A flow list or mapping replaces the field whole.
				var doc yaml.Node
				if err := yaml.Load([]byte(v), &doc); err != nil || len(doc.Content) != 1 {
					return fmt.Errorf("%s: %q is not a YAML list or mapping", path, value)
				}
				*child = *doc.Content[0]
				return nil
			}
			if child.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s is %s in the file, not a single value: write one value there to sweep it (the sweep replaces it point by point)", path, describe(child))
			}
			child.Value = value
			child.Tag = ""
			child.Style = 0
			return nil
		}
		n = child
	}
	return nil
}

type pathStep struct{ key, index string }

func stepNames(steps []pathStep) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.key)
	}
	return out
}

func splitPath(path string) ([]pathStep, error) {
	if strings.TrimSpace(path) == "" {
		return nil, fmt.Errorf("empty field path")
	}
	var out []pathStep
	for _, part := range strings.Split(path, ".") {
		st := pathStep{key: part}
		if i := strings.IndexByte(part, '['); i >= 0 {
			if !strings.HasSuffix(part, "]") || i == 0 {
				return nil, fmt.Errorf("field path %q: bad step %q (want key, key[2] or key[name])", path, part)
			}
			st.key, st.index = part[:i], part[i+1:len(part)-1]
		}
		if st.key == "" {
			return nil, fmt.Errorf("field path %q has an empty step", path)
		}
		out = append(out, st)
	}
	return out, nil
}

// pick finds a list item by index or by its name field.
func pick(seq *yaml.Node, index string) (*yaml.Node, error) {
	if i, err := strconv.Atoi(index); err == nil {
		if i < 0 || i >= len(seq.Content) {
			return nil, fmt.Errorf("index %d is out of range (the list has %d items)", i, len(seq.Content))
		}
		return seq.Content[i], nil
	}
	var names []string
	for _, item := range seq.Content {
		if item.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(item.Content); j += 2 {
			if item.Content[j].Value == "name" {
				names = append(names, item.Content[j+1].Value)
				if item.Content[j+1].Value == index {
					return item, nil
				}
			}
		}
	}
	sort.Strings(names)
	return nil, fmt.Errorf("no item named %q (named items: %s)", index, strings.Join(names, ", "))
}

// Clone deep-copies a YAML tree (aliases are copied as they stand).
func Clone(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, k := range n.Content {
		c.Content[i] = Clone(k)
	}
	return &c
}

// Find returns the node at a dotted path (the syntax of SetPath), or nil.
func Find(root *yaml.Node, path string) *yaml.Node {
	if root == nil {
		return nil
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	steps, err := splitPath(path)
	if err != nil {
		return nil
	}
	n := root
	for _, st := range steps {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var child *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == st.key {
				child = n.Content[j+1]
			}
		}
		if child == nil {
			return nil
		}
		if st.index != "" {
			if child.Kind != yaml.SequenceNode {
				return nil
			}
			item, err := pick(child, st.index)
			if err != nil {
				return nil
			}
			child = item
		}
		n = child
	}
	return n
}
