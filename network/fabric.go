package network

import (
	"fmt"
	"slices"

	"github.com/cardsea/cardsea/topology"
)

// Vertex is a vertex of the quotient graph: an endpoint of the topology (a
// die, CPU or NIC) or a class of interchangeable switch chips.
type Vertex int32

// Fabric is the quotient of a topology that flows run on. Build it once per
// topology with NewFabric; routes are computed on demand and cached, so a
// Fabric is not safe for concurrent use (give each goroutine its own).
type Fabric struct {
	Topo *topology.Topology

	vertexOf  []Vertex              // topology node -> vertex
	members   [][]topology.NodeID   // vertex -> topology nodes
	transit   []bool                // traffic may pass through the vertex
	switchLat []float64             // port-to-port latency of a switch class
	adj       [][]edge              // sorted by peer
	chans     []Channel             // directed quotient edges
	routes    []routeTable          // cached flow routes, by source
	bfs       map[Vertex]*bfsResult // cached shortest-path counts
	vias      map[[3]Vertex]*route  // cached forwarded routes (RouteVia)
	lagged    map[laggedKey]*route  // cached routes with a transport lag (Lagged)
	merged    map[mergedKey]*route  // cached routes of merged flows (Merged)

	// scope limits the scale-up fabric (scope.go); upElem and server
	// are by vertex, set only when it does.
	scope  Scope
	upElem []bool
	server []int32

	// fromWork and toWork count the vertices that counts of paths from a
	// vertex, as a route's source or destination, cut short in fromPart
	// and toPart, have reached (see routeSearch).
	fromWork, toWork []int32
	fromPart, toPart partial

	// scratch for route walks
	lat   []float64
	seen  []uint32
	stamp uint32
	level []Vertex
	// back, backSeen, backStamp and backLevel are Fabric.backward's
	// scratch, stamped like lat and seen.
	back      []float64
	backSeen  []uint32
	backStamp uint32
	backLevel []Vertex
	// near is the last neighbourhood numbering Automorphism's
	// pre-check found (symmetry.go, nearIDs).
	near *nearFor
}

type edge struct {
	peer Vertex
	ch   int32 // channel from this vertex to peer
}

// Channel is one direction of a (merged) link class.
type Channel struct {
	From, To Vertex
	// BytesPerS is the capacity after protocol efficiency; RawBytesPerS
	// the raw line rate of the merged links.
	BytesPerS, RawBytesPerS float64
	LatencyS                float64
	// Links is how many topology links (lanes summed) the channel merges.
	Lanes int
}

// NewFabric builds the quotient of t.
func NewFabric(t *topology.Topology) *Fabric {
	f := &Fabric{Topo: t, bfs: map[Vertex]*bfsResult{}}
	class := switchClasses(t)
	f.vertexOf = make([]Vertex, len(t.Nodes))
	classVertex := map[int32]Vertex{}
	for id, n := range t.Nodes {
		var v Vertex
		if n.Kind == topology.KindSwitch {
			c := class[id]
			cv, ok := classVertex[c]
			if !ok {
				cv = Vertex(len(f.members))
				classVertex[c] = cv
				f.members = append(f.members, nil)
				sw := t.Switches[n.Index]
				f.transit = append(f.transit, true)
				f.switchLat = append(f.switchLat, sw.Spec.LatencyS)
			}
			v = cv
		} else {
			v = Vertex(len(f.members))
			f.members = append(f.members, nil)
			f.transit = append(f.transit, t.IsTransit(topology.NodeID(id)))
			f.switchLat = append(f.switchLat, 0)
		}
		f.vertexOf[id] = v
		f.members[v] = append(f.members[v], topology.NodeID(id))
	}
	// Merge links into channels, one per ordered vertex pair, in order of
	// first link.
	chanOf := map[[2]Vertex]int32{}
	f.adj = make([][]edge, len(f.members))
	for _, l := range t.Links {
		a, b := f.vertexOf[l.A], f.vertexOf[l.B]
		if a == b {
			continue // inside one switch class: no traffic crosses it
		}
		for _, d := range [2][2]Vertex{{a, b}, {b, a}} {
			c, ok := chanOf[d]
			if !ok {
				c = int32(len(f.chans))
				chanOf[d] = c
				f.chans = append(f.chans, Channel{From: d[0], To: d[1]})
				f.adj[d[0]] = append(f.adj[d[0]], edge{peer: d[1], ch: c})
			}
			ch := &f.chans[c]
			ch.BytesPerS += l.BytesPerS * l.Efficiency
			ch.RawBytesPerS += l.BytesPerS
			ch.LatencyS = max(ch.LatencyS, l.LatencyS)
			ch.Lanes += int(l.Lanes)
		}
	}
	for _, a := range f.adj {
		slices.SortFunc(a, func(x, y edge) int { return int(x.peer - y.peer) })
	}
	return f
}

// switchClasses partitions switch chips into classes of interchangeable
// chips: same tier, same spec and domain, and the same set of neighbour
// classes, refined until stable. Endpoints are their own classes (negative
// IDs keep them apart from switch classes).
func switchClasses(t *topology.Topology) []int32 {
	class := make([]int32, len(t.Nodes))
	type key struct {
		tier   string
		spec   *topology.SwitchSpec
		domain int32
	}
	initial := map[key]int32{}
	for id, n := range t.Nodes {
		if n.Kind != topology.KindSwitch {
			class[id] = -1 - int32(id)
			continue
		}
		sw := t.Switches[n.Index]
		k := key{sw.Tier, sw.Spec, sw.Domain}
		c, ok := initial[k]
		if !ok {
			c = int32(len(initial))
			initial[k] = c
		}
		class[id] = c
	}
	count := len(initial)
	for {
		sig := map[string]int32{}
		next := make([]int32, len(class))
		var buf []int32
		for id, n := range t.Nodes {
			if n.Kind != topology.KindSwitch {
				next[id] = class[id]
				continue
			}
			buf = append(buf[:0], class[id])
			for _, a := range t.Adjacent(topology.NodeID(id)) {
				buf = append(buf, class[a.Peer])
			}
			slices.Sort(buf[1:])
			buf = slices.Compact(buf)
			s := fmt.Sprint(buf)
			c, ok := sig[s]
			if !ok {
				c = int32(len(sig))
				sig[s] = c
			}
			next[id] = c
		}
		class = next
		if len(sig) == count {
			return class
		}
		count = len(sig)
	}
}

// Vertex returns the quotient vertex of a topology node.
func (f *Fabric) Vertex(n topology.NodeID) Vertex { return f.vertexOf[n] }

// Vertices is the number of quotient vertices.
func (f *Fabric) Vertices() int { return len(f.members) }

// Channels lists the directed channels; a channel's index is its ID.
func (f *Fabric) Channels() []Channel { return f.chans }

// Members lists the topology nodes a vertex stands for.
func (f *Fabric) Members(v Vertex) []topology.NodeID { return f.members[v] }

// Name describes a vertex: the node's name, or the first member's name and
// the class size for a switch class ("sw0 x18").
func (f *Fabric) Name(v Vertex) string {
	m := f.members[v]
	name := f.Topo.Nodes[m[0]].Name
	if len(m) > 1 {
		name = fmt.Sprintf("%s x%d", name, len(m))
	}
	return name
}

// ChannelName describes a channel: "acc0 -> sw0 x18".
func (f *Fabric) ChannelName(c int) string {
	ch := f.chans[c]
	return f.Name(ch.From) + " -> " + f.Name(ch.To)
}

// FirstHop returns the vertex a die's traffic enters first on its way to
// the scale-up fabric: the switch class it attaches to (for in-network
// reduction), or -1 when it has none.
func (f *Fabric) FirstHop(die topology.NodeID) Vertex {
	v := f.vertexOf[die]
	for _, e := range f.adj[v] {
		n := f.members[e.peer][0]
		if f.Topo.Nodes[n].Kind == topology.KindSwitch && f.Topo.Switches[f.Topo.Nodes[n].Index].Domain >= 0 {
			return e.peer
		}
	}
	return -1
}

// IsReducing reports whether vertex v is a class of switch chips that
// reduce in the network (NVLink SHARP), and their reduction efficiency.
func (f *Fabric) IsReducing(v Vertex) (bool, float64) {
	n := f.members[v][0]
	node := f.Topo.Nodes[n]
	if node.Kind != topology.KindSwitch {
		return false, 0
	}
	spec := f.Topo.Switches[node.Index].Spec
	eff := spec.ReduceEfficiency
	if eff == 0 {
		eff = 1
	}
	return spec.Reduce, eff
}

// ReductionLatency returns the fixed cost, in seconds, of one in-network
// reduction on switch class v (0 where the preset gives none).
func (f *Fabric) ReductionLatency(v Vertex) float64 {
	node := f.Topo.Nodes[f.members[v][0]]
	if node.Kind != topology.KindSwitch {
		return 0
	}
	return f.Topo.Switches[node.Index].Spec.ReduceLatencyS
}
