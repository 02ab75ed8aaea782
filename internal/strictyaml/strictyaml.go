package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"
)

// MaxBytes is the largest document Decode accepts; larger input is refused
// up front rather than parsed.
const MaxBytes = 16 << 20

// Error is a decoding or validation error at a position in a file.
type Error struct {
	File   string // file name as given by the caller
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Field  string // dotted path of the field, e.g. "accelerator.hbm"; may be empty
	Msg    string // what is wrong and, where possible, how to fix it
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		fmt.Fprintf(&b, "field `%s`: ", e.Field)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// At returns an *Error located at node n.
func At(file string, n *yaml.Node, field, format string, args ...any) *Error {
	e := &Error{File: file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// Decode parses data, which must hold exactly one YAML document, and decodes
// it into v, a pointer to a struct. It returns the document's root mapping
// node so that callers can report later validation errors at positions and
// read comments.
func Decode(file string, data []byte, v any) (*yaml.Node, error) {
	if len(data) > MaxBytes {
		return nil, &Error{File: file, Msg: fmt.Sprintf("file is %d bytes; the limit is %d", len(data), MaxBytes)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{File: file, Line: 1, Msg: "file is empty"}
	}
	var doc yaml.Node
	if err := yaml.Load(data, &doc); err != nil {
		return nil, convert(file, "", err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, &Error{File: file, Line: 1, Msg: "file is empty"}
		}
		root = root.Content[0]
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, fmt.Errorf("strictyaml: Decode needs a non-nil pointer, got %T", v)
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, &Error{File: file, Line: root.Line, Column: root.Column, Msg: "file holds no fields (an empty or null document)"}
	}
	if err := newChecker(file).check("", root, rv.Type().Elem(), 0); err != nil {
		return nil, err
	}
	if err := root.Load(v, yaml.WithKnownFields()); err != nil {
		return nil, convert(file, "", err)
	}
	return root, nil
}

// DecodeNode decodes one node into v with the same checks as Decode; field
// is the dotted path of n, used in messages.
func DecodeNode(file, field string, n *yaml.Node, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("strictyaml: DecodeNode needs a non-nil pointer, got %T", v)
	}
	if err := newChecker(file).check(field, n, rv.Type().Elem(), 0); err != nil {
		return err
	}
	if err := n.Load(v, yaml.WithKnownFields()); err != nil {
		return convert(file, field, err)
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// legacyUnmarshaler is yaml's older custom decoder, which packages that
// do not import yaml can implement (study.Rates: one value or a list).
var legacyUnmarshalerType = reflect.TypeFor[interface{ UnmarshalYAML(func(any) error) error }]()

const maxDepth = 64

// checker walks a node tree against a Go type. It checks the target of an
// alias once per type, so a document of nested aliases (a "billion laughs")
// costs time linear in its size, not in its expansion.
type checker struct {
	file string
	seen map[aliasKey]bool
}

type aliasKey struct {
	n *yaml.Node
	t reflect.Type
}

func newChecker(file string) *checker {
	return &checker{file: file, seen: map[aliasKey]bool{}}
}

// check walks node n against Go type t and reports unknown or duplicate
// keys and mismatched shapes with positions and suggestions.
func (c *checker) check(path string, n *yaml.Node, t reflect.Type, depth int) error {
	file := c.file
	if depth > maxDepth {
		return At(file, n, path, "nested more than %d levels deep", maxDepth)
	}
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
		depth++
		if depth > maxDepth {
			return At(file, n, path, "aliases nested more than %d levels deep", maxDepth)
		}
		k := aliasKey{n, t}
		if c.seen[k] {
			return nil
		}
		c.seen[k] = true
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t.Implements(unmarshalerType) ||
		reflect.PointerTo(t).Implements(legacyUnmarshalerType) || t.Implements(legacyUnmarshalerType) {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	switch t.Kind() {
	case reflect.Interface:
		return nil // any value; the caller interprets it
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return At(file, n, path, "want a mapping of fields (key: value), found %s", describe(n))
		}
		fields := structFields(t)
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			name := k.Value
			if line, dup := seen[name]; dup {
				return At(file, k, join(path, name), "duplicate key (first set on line %d); remove one", line)
			}
			seen[name] = k.Line
			f, ok := fields[name]
			if !ok {
				names := make([]string, 0, len(fields))
				for fn := range fields {
					names = append(names, fn)
				}
				msg := fmt.Sprintf("unknown field `%s`", name)
				if s := Nearest(name, names); s != "" {
					msg += fmt.Sprintf(", did you mean `%s`?", s)
				} else {
					sort.Strings(names)
					msg += fmt.Sprintf("; valid fields here: %s", strings.Join(names, ", "))
				}
				return &Error{File: file, Line: k.Line, Column: k.Column, Field: path, Msg: msg}
			}
			if err := c.check(join(path, name), val, f, depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return At(file, n, path, "want a mapping, found %s", describe(n))
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if line, dup := seen[k.Value]; dup {
				return At(file, k, join(path, k.Value), "duplicate key (first set on line %d); remove one", line)
			}
			seen[k.Value] = k.Line
			if err := c.check(join(path, k.Value), val, t.Elem(), depth+1); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return At(file, n, path, "want a list, found %s", describe(n))
		}
		for i, item := range n.Content {
			if err := c.check(fmt.Sprintf("%s[%d]", path, i), item, t.Elem(), depth+1); err != nil {
				return err
			}
		}
	default:
		if n.Kind != yaml.ScalarNode {
			return At(file, n, path, "want a single value, found %s", describe(n))
		}
	}
	return nil
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", truncate(n.Value, 40))
	}
	return "something else"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// structFields maps YAML names to field types, following the yaml tag
// convention (name,omitempty; "-" skips; untagged fields use the lower-cased
// Go name).
func structFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range structFields(ft) {
				m[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = f.Type
	}
	return m
}

// FieldNames lists the YAML field names of struct type t, sorted; schema
// documentation uses it to stay in step with the Go types.
func FieldNames(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for n := range structFields(t) {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var lineRe = regexp.MustCompile(`line (\d+)(?::(\d+))?`)

// convert turns an error from the yaml package into an *Error with the
// position it carries.
func convert(file, field string, err error) error {
	var le *yaml.LoadError
	if errors.As(err, &le) {
		msg := le.Message
		if le.ContextMsg != "" {
			msg = le.ContextMsg + ": " + msg
		}
		return &Error{File: file, Line: le.Mark.Line, Column: le.Mark.Column, Field: field, Msg: tidy(msg)}
	}
	msg := err.Error()
	e := &Error{File: file, Field: field}
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		if m[2] != "" {
			e.Column, _ = strconv.Atoi(m[2])
		}
	}
	e.Msg = tidy(msg)
	return e
}

func tidy(msg string) string {
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.ReplaceAll(msg, "!!str", "text")
	msg = strings.ReplaceAll(msg, "!!int", "an integer")
	msg = strings.ReplaceAll(msg, "!!float", "a number")
	msg = strings.ReplaceAll(msg, "!!bool", "true/false")
	msg = strings.ReplaceAll(msg, "!!map", "a mapping")
	msg = strings.ReplaceAll(msg, "!!seq", "a list")
	return msg
}

// Nearest returns the candidate closest to name by edit distance, or "" if
// none is close enough to be a plausible typo.
func Nearest(name string, candidates []string) string {
	best, bestD := "", 1<<30
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	if len(name) >= 3 {
		// A prefix of a valid name ("gb200" for "gb200-nvl72") is the
		// likeliest intent; take the shortest such name.
		pre := ""
		for _, c := range sorted {
			if strings.HasPrefix(strings.ToLower(c), strings.ToLower(name)) && (pre == "" || len(c) < len(pre)) {
				pre = c
			}
		}
		if pre != "" {
			return pre
		}
	}
	for _, c := range sorted {
		d := levenshtein(strings.ToLower(name), strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(2, len(name)/3)
	if bestD <= limit {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
