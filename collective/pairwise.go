package collective

// Pairwise alltoall: n-1 steps; in step k (1 <= k < n) rank i sends rank
// i+k mod n its S/n (or Matrix[i][j]) after its previous send arrived:
// n(n-1) transfers, n-1 steps.

// pairwise runs alltoall in n-1 steps: in step k rank i sends to i+k.
func (p *Plan) pairwise(g *Group, bytes float64, m [][]float64) {
	n := g.Size()
	if m == nil && p.pairwiseDry(g, bytes/float64(n)) {
		return
	}
	if p.tooMany(int64(n) * int64(n-1)) {
		p.skippedAllPairs(g, AllToAll, bytes, m)
		// Each rank's n-1 sends wait for one another: a chain of n-1
		// step latencies, which Auto's bound of the refused plan counts.
		p.skippedChain(g, n-1)
		return
	}
	p.reserve(n*(n-1), n*(n-2))
	prev := make([]int32, n)
	for i := range prev {
		prev[i] = -1
	}
	for k := 1; k < n; k++ {
		for i := range n {
			j := (i + k) % n
			b := bytes / float64(n)
			if m != nil {
				b = m[i][j]
			}
			prev[i] = p.addVia(g.verts[i], g.pxnVia(AllToAll, i, j), g.verts[j], b, g.ringHop(i), prev[i])
		}
	}
}
