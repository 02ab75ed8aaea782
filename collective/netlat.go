package collective

import "github.com/cardsea/cardsea/sim"

// The software latency of a step across scale-up domains, as NCCL's tuner
// charges it. A transfer that leaves its domain goes through NCCL's
// network proxy (a CPU thread posting the work to the NIC, and for the
// Simple protocol a flush of the received data to the GPU), which an
// NVLink step does not. NCCL 2.30.7's tuner (github.com/NVIDIA/nccl,
// src/graph/tuning.cc, ncclTunerConstantsDefaults.hwLatencies, in us)
// gives per step:
//
//	           ring LL  ring Simple  tree LL  tree Simple
//	NVLINK       0.6       3.4         0.6        4.0
//	NET          2.7      14.0         5.0       14.0
//
// and, on every step of a ring that spans nodes, at least the proxy's
// netOverhead: 1 us on Intel x86 and Arm hosts, 2 us on AMD (getNetOverhead),
// three times that for Simple. The accelerators' own step latencies
// (step_latency, bulk_step_latency in a preset) are fitted to measured
// NVLink steps, so a step across domains pays them plus what NCCL's tuner
// adds for the network, NET less NVLINK of the same algorithm and
// protocol, as a lag on the route: the receiver waits for it, the sender
// does not (NCCL keeps NCCL_STEPS = 8 steps in flight per connection, so
// the proxy's work on one step overlaps the GPU's on the next). The wires and switches of the route add their own latency on
// top, as on any route; NCCL's NET figures include them (at most about a
// microsecond on one leaf), so a step across domains may be over-counted
// by that much.
//
// MoE dispatch and combine (DeepEP and the like) post their RDMA writes
// from the GPU without NCCL's proxy, and pay none of this.
var (
	netRingLL     = sim.FromSeconds((2.7 - 0.6) * 1e-6)
	netRingSimple = sim.FromSeconds((14.0 - 3.4) * 1e-6)
	netTreeLL     = sim.FromSeconds((5.0 - 0.6) * 1e-6)
	netTreeSimple = sim.FromSeconds((14.0 - 4.0) * 1e-6)
	// LL128, from NCCL 2.29.2's table (the same figures): ring NET 4.0
	// less NVLINK 1.9 us, tree NET 8.5 less NVLINK 1.25 us.
	netRingLL128 = sim.FromSeconds((4.0 - 1.9) * 1e-6)
	netTreeLL128 = sim.FromSeconds((8.5 - 1.25) * 1e-6)
	// proxyLL and proxySimple are NCCL's netOverhead on an Intel or Arm
	// host (AMD hosts pay twice as much), the least any step of a ring
	// spanning domains takes.
	proxyLL     = sim.FromSeconds(1e-6)
	proxySimple = sim.FromSeconds(3e-6)
)

// setNetLag sets the lag p's transfers between domains pay: the tree
// figure for tree, the ring figure for every other algorithm (NCCL's
// point-to-point sends cross the same proxy), none for MoE dispatch and
// combine or a group within one domain.
func (p *Plan) setNetLag(g *Group, algo Algorithm) {
	if !g.nccl || !g.spans {
		return
	}
	p.netLag = g.netRing
	if algo == Tree {
		p.netLag = g.netTree
	}
	p.netDom = make([]int32, g.Fabric.Vertices())
	for v := range p.netDom {
		p.netDom[v] = -1
	}
	for r, v := range g.verts {
		p.netDom[v] = g.domain[r]
	}
}

// ringHop is the software latency of a step rank from sends in a ring,
// chain or point-to-point pattern: the sender's step latency, and at least
// the proxy's overhead when the group spans domains. (The network's share
// of a step that leaves its domain is a lag on its route, setNetLag; a
// tree step pays the sender's step latency alone.)
func (g *Group) ringHop(from int) sim.Time {
	a := g.alpha[from]
	if g.nccl && g.spans {
		a = max(a, g.proxy)
	}
	return a
}

// ringAlphas is the step latency of each position of a ring in order:
// position i's send to position i+1 (the last to the first). It is g's own
// alpha, not a copy, when no step differs from the rank's.
func (g *Group) ringAlphas(order []int) []sim.Time {
	if isInOrder(order) && !(g.nccl && g.spans) {
		return g.alpha
	}
	out := make([]sim.Time, len(order))
	for i, r := range order {
		out[i] = g.ringHop(r)
	}
	return out
}
