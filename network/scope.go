package network

import "github.com/cardsea/cardsea/topology"

// Scope is what the scale-up fabric may carry, as NCCL's switches that
// keep traffic off NVLink set it:
//
//   - ScopeAll, the default: any two accelerators of a scale-up domain
//     talk over it.
//   - ScopeServer (NCCL_MNNVL_ENABLE=0): only accelerators of the same
//     server (node, tray) do; between servers of one domain (the 18 trays
//     of an NVL72) traffic goes over the scale-out network, as it does
//     between domains.
//   - ScopeNone (NCCL_P2P_DISABLE=1 with NCCL_SHM_DISABLE=1, how published
//     "NVLink off" runs measure the network alone): no two accelerators
//     do; every transfer goes out by a NIC and in by one.
//
// A route from src to dst may then not pass from a scale-up element (a
// switch of a scale-up domain, or an accelerator die that forwards, as a
// torus's do) to a die other than src unless the scope lets the two talk
// over it: every path between two dies reaches the destination from the
// element before it, so the rule, applied from either end, admits the
// same paths. Power and the devices themselves do not change.
type Scope uint8

// Scopes.
const (
	ScopeAll Scope = iota
	ScopeServer
	ScopeNone
)

func (s Scope) String() string {
	switch s {
	case ScopeServer:
		return "server"
	case ScopeNone:
		return "none"
	}
	return "all"
}

// NewScopedFabric builds the quotient of t with the scale-up fabric
// limited to scope s (see Scope).
func NewScopedFabric(t *topology.Topology, s Scope) *Fabric {
	f := NewFabric(t)
	if s == ScopeAll {
		return f
	}
	f.scope = s
	f.upElem = make([]bool, len(f.members))
	f.server = make([]int32, len(f.members))
	for v, ms := range f.members {
		f.server[v] = -1
		n := t.Nodes[ms[0]]
		switch n.Kind {
		case topology.KindSwitch:
			f.upElem[v] = t.Switches[n.Index].Domain >= 0
		case topology.KindDie:
			f.upElem[v] = true
			f.server[v] = t.Accels[n.Index].Server
		}
	}
	return f
}

// Scope is the fabric's scope.
func (f *Fabric) Scope() Scope { return f.scope }

// blocked reports whether a path from root may not step from u to w
// under the fabric's scope.
func (f *Fabric) blocked(root, u, w Vertex) bool {
	if f.scope == ScopeAll || !f.upElem[u] || f.server[w] < 0 || w == root {
		return false
	}
	return f.scope == ScopeNone || f.server[w] != f.server[root]
}

// Domain is the scale-up domain die d belongs to under the fabric's scope:
// its domain; its server with ScopeServer (each server then a domain of
// its own); with ScopeNone a domain of its own (numbered past every
// domain and server, by die).
func (f *Fabric) Domain(d topology.NodeID) int32 {
	acc := f.Topo.Accels[f.Topo.Nodes[d].Index]
	switch f.scope {
	case ScopeServer:
		return acc.Server
	case ScopeNone:
		return int32(d)
	}
	return acc.Domain
}
