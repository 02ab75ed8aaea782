package strictyaml

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

type Tier struct {
	Name     string   `yaml:"name"`
	Children []Tier   `yaml:"children"`
	Tags     []string `yaml:"tags"`
}

type Spec struct {
	Name  string              `yaml:"name"`
	Tags  []string            `yaml:"tags"`
	Groups map[string][]string `yaml:"groups"`
	Tiers []Tier              `yaml:"tiers"`
}

func bomb(levels, fan int, leaf string) string {
	var b strings.Builder
	b.WriteString("x0: &a0 [")
	for i := 0; i < fan; i++ {
		if i > 0 { b.WriteString(",") }
		b.WriteString(leaf)
	}
	b.WriteString("]\n")
	for l := 1; l < levels; l++ {
		fmt.Fprintf(&b, "x%d: &a%d [", l, l)
		for i := 0; i < fan; i++ {
			if i > 0 { b.WriteString(",") }
			fmt.Fprintf(&b, "*a%d", l-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func TestProbe(t *testing.T) {
	// classic billion laughs under a map[string][]string
	doc := "groups:\n" + indent(bomb(9, 10, "lol"))
	run(t, doc)
	for _, levels := range []int{5, 6, 7, 8} {
		var b strings.Builder
		b.WriteString("tiers:\n  - &c0 {name: n, tags: [a,a,a,a,a,a,a,a,a,a]}\n")
		for l := 1; l < levels; l++ {
			fmt.Fprintf(&b, "  - &c%d {children: [", l)
			for i := 0; i < 10; i++ {
				if i > 0 { b.WriteString(",") }
				fmt.Fprintf(&b, "*c%d", l-1)
			}
			b.WriteString("]}\n")
		}
		t.Log(levels, len(b.String()))
		run(t, b.String())
	}
}

func indent(s string) string { return "  " + strings.ReplaceAll(strings.TrimSuffix(s, "\n"), "\n", "\n  ") + "\n" }

func run(t *testing.T, doc string) {
	var s Spec
	start := time.Now()
	_, err := Decode("f.yaml", []byte(doc), &s)
	t.Logf("%v %v", time.Since(start), err)
}
