package topology

import "math"

// maxFlow computes the maximum flow from the vertices in sources to the
// vertices in sinks with Dinic's algorithm. Every link is two arcs of its
// per-direction capacity; only switches forward, so arcs out of an endpoint
// exist only for sources and arcs into one only for sinks.
func (t *Topology) maxFlow(sources, sinks []NodeID) float64 {
	n := len(t.Nodes) + 2
	s, sink := n-2, n-1
	isSrc := make([]bool, len(t.Nodes))
	isSink := make([]bool, len(t.Nodes))
	for _, v := range sources {
		isSrc[v] = true
	}
	for _, v := range sinks {
		isSink[v] = true
	}
	g := newFlowGraph(n)
	canLeave := func(v NodeID) bool { return t.IsTransit(v) || isSrc[v] }
	canEnter := func(v NodeID) bool { return t.IsTransit(v) || isSink[v] }
	for _, l := range t.Links {
		if canLeave(l.A) && canEnter(l.B) {
			g.add(int(l.A), int(l.B), l.BytesPerS)
		}
		if canLeave(l.B) && canEnter(l.A) {
			g.add(int(l.B), int(l.A), l.BytesPerS)
		}
	}
	inf := math.Inf(1)
	for _, v := range sources {
		g.add(s, int(v), inf)
	}
	for _, v := range sinks {
		g.add(int(v), sink, inf)
	}
	return g.dinic(s, sink)
}

type arc struct {
	to  int32
	rev int32
	cap float64
}

type flowGraph struct {
	arcs  [][]arc
	level []int32
	iter  []int32
}

func newFlowGraph(n int) *flowGraph {
	return &flowGraph{arcs: make([][]arc, n), level: make([]int32, n), iter: make([]int32, n)}
}

func (g *flowGraph) add(from, to int, c float64) {
	g.arcs[from] = append(g.arcs[from], arc{to: int32(to), rev: int32(len(g.arcs[to])), cap: c})
	g.arcs[to] = append(g.arcs[to], arc{to: int32(from), rev: int32(len(g.arcs[from]) - 1), cap: 0})
}

const flowEps = 1e-9

func (g *flowGraph) bfs(s int) {
	for i := range g.level {
		g.level[i] = -1
	}
	g.level[s] = 0
	q := []int{s}
	for len(q) > 0 {
		v := q[0]
		q = q[1:]
		for _, a := range g.arcs[v] {
			if a.cap > flowEps && g.level[a.to] < 0 {
				g.level[a.to] = g.level[v] + 1
				q = append(q, int(a.to))
			}
		}
	}
}

func (g *flowGraph) dfs(v, sink int, f float64) float64 {
	if v == sink {
		return f
	}
	for ; g.iter[v] < int32(len(g.arcs[v])); g.iter[v]++ {
		a := &g.arcs[v][g.iter[v]]
		if a.cap > flowEps && g.level[v] < g.level[a.to] {
			d := g.dfs(int(a.to), sink, math.Min(f, a.cap))
			if d > flowEps {
				a.cap -= d
				g.arcs[a.to][a.rev].cap += d
				return d
			}
		}
	}
	return 0
}

func (g *flowGraph) dinic(s, sink int) float64 {
	var flow float64
	for {
		g.bfs(s)
		if g.level[sink] < 0 {
			return flow
		}
		for i := range g.iter {
			g.iter[i] = 0
		}
		for {
			f := g.dfs(s, sink, math.Inf(1))
			if f <= flowEps {
				break
			}
			flow += f
		}
	}
}
