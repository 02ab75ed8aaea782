package collective

import (
	"fmt"
	"github.com/cardsea/cardsea/internal/field"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/sim"
	"github.com/cardsea/cardsea/topology"
)

// Group is a set of ranks placed on a topology. A rank is an accelerator
// die (the whole accelerator where it has one die).
type Group struct {
	Fabric *network.Fabric
	Dies   []topology.NodeID
	verts  []network.Vertex
	alpha  []sim.Time // step latency of each rank's accelerator (in use)
	ll     []sim.Time // step latency, low-latency protocol
	bulk   []sim.Time // step latency, bulk protocol
	domain []int32
	over   sim.Time
	// spans is whether the ranks are in more than one scale-up domain;
	// nccl whether the operation runs through NCCL's proxy across them
	// (every operation but MoE dispatch and combine). netRing, netTree
	// and proxy are the network's share of a step across domains for the
	// protocol in use (netlat.go).
	spans, nccl             bool
	netRing, netTree, proxy sim.Time
	// channels bounds the channels across domains (Options.Channels).
	channels int
	// hccl is whether the ranks' accelerators run Huawei's HCCL
	// (topology.AcceleratorSpec.Collectives), whose algorithms differ from
	// NCCL's (autoAlgorithms).
	hccl bool
	// sym is the ranks' symmetry on the fabric, found on first use
	// (orbit.go).
	sym *rankSymmetry
	// pxn is what PXN forwarding reads (pxn.go), found on first use.
	pxn *pxnTable
}

// Placement selects ranks on a topology.
type Placement struct {
	// Ranks is how many ranks; 0 means every die.
	Ranks int
	// PerServer places one rank on each server (its first die) instead of
	// filling servers in order.
	PerServer bool
	// PerAccel places one rank on each accelerator (its first die), for
	// multi-die accelerators run as one rank each.
	PerAccel bool
	// List names the ranks by die index (topology.Dies order); it overrides
	// Ranks and PerServer.
	List []int
}

// Failed accelerators (topology.WithFaults) hold no ranks: every placement
// counts over the surviving dies only, so "every die" means every
// surviving die, Ranks N takes the first N survivors and List indexes the
// survivors in topology.Dies order (the same indices as Dies when none
// has failed).

// NewGroup places ranks on the fabric's topology.
func NewGroup(f *network.Fabric, p Placement) (*Group, error) {
	t := f.Topo
	all := t.LiveDies()
	survivors := ""
	if len(all) < len(t.Dies()) {
		survivors = " surviving"
	}
	var dies []topology.NodeID
	switch {
	case len(p.List) > 0:
		seen := map[int]bool{}
		for _, i := range p.List {
			if i < 0 || i >= len(all) {
				return nil, fmt.Errorf("rank list names die %d; %s has%s dies 0 to %d", i, t.Name, survivors, len(all)-1)
			}
			if seen[i] {
				return nil, fmt.Errorf("rank list names die %d twice", i)
			}
			seen[i] = true
			dies = append(dies, all[i])
		}
	case p.PerServer, p.PerAccel:
		last := int32(-1)
		for _, a := range t.Accels {
			if a.Failed {
				continue
			}
			if p.PerAccel || a.Server != last {
				dies = append(dies, a.Dies[0])
				last = a.Server
			}
		}
		if p.Ranks > 0 {
			if p.Ranks > len(dies) {
				return nil, fmt.Errorf("%d ranks, one per server or accelerator, but %s has %d%s", p.Ranks, t.Name, len(dies), survivors)
			}
			dies = dies[:p.Ranks]
		}
	default:
		n := p.Ranks
		if n == 0 {
			n = len(all)
		}
		if n > len(all) {
			return nil, field.Errorf("ranks", "%d, but %s has %d%s accelerator dies; use {ranks} %d or fewer, or more scale-up domains ({domains})", n, t.Name, len(all), survivors, len(all))
		}
		dies = all[:n]
	}
	if len(dies) < 2 {
		return nil, fmt.Errorf("a collective needs at least 2 ranks, got %d", len(dies))
	}
	g := &Group{Fabric: f, Dies: dies, sym: &rankSymmetry{}, pxn: &pxnTable{}}
	for _, d := range dies {
		node := t.Nodes[d]
		acc := t.Accels[node.Index]
		g.verts = append(g.verts, f.Vertex(d))
		g.ll = append(g.ll, sim.FromSeconds(acc.Spec.StepLatencyS))
		b := acc.Spec.BulkStepLatencyS
		if b == 0 {
			b = acc.Spec.StepLatencyS
		}
		g.bulk = append(g.bulk, sim.FromSeconds(b))
		g.domain = append(g.domain, f.Domain(d))
		g.over = max(g.over, sim.FromSeconds(acc.Spec.OpOverheadS))
		g.hccl = g.hccl || acc.Spec.Collectives == "hccl"
	}
	g.alpha = g.bulk
	for _, d := range g.domain {
		g.spans = g.spans || d != g.domain[0]
	}
	return g, nil
}

// with returns g set up for protocol p (LL or Simple) and operation op.
func (g *Group) with(p Protocol, op Op) *Group {
	c := *g
	c.nccl = !isMoE(op)
	if p == LL {
		c.alpha = g.ll
		c.netRing, c.netTree, c.proxy = netRingLL, netTreeLL, proxyLL
	} else {
		c.alpha = g.bulk
		c.netRing, c.netTree, c.proxy = netRingSimple, netTreeSimple, proxySimple
	}
	return &c
}

// Size is the number of ranks.
func (g *Group) Size() int { return len(g.Dies) }
