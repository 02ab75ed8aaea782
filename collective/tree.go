package collective

// Tree: a binary tree over the ranks (position 0 the root, the parent of
// position i at (i-1)/2), its depth d = floor(log2 n). Up reduces chunks to
// the root, children before parents; down broadcasts them from the root;
// both pipeline chunk by chunk, so a tree of c chunks takes about d+c-1
// chunk times each way.
//
//	allreduce  double binary tree, as NCCL's: two trees, one over the
//	           ranks in order and one over them reversed, each reducing up
//	           and broadcasting down half the buffer, S/2 in c chunks:
//	           4(n-1)·c transfers, 2d steps,
//	           c = chunks(S/2)
//	           across scale-up domains, as NCCL's channels (channels.go):
//	           per NIC of a domain, a chain within each domain from the
//	           rank beside the NIC, the chain heads joined as NCCL's
//	           double binary tree of domains, each of the two trees
//	           carrying S/(2·NICs): 2(n-1)·c transfers a tree,
//	           c = chunks(S/(2·NICs)), 2(l-1+depth) steps for l ranks a
//	           domain and a tree of domains depth deep
//	broadcast  down only, S in c chunks: (n-1)·c transfers, d steps,
//	           c = chunks(S)
//	reduce     up only: as broadcast

// treeOp compiles op (allreduce, broadcast or reduce) as binary trees.
func (p *Plan) treeOp(g *Group, op Op, bytes float64, o Options) {
	all := inOrder(g.Size())
	switch op {
	case AllReduce:
		if trees := crossTrees(g); trees != nil {
			for _, t := range trees {
				b := bytes * t.share
				p.treeShaped(g, t.order, t.parent, t.children, b, o.chunks(b), true, true)
			}
			return
		}
		rev := reversedOrder(all)
		p.tree(g, all, bytes/2, o.chunks(bytes/2), true, true)
		p.tree(g, rev, bytes/2, o.chunks(bytes/2), true, true)
	case Broadcast:
		p.tree(g, all, bytes, o.chunks(bytes), false, true)
	case Reduce:
		p.tree(g, all, bytes, o.chunks(bytes), true, false)
	}
}

// tree runs a binary tree over order (position 0 is the root, the parent
// of position i is (i-1)/2): up reduces chunks to the root, down
// broadcasts them from it, pipelined chunk by chunk.
func (p *Plan) tree(g *Group, order []int, bytes float64, chunks int, up, down bool) {
	n := len(order)
	parent := make([]int, n)
	children := make([][]int, n)
	for i := range n {
		parent[i] = (i - 1) / 2
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < n {
				children[i] = append(children[i], c)
			}
		}
	}
	parent[0] = -1
	p.treeShaped(g, order, parent, children, bytes, chunks, up, down)
}

// treeShaped runs a tree over order, position i's parent at position
// parent[i] (-1 for the root, position 0) and its children at
// children[i], every parent before its children: up reduces chunks to the
// root, down broadcasts them from it, pipelined chunk by chunk.
func (p *Plan) treeShaped(g *Group, order, parent []int, children [][]int, bytes float64, chunks int, up, down bool) {
	n := len(order)
	chunk := bytes / float64(chunks)
	upID := make([]int32, n*chunks)   // position i's send to its parent, chunk c
	downID := make([]int32, n*chunks) // parent's send to position i, chunk c
	for i := range upID {
		upID[i], downID[i] = -1, -1
	}
	count := 0
	for _, on := range []bool{up, down} {
		if on {
			count += (n - 1) * chunks
		}
	}
	p.reserve(count, 2*count)
	var buf [8]int32 // a transfer's dependencies, without an allocation each
	for c := range chunks {
		if up {
			// Children before parents: positions from the last to 1.
			for i := n - 1; i >= 1; i-- {
				deps := buf[:0]
				for _, ch := range children[i] {
					deps = append(deps, upID[ch*chunks+c])
				}
				if c > 0 {
					deps = append(deps, afterSent(upID[i*chunks+c-1]))
				}
				upID[i*chunks+c] = p.add(g.verts[order[i]], g.verts[order[parent[i]]], chunk, firstChunk(c, g.alpha[order[i]]), deps...)
			}
		}
		if down {
			for i := 1; i < n; i++ {
				par := parent[i]
				deps := buf[:0]
				if par == 0 {
					if up {
						for _, ch := range children[0] {
							deps = append(deps, upID[ch*chunks+c])
						}
					}
				} else {
					deps = append(deps, downID[par*chunks+c])
				}
				if c > 0 {
					deps = append(deps, afterSent(downID[i*chunks+c-1]))
				}
				downID[i*chunks+c] = p.add(g.verts[order[par]], g.verts[order[i]], chunk, firstChunk(c, g.alpha[order[par]]), deps...)
			}
		}
	}
}
