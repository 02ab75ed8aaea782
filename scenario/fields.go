package scenario

import (
	"reflect"

	"github.com/cardsea/cardsea/internal/strictyaml"
)

// schemaFields lists every field path of the scenario schema
// ("topologies.preset", "workloads.collective.op"), for the documentation
// test.
func schemaFields() []string {
	var out []string
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for _, name := range strictyaml.FieldNames(t) {
			p := name
			if prefix != "" {
				p = prefix + "." + name
			}
			out = append(out, p)
			for i := range t.NumField() {
				if tag := t.Field(i).Tag.Get("yaml"); tag == name {
					walk(t.Field(i).Type, p)
				}
			}
		}
	}
	walk(reflect.TypeFor[File](), "")
	return out
}
