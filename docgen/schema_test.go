package docgen

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/topology"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v4"
)

// TestSchemasAreCurrent: the committed schemas are what the Go types give
// ('make docs' rewrites them).
func TestSchemasAreCurrent(t *testing.T) {
	for path, want := range map[string][]byte{ScenarioSchemaPath: ScenarioSchema(), TopologySchemaPath: TopologySchema()} {
		got, err := os.ReadFile(filepath.Join("..", path))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale; run make docs", path)
		}
	}
}

// compile loads a generated schema into the validator.
func compile(t *testing.T, name string, data []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlValue decodes a YAML document into the plain values a JSON Schema
// validator takes: maps with string keys, slices, strings, numbers, bools.
func yamlValue(t *testing.T, name string, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var conv func(any) any
	conv = func(x any) any {
		switch x := x.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = conv(e)
			}
			return x
		case []any:
			for i, e := range x {
				x[i] = conv(e)
			}
			return x
		case int:
			return float64(x)
		case int64:
			return float64(x)
		case uint64:
			return float64(x)
		}
		return x
	}
	return conv(v)
}

// TestSchemasAcceptShippedFiles: every scenario in scenarios/ and every
// preset (and topology file in scenarios/topologies) is valid under its
// schema, and a misspelt key is not: the schemas say what the strict
// decoders accept.
func TestSchemasAcceptShippedFiles(t *testing.T) {
	scen := compile(t, "scenario.schema.json", ScenarioSchema())
	topo := compile(t, "topology.schema.json", TopologySchema())
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := scen.Validate(yamlValue(t, f, data)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	tops, _ := filepath.Glob("../scenarios/topologies/*.yaml")
	for _, f := range tops {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := topo.Validate(yamlValue(t, f, data)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, p := range topology.Presets() {
		data, err := topology.PresetSource(p.Name)
		if err != nil {
			t.Fatal(err)
		}
		if err := topo.Validate(yamlValue(t, p.Name, data)); err != nil {
			t.Errorf("preset %s: %v", p.Name, err)
		}
	}
	bad := "name: x\ntopologies: [{preset: hgx-h100, domians: 2}]\nworkloads: [{collective: {op: allreduce}}]\n"
	if err := scen.Validate(yamlValue(t, "bad", []byte(bad))); err == nil || !strings.Contains(err.Error(), "domians") {
		t.Errorf("a misspelt key: %v, want an error naming it", err)
	}
}
