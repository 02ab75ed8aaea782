package topology_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// block returns the lines of the YAML mapping under key at indent within
// text (key's own line excluded), or "".
func block(text, key string, indent int) string {
	pad := strings.Repeat(" ", indent)
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l == pad+key+":" {
			var out []string
			for _, m := range lines[i+1:] {
				if len(m)-len(strings.TrimLeft(m, " ")) <= indent && strings.TrimSpace(m) != "" {
					break
				}
				out = append(out, m)
			}
			return strings.Join(out, "\n")
		}
	}
	return ""
}

// linksCM384 writes cm384 as a links fabric: the chips and links its
// clos2 fabric builds, in the order it builds them, with its own link
// figures, and returns the file's path.
func linksCM384(t *testing.T) string {
	t.Helper()
	src, err := topology.PresetSource("cm384")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	top, err := topology.Load("cm384", 1)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("fabric:\n  kind: links\n  link:\n" + block(text, "link", 2) + "\n")
	b.WriteString("  link_types:\n    uplink:\n" + indent(block(text, "uplink", 2), 2) + "\n    cpu:\n" + indent(block(text, "cpu_link", 2), 2) + "\n")
	b.WriteString("  chips:\n")
	spec := map[string]string{"l1": "ub-l1", "l2": "ub-l2"}
	for _, s := range top.Switches {
		if s.Domain < 0 {
			continue
		}
		fmt.Fprintf(&b, "    - {name: %s, switch: %s, tier: %s, plane: %d}\n", top.Nodes[s.Node].Name, spec[s.Tier], s.Tier, s.Plane)
	}
	b.WriteString("  links:\n")
	for _, l := range top.Links {
		a, z := top.Nodes[l.A], top.Nodes[l.B]
		if a.Kind != topology.KindSwitch && z.Kind != topology.KindSwitch {
			continue // die-die and die-NIC links come with the accelerators
		}
		typ := ""
		switch {
		case a.Kind == topology.KindCPU || z.Kind == topology.KindCPU:
			typ = ", type: cpu"
		case a.Kind == topology.KindSwitch && z.Kind == topology.KindSwitch:
			typ = ", type: uplink"
		}
		fmt.Fprintf(&b, "    - {a: %s, b: %s, lanes: %d%s}\n", a.Name, z.Name, l.Lanes, typ)
	}
	fab := regexp.MustCompile(`(?ms)^fabric:\n.*?\n(scale_out:)`)
	if !fab.MatchString(text) {
		t.Fatal("no fabric block in cm384")
	}
	out := fab.ReplaceAllLiteralString(text, b.String()+"scale_out:")
	out = strings.Replace(out, "name: cm384", "name: cm384-links", 1)
	path := filepath.Join(t.TempDir(), "cm384-links.yaml")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}

// TestLinksMatchClos2: CloudMatrix 384 written link by link (its 7 x 48
// L1 and 112 L2 chips and 6,160 scale-up links) builds the same topology
// as its clos2 fabric, node for node and link for link, and a 16 MiB
// ring allreduce across its 768 dies runs to the same bits.
func TestLinksMatchClos2(t *testing.T) {
	path := linksCM384(t)
	for _, domains := range []int{1, 2} {
		want, err := topology.Load("cm384", domains)
		if err != nil {
			t.Fatal(err)
		}
		got, err := topology.Load(path, domains)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Nodes) != len(want.Nodes) || len(got.Links) != len(want.Links) || len(got.Switches) != len(want.Switches) {
			t.Fatalf("%d domains: %d nodes, %d links, %d switches; want %d, %d, %d", domains, len(got.Nodes), len(got.Links), len(got.Switches), len(want.Nodes), len(want.Links), len(want.Switches))
		}
		for i := range want.Nodes {
			if got.Nodes[i] != want.Nodes[i] {
				t.Fatalf("node %d: %+v, want %+v", i, got.Nodes[i], want.Nodes[i])
			}
		}
		for i := range want.Links {
			g, w := got.Links[i], want.Links[i]
			g.Class, w.Class = "", ""
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("link %d: %+v, want %+v", i, got.Links[i], want.Links[i])
			}
		}
		for i := range want.Switches {
			g, w := got.Switches[i], want.Switches[i]
			if *g.Spec != *w.Spec || g.Tier != w.Tier || g.Plane != w.Plane || g.Domain != w.Domain {
				t.Fatalf("switch %d differs", i)
			}
		}
	}
	run := func(name string) collective.Result {
		top, err := topology.Load(name, 1)
		if err != nil {
			t.Fatal(err)
		}
		g, err := collective.NewGroup(network.NewFabric(top), collective.Placement{})
		if err != nil {
			t.Fatal(err)
		}
		out, err := collective.Execute(g.Fabric, collective.One(g, collective.AllReduce, collective.Ring, 16<<20, collective.Options{}))
		if err != nil {
			t.Fatal(err)
		}
		return out.Results[0]
	}
	if a, b := run("cm384"), run(path); a.TimeS != b.TimeS || a.BusBW != b.BusBW {
		t.Errorf("ring allreduce 16 MiB: links fabric %.17g s, clos2 %.17g s", b.TimeS, a.TimeS)
	}
}

// TestLinksErrors: a links fabric refuses what cannot be a fabric, naming
// the link's line and field. The board is mi355x-8's with its mesh
// replaced by a links fabric of four links.
func TestLinksErrors(t *testing.T) {
	src, err := topology.PresetSource("mi355x-8")
	if err != nil {
		t.Fatal(err)
	}
	fab := regexp.MustCompile(`(?ms)^fabric:\n.*?\n(scale_out:)`)
	for _, tc := range []struct{ links, want string }{
		{"    - {a: acc0, b: acc0}\n", "a link joins two nodes"},
		{"    - {a: acc0, b: acc9}\n", `"acc9" names no node`},
		{"    - {a: acc0, b: acc1}\n    - {a: acc1, b: acc2}\n", "accelerator acc3 has no link"},
		{"    - {a: acc0, b: acc1, type: nvlink}\n", `no link type "nvlink"`},
		{"    - {a: acc0, b: acc1, lanes: 0}\n", "must be at least 1"},
	} {
		block := "fabric:\n  kind: links\n  link: {bandwidth: 76.8 GB/s/dir, medium: copper}\n  links:\n" + tc.links + "scale_out:"
		path := filepath.Join(t.TempDir(), "board.yaml")
		if err := os.WriteFile(path, []byte(fab.ReplaceAllLiteralString(string(src), block)), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := topology.Load(path, 1)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "fabric.links") {
			t.Errorf("%q: %v, want an error in fabric.links saying %q", tc.links, err, tc.want)
		}
	}
}
