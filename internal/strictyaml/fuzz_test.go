package strictyaml

import (
	"reflect"
	"strings"
	"testing"
)

func reflectTypeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"",
		"# only a comment\n",
		"name: a\ncount: 3\nlink: {bandwidth: 1}\n",
		"name: a\nlink:\n  bandwith: 3\n",
		"name: a\nname: b\n",
		"tags: {a: 1}\n",
		"count: many\n",
		"links:\n  up: {bandwidth: 1, latency: 2}\nhbm: 1e9\nparent: ~\n",
		"tiers:\n  - &t {name: a}\n  - {children: [*t, *t]}\n",
		"tags: &t [a, b]\nname: *t\n",
		"[[[[[[[[",
		"a: b\n---\nc: d\n",
		"\xff\xfe",
		"? [a]\n: 1\n",
		"<<: {name: a}\n",
	} {
		f.Add([]byte(s))
	}
	const file = "fuzz.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		var s testSpec
		root, err := Decode(file, data, &s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), file) {
				t.Fatalf("error %q does not start with %q", err, file)
			}
			if root != nil {
				t.Fatalf("non-nil root with error %v", err)
			}
		}
	})
}
