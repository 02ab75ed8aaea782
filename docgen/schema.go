package docgen

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/internal/strictyaml"
	"github.com/cardsea/cardsea/scenario"
	"github.com/cardsea/cardsea/topology"
)

// Where the JSON Schemas of the two file formats live, from the module root.
const (
	ScenarioSchemaPath = "docs/schema/scenario.schema.json"
	TopologySchemaPath = "docs/schema/topology.schema.json"
)

// ScenarioSchema is the JSON Schema (draft 2020-12) of a scenario file,
// generated from scenario.File: the keys its strict decoder accepts, their
// types and the help text of the fields that have one. An editor with a
// YAML language server completes and checks a file that starts
//
//	# yaml-language-server: $schema=https://…/docs/schema/scenario.schema.json
func ScenarioSchema() []byte {
	return schema(reflect.TypeFor[scenario.File](), "cardsea scenario file",
		"A scenario: topologies, workloads to run on each, power and report settings, and an optional sweep (docs/scenarios.md).")
}

// TopologySchema is the JSON Schema of a topology file (the form of the
// presets), generated from topology.File. Figures are a number or a
// string with its unit ("400 Gb/s/dir"); their line comments, which name
// each figure's source, are YAML comments and so outside any schema.
func TopologySchema() []byte {
	return schema(reflect.TypeFor[topology.File](), "cardsea topology file",
		"A supernode: accelerator, hosts, switches, the scale-up fabric and the scale-out network (docs/presets.md).")
}

// schema renders t's schema with the given title and description.
func schema(t reflect.Type, title, desc string) []byte {
	s := typeSchema(t)
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["title"] = title
	s["description"] = desc
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err) // maps of strings, bools and numbers always encode
	}
	return b.Bytes()
}

var figureType = reflect.TypeFor[strictyaml.Figure]()

// typeSchema is the schema of a value of Go type t as the strict YAML
// decoder reads it. encoding/json writes map keys in sorted order, so the
// output does not depend on map iteration.
func typeSchema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == figureType {
		return map[string]any{"type": []string{"number", "string", "boolean"}, "description": "a number, or a number with its unit, e.g. 400 Gb/s/dir or 1.1 us (a yes/no figure such as reduce: true)"}
	}
	if one, ok := oneOrList(t); ok {
		item := typeSchema(one)
		return map[string]any{"anyOf": []any{item, map[string]any{"type": "array", "items": item}}}
	}
	switch t.Kind() {
	case reflect.String:
		// The decoder takes a number's text for a string field.
		return map[string]any{"type": []string{"string", "number"}}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": typeSchema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": typeSchema(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		addFields(t, props)
		return map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	}
	return map[string]any{} // any: overrides and sweep values take every form
}

// addFields adds the YAML keys of struct t's fields to props, inline
// fields' keys at this level.
func addFields(t reflect.Type, props map[string]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			addFields(ft, props)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		s := typeSchema(f.Type)
		if h := f.Tag.Get("help"); h != "" {
			s["description"] = h
		}
		if m := f.Tag.Get("min"); m != "" {
			if v, err := strconv.ParseFloat(m, 64); err == nil {
				s["minimum"] = v
			}
		}
		props[name] = s
	}
}

// oneOrList reports whether t is a one-value-or-a-list type (study.Values:
// a slice type with its own UnmarshalYAML, which takes a scalar or a
// sequence) and its element type.
func oneOrList(t reflect.Type) (reflect.Type, bool) {
	if t.Kind() != reflect.Slice {
		return nil, false
	}
	if _, ok := reflect.PointerTo(t).MethodByName("UnmarshalYAML"); !ok {
		return nil, false
	}
	return t.Elem(), true
}
