package docgen

import (
	"go/build"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestArchitectureImports: docs/architecture.md's import table is every
// package of the module with exactly the packages of ours it imports (not
// counting tests), and each imports only packages listed above it, so
// imports point one way.
func TestArchitectureImports(t *testing.T) {
	const module = "github.com/cardsea/cardsea/"
	root := filepath.Join("..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z/]+)` \\| (.*) \\|$")
	tick := regexp.MustCompile("`([a-z/]+)`")
	var order []string
	listed := map[string][]string{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		order = append(order, m[1])
		for _, i := range tick.FindAllStringSubmatch(m[2], -1) {
			listed[m[1]] = append(listed[m[1]], i[1])
		}
	}
	actual := map[string][]string{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "testdata" || n == "bin") {
			return filepath.SkipDir
		}
		p, err := build.ImportDir(path, 0)
		if err != nil || len(p.GoFiles) == 0 {
			return nil // no Go files, or tests only (deploy)
		}
		rel, _ := filepath.Rel(root, path)
		var ours []string
		for _, i := range p.Imports {
			if s, ok := strings.CutPrefix(i, module); ok {
				ours = append(ours, s)
			}
		}
		actual[filepath.ToSlash(rel)] = ours
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for pkg, imps := range actual {
		if pkg == "." {
			continue
		}
		doc, ok := listed[pkg]
		if !ok && !slices.Contains(order, pkg) {
			t.Errorf("package %s is missing from docs/architecture.md's import table (it imports %v)", pkg, imps)
			continue
		}
		slices.Sort(doc)
		if !slices.Equal(doc, imps) {
			t.Errorf("docs/architecture.md says %s imports %v; it imports %v", pkg, doc, imps)
		}
		at := slices.Index(order, pkg)
		for _, i := range imps {
			if j := slices.Index(order, i); j < 0 || j > at {
				t.Errorf("%s imports %s, which the table lists below it: imports must point down", pkg, i)
			}
		}
	}
	for _, pkg := range order {
		if _, ok := actual[pkg]; !ok {
			t.Errorf("docs/architecture.md lists %s, which is no package", pkg)
		}
	}
}
