package collective

import "github.com/cardsea/cardsea/network"

// Direct (one-shot): every rank sends its data straight to every other
// rank at once, in one step with no dependencies, each transfer paying its
// rank's step latency.
//
//	allreduce                  S to every peer: n(n-1) transfers of S
//	allgather, reducescatter   n(n-1) transfers of S/n
//	alltoall                   n(n-1) transfers of S/n, or of Matrix[i][j]
//	moe_dispatch, moe_combine  as alltoall, by the MoE traffic matrix
//	                           (moe.go; the plan's overhead is the fused
//	                           kernel's, see RunMoE)
//	sendrecv                   rank i to rank i+1 mod n: n transfers of S
//
// Every kind takes 1 step. Zero-byte matrix entries are still transfers.

// direct sends every rank's data straight to every other rank at once.
func (p *Plan) direct(g *Group, op Op, bytes float64, m [][]float64) {
	if op != SendRecv && m == nil {
		b := bytes / float64(g.Size())
		if op == AllReduce {
			b = bytes
		}
		if p.orbitDirect(g, op, b) {
			return
		}
	}
	p.directMatrix(g, op, bytes, m)
}

// directPairs is direct without the orbit form, of b bytes a pair.
func (p *Plan) directPairs(g *Group, op Op, b float64) {
	bytes := b * float64(g.Size())
	if op == AllReduce || op == SendRecv {
		bytes = b
	}
	p.directMatrix(g, op, bytes, nil)
}

// directMatrix is direct with every pair a transfer.
func (p *Plan) directMatrix(g *Group, op Op, bytes float64, m [][]float64) {
	n := g.Size()
	if op != SendRecv && p.tooMany(int64(n)*int64(n-1)) {
		p.skippedAllPairs(g, op, bytes, m)
		return
	}
	p.reserve(n*(n-1), 0)
	for i := range n {
		for j := range n {
			if i == j {
				continue
			}
			var b float64
			switch op {
			case AllReduce:
				b = bytes
			case AllGather, ReduceScatter:
				b = bytes / float64(n)
			case AllToAll, MoEDispatch, MoECombine:
				b = bytes / float64(n)
				if m != nil {
					b = m[i][j]
				}
			case SendRecv:
				if j != (i+1)%n {
					continue
				}
				b = bytes
			}
			p.addVia(g.verts[i], g.pxnVia(op, i, j), g.verts[j], b, g.ringHop(i))
		}
	}
}

// skippedAllPairs records what a refused all-pairs plan (direct or
// pairwise) would have sent: rank i to every other rank j, bytes for
// allreduce, bytes/n or m[i][j] otherwise. Without a matrix it counts,
// rather than visits, the peers on another vertex, so that bounding a
// plan of a million ranks squared takes a pass over the ranks.
func (p *Plan) skippedAllPairs(g *Group, op Op, bytes float64, m [][]float64) {
	n := g.Size()
	b := bytes / float64(n)
	if op == AllReduce {
		b = bytes
	}
	if m == nil {
		on := map[network.Vertex]int{}
		for _, v := range g.verts {
			on[v]++
		}
		for i := range n {
			p.skipped(g, g.verts[i], -1, float64(n-on[g.verts[i]])*b)
		}
		return
	}
	for i := range n {
		for j := range n {
			if j != i && g.verts[j] != g.verts[i] {
				p.skipped(g, g.verts[i], -1, m[i][j])
			}
		}
	}
}
