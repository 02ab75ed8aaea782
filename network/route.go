package network

import (
	"fmt"

	"github.com/cardsea/cardsea/sim"
)

// share is the fraction of a flow's rate that crosses one channel.
type share struct {
	ch   int32
	frac float64
}

// route is how a flow between two vertices uses the fabric.
type route struct {
	shares  []share
	latency float64  // first-byte latency: wires and switches, the slowest branch
	delay   sim.Time // latency as a simulated time
	hops    int
}

type bfsResult struct {
	dist  []int32
	sigma []float64 // number of shortest paths from the root
}

// search counts shortest paths from v. Only transit vertices forward.
// Paths are counted in the topology, not the quotient: entering a class of
// m switch chips multiplies a path's count by m, so that when a fault
// splits a class (one chip, or one chip's link, gone) traffic divides
// between the pieces by how many chips each holds rather than evenly. A
// healthy fabric's parallel routes cross classes of equal size, so their
// shares are unchanged.
func (f *Fabric) search(v Vertex) *bfsResult {
	if r, ok := f.bfs[v]; ok {
		return r
	}
	n := len(f.members)
	r := &bfsResult{dist: make([]int32, n), sigma: make([]float64, n)}
	for i := range r.dist {
		r.dist[i] = -1
	}
	r.dist[v], r.sigma[v] = 0, 1
	queue := []Vertex{v}
	for i := 0; i < len(queue); i++ {
		u := queue[i]
		if u != v && !f.transit[u] {
			continue
		}
		for _, e := range f.adj[u] {
			w := e.peer
			switch {
			case r.dist[w] < 0:
				r.dist[w] = r.dist[u] + 1
				r.sigma[w] = r.sigma[u] * f.weight(w)
				queue = append(queue, w)
			case r.dist[w] == r.dist[u]+1:
				r.sigma[w] += r.sigma[u] * f.weight(w)
			}
		}
	}
	f.bfs[v] = r
	return r
}

// route returns how a flow from src to dst spreads over channels: over
// every shortest route of the quotient, each channel carrying the share of
// routes that cross it.
func (f *Fabric) route(src, dst Vertex) (*route, error) {
	if r, ok := f.routes[[2]Vertex{src, dst}]; ok {
		return r, nil
	}
	if src == dst {
		r := &route{}
		f.routes[[2]Vertex{src, dst}] = r
		return r, nil
	}
	fs, bs := f.search(src), f.search(dst)
	d := fs.dist[dst]
	if d < 0 {
		return nil, fmt.Errorf("no route from %s to %s", f.Name(src), f.Name(dst))
	}
	// fs.sigma[dst] counts dst's own weight, bs.sigma[w] does not.
	total := fs.sigma[dst] / f.weight(dst)
	r := &route{hops: int(d)}
	// Walk the shortest-path DAG level by level; lat and seen are scratch
	// arrays indexed by vertex, stamped so they need no clearing.
	if len(f.lat) < len(f.members) {
		f.lat = make([]float64, len(f.members))
		f.seen = make([]uint32, len(f.members))
	}
	f.stamp++
	lat, seen, stamp := f.lat, f.seen, f.stamp
	lat[src], seen[src] = 0, stamp
	level := append(f.level[:0], src)
	var next []Vertex
	for len(level) > 0 {
		next = next[:0]
		for _, u := range level {
			if u == dst {
				continue
			}
			for _, e := range f.adj[u] {
				w := e.peer
				if fs.dist[w] != fs.dist[u]+1 || bs.dist[w] != bs.dist[u]-1 || bs.dist[w] < 0 {
					continue
				}
				if w != dst && !f.transit[w] {
					continue
				}
				r.shares = append(r.shares, share{ch: e.ch, frac: fs.sigma[u] * bs.sigma[w] / total})
				l := lat[u] + f.chans[e.ch].LatencyS + f.switchLat[u]
				if seen[w] != stamp {
					seen[w] = stamp
					lat[w] = l
					next = append(next, w)
				} else if l > lat[w] {
					lat[w] = l
				}
			}
		}
		level, next = next, level
	}
	f.level = level
	r.latency = lat[dst]
	r.delay = sim.FromSeconds(r.latency)
	f.routes[[2]Vertex{src, dst}] = r
	return r, nil
}

// weight is how many parallel chips a vertex stands for on a path: a
// switch class's size, 1 for an endpoint.
func (f *Fabric) weight(v Vertex) float64 {
	if !f.transit[v] || len(f.members[v]) < 2 {
		return 1
	}
	return float64(len(f.members[v]))
}

// AddLoad adds to load (indexed by channel) the bytes a transfer from src
// to dst puts on every channel of its route. Summed over a plan and divided
// by capacity it bounds the plan's time from below.
func (f *Fabric) AddLoad(load []float64, src, dst Vertex, bytes float64) error {
	r, err := f.route(src, dst)
	if err != nil {
		return err
	}
	for _, s := range r.shares {
		load[s.ch] += bytes * s.frac
	}
	return nil
}
