package topology

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/internal/strictyaml"
)

// LinksFabric is a scale-up fabric given link by link (fabric kind
// "links"), for systems the parametric kinds cannot state: a half-populated
// CloudMatrix, a torus with links missing, a box that mixes NVLink and
// PCIe. Chips are added in the order listed, then the links in the order
// listed, so a file that lists what a parametric kind builds, in the
// order it builds it, gives the same topology (TestLinksMatchClos2).
//
// Endpoints name, within one domain: an accelerator "acc3" (its first
// die), a die "acc3.die1", a CPU "s0.cpu1" (server 0's second) or a chip
// by its name. Accelerators and CPUs are numbered within the domain, so
// every domain of a multi-domain topology gets the same wiring. A link to
// itself, an endpoint that names nothing, a lane count or a rate of 0 and
// an accelerator no link reaches are refused with the link's line.
//
// Cost: O(chips + links) with a map from names to nodes.
type LinksFabric struct {
	Chips   []LinksChip
	Links   []LinksLink
	CPULink *LinkSpec // joins each CPU to its server's accelerators; nil for none
	file    string    // for errors
}

// LinksChip is one switch chip of a LinksFabric.
type LinksChip struct {
	Name  string
	Spec  *SwitchSpec
	Tier  string
	Plane int
}

// LinksLink is one connection of a LinksFabric; Field, Line and Column say
// where it is written.
type LinksLink struct {
	A, B         string
	Lanes        int
	Spec         LinkSpec
	Field        string
	Line, Column int
}

// Kind implements Fabric.
func (f *LinksFabric) Kind() string { return "links" }

func (f *LinksFabric) build(t *Topology, ctx *domainCtx) error {
	node := map[string]NodeID{}
	for local, ai := range ctx.accels {
		a := t.Accels[ai]
		node["acc"+strconv.Itoa(local)] = a.Dies[0]
		for k, d := range a.Dies {
			node[fmt.Sprintf("acc%d.die%d", local, k)] = d
		}
	}
	for s, cpus := range ctx.cpuSrv {
		for k, ci := range cpus {
			node[fmt.Sprintf("s%d.cpu%d", s, k)] = t.CPUs[ci].Node
		}
	}
	for i, ch := range f.Chips {
		if _, dup := node[ch.Name]; dup {
			return &strictyaml.Error{File: f.file, Field: fmt.Sprintf("fabric.chips[%d].name", i), Msg: fmt.Sprintf("%q names a node already (an accelerator, a CPU or another chip); give the chip a name of its own", ch.Name)}
		}
		si := t.addSwitch(ch.Spec, ch.Tier, ch.Plane, ctx.index, ctx.prefix+ch.Name)
		node[ch.Name] = t.Switches[si].Node
	}
	reached := map[NodeID]bool{}
	for _, l := range f.Links {
		fail := func(field, format string, args ...any) error {
			return &strictyaml.Error{File: f.file, Line: l.Line, Column: l.Column, Field: l.Field + field, Msg: fmt.Sprintf(format, args...)}
		}
		a, ok := node[l.A]
		if !ok {
			return fail(".a", "%q names no node; %s", l.A, f.names(len(ctx.accels)))
		}
		b, ok := node[l.B]
		if !ok {
			return fail(".b", "%q names no node; %s", l.B, f.names(len(ctx.accels)))
		}
		if a == b {
			return fail(".b", "%q is a's own node: a link joins two nodes", l.B)
		}
		if l.Lanes < 1 || l.Spec.LaneBytesPerS <= 0 {
			return fail("", "%d lanes at %g B/s: a link needs at least 1 lane and a rate above 0", l.Lanes, l.Spec.LaneBytesPerS)
		}
		t.addLink(a, b, l.Spec, l.Lanes)
		reached[a], reached[b] = true, true
	}
	for local, ai := range ctx.accels {
		linked := false
		for _, d := range t.Accels[ai].Dies {
			linked = linked || reached[d]
		}
		if !linked && len(ctx.accels) > 1 {
			return &strictyaml.Error{File: f.file, Field: "fabric.links", Msg: fmt.Sprintf("accelerator acc%d has no link: it would be cut off from the scale-up fabric; add one, e.g. {a: acc%d, b: %s}", local, local, f.someChip())}
		}
	}
	if f.CPULink != nil {
		t.linkCPUsToAccels(ctx, *f.CPULink)
	}
	return nil
}

// names says what endpoints a domain of n accelerators has.
func (f *LinksFabric) names(n int) string {
	chips := make([]string, 0, min(len(f.Chips), 4))
	for _, c := range f.Chips[:min(len(f.Chips), 3)] {
		chips = append(chips, c.Name)
	}
	if len(f.Chips) > 3 {
		chips = append(chips, "...")
	}
	s := fmt.Sprintf("endpoints are acc0 to acc%d (or a die, acc0.die1), CPUs s0.cpu0 and on", n-1)
	if len(chips) > 0 {
		s += ", and the chips " + strings.Join(chips, ", ")
	}
	return s
}

// someChip is a chip's name for an example, or another accelerator's.
func (f *LinksFabric) someChip() string {
	if len(f.Chips) > 0 {
		return f.Chips[0].Name
	}
	return "acc0"
}
