package strictyaml

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

func TestSetPath(t *testing.T) {
	src := "a:\n  b: 1\nlist:\n  - name: x\n    v: 1\n  - name: y\n    v: 2\n"
	for _, tc := range []struct {
		path, value, want, err string
	}{
		{"a.b", "2", "b: 2", ""},
		{"a.c", "3", "c: 3", ""},
		{"new.deep.key", "v", "key: v", ""},
		{"list[1].v", "9", "v: 9", ""},
		{"list[x].v", "7", "v: 7", ""},
		{"list[z].v", "7", "", `no item named "z"`},
		{"list[5].v", "7", "", "out of range"},
		{"lsit[0].v", "7", "", "did you mean `list`"},
		{"a", "7", "", "not a single value"},
		{"a.b.c", "7", "", "not a mapping"},
		{"", "7", "", "empty field path"},
		{"a[", "7", "", "bad step"},
	} {
		var doc yaml.Node
		if err := yaml.Load([]byte(src), &doc); err != nil {
			t.Fatal(err)
		}
		err := SetPath(&doc, tc.path, tc.value)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.path, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.path, err)
			continue
		}
		out, _ := yaml.Dump(&doc)
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("%s: got\n%s\nwant it to contain %q", tc.path, out, tc.want)
		}
	}
}

func TestClone(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Load([]byte("a: {b: 1}\n"), &doc); err != nil {
		t.Fatal(err)
	}
	c := Clone(&doc)
	if err := SetPath(c, "a.b", "2"); err != nil {
		t.Fatal(err)
	}
	out, _ := yaml.Dump(&doc)
	if !strings.Contains(string(out), "b: 1") {
		t.Errorf("clone shares nodes with the original: %s", out)
	}
}
