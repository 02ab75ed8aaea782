package topology

// Hop is one traversal of a link; Forward is true from Link.A to Link.B.
type Hop struct {
	Link    int32
	Forward bool
}

// Path is a sequence of hops from a source vertex to a destination.
type Path []Hop

// Distances returns the hop count from src to every vertex (-1 where
// unreachable). Only switches forward traffic: a path may start and end at
// an endpoint but never pass through one.
func (t *Topology) Distances(src NodeID) []int32 {
	dist := make([]int32, len(t.Nodes))
	for i := range dist {
		dist[i] = -1
	}
	dist[src] = 0
	queue := []NodeID{src}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if n != src && !t.IsTransit(n) {
			continue
		}
		for _, a := range t.adj[n] {
			if dist[a.Peer] < 0 {
				dist[a.Peer] = dist[n] + 1
				queue = append(queue, a.Peer)
			}
		}
	}
	return dist
}

// ShortestPaths returns up to limit shortest paths from src to dst (all of
// them when limit <= 0), in a deterministic order: lexicographic by the
// vertices and links they visit. Parallel links are distinct paths. These
// are the ECMP sets routing spreads traffic over.
func (t *Topology) ShortestPaths(src, dst NodeID, limit int) []Path {
	if src == dst {
		return nil
	}
	dist := t.Distances(src)
	if dist[dst] < 0 {
		return nil
	}
	// Walk forward from src along edges that bring us one hop closer to
	// dst; distance to dst is needed, so compute it from dst too.
	back := t.Distances(dst)
	var out []Path
	cur := make(Path, 0, dist[dst])
	var walk func(n NodeID) bool
	walk = func(n NodeID) bool {
		if n == dst {
			out = append(out, append(Path(nil), cur...))
			return limit > 0 && len(out) >= limit
		}
		if n != src && !t.IsTransit(n) {
			return false
		}
		for _, a := range t.adj[n] {
			if back[a.Peer] != back[n]-1 || back[a.Peer] < 0 {
				continue
			}
			if a.Peer != dst && !t.IsTransit(a.Peer) {
				continue
			}
			cur = append(cur, Hop{Link: a.Link, Forward: t.Links[a.Link].A == n})
			stop := walk(a.Peer)
			cur = cur[:len(cur)-1]
			if stop {
				return true
			}
		}
		return false
	}
	walk(src)
	return out
}

// PathLatency is the sum of link latencies and the port-to-port latency of
// every switch a path crosses.
func (t *Topology) PathLatency(p Path) float64 {
	var s float64
	for i, h := range p {
		l := t.Links[h.Link]
		s += l.LatencyS
		if i > 0 {
			// the vertex entered by the previous hop is a switch
			prev := t.Links[p[i-1].Link]
			n := prev.B
			if !p[i-1].Forward {
				n = prev.A
			}
			if t.Nodes[n].Kind == KindSwitch {
				s += t.Switches[t.Nodes[n].Index].Spec.LatencyS
			}
		}
	}
	return s
}

// PathCapacity is the smallest per-direction capacity along a path.
func (t *Topology) PathCapacity(p Path) float64 {
	c := 0.0
	for i, h := range p {
		b := t.Links[h.Link].BytesPerS
		if i == 0 || b < c {
			c = b
		}
	}
	return c
}
