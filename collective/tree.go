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
		trees := crossTrees(g)
		if trees == nil {
			parent, children := heapShape(len(all))
			for _, order := range [][]int{all, reversedOrder(all)} {
				trees = append(trees, treeChannel{order: order, parent: parent, children: children, share: 0.5})
			}
		}
		// Count every tree's transfers first: a plan too large is
		// refused before any of it is built.
		count := int64(0)
		for _, t := range trees {
			count += 2 * int64(len(t.order)-1) * int64(o.chunks(bytes*t.share))
		}
		if p.tooMany(count) {
			for _, t := range trees {
				p.skippedTree(g, t.order, t.parent, bytes*t.share, true, true)
			}
			return
		}
		// Room for every tree at once: reserving tree by tree grows
		// the arrays by doubling, copying them and leaving up to
		// twice the room needed. (Each transfer waits for at most
		// three, two children and its previous chunk.)
		p.reserve(int(count), 2*int(count))
		var blocks *channelBlocks
		if len(trees) > 2 {
			// NCCL's channels, two trees per entry rank: blocks for the
			// symmetric fast path (symmetry.go).
			blocks = &channelBlocks{period: 2}
		}
		for _, t := range trees {
			b := bytes * t.share
			blocks.open(g, p, t.order)
			p.treeShaped(g, t.order, t.parent, t.children, b, o.chunks(b), true, true)
		}
		blocks.close(p)
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
	parent, children := heapShape(len(order))
	p.treeShaped(g, order, parent, children, bytes, chunks, up, down)
}

// heapShape is the binary tree over n positions of tree: position i's
// parent is (i-1)/2 (-1 for the root, position 0).
func heapShape(n int) (parent []int, children [][]int) {
	parent = make([]int, n)
	children = make([][]int, n)
	for i := range n {
		parent[i] = (i - 1) / 2
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < n {
				children[i] = append(children[i], c)
			}
		}
	}
	parent[0] = -1
	return parent, children
}

// treeShaped runs a tree over order, position i's parent at position
// parent[i] (-1 for the root, position 0) and its children at
// children[i], every parent before its children: up reduces chunks to the
// root, down broadcasts them from it, pipelined chunk by chunk.
func (p *Plan) treeShaped(g *Group, order, parent []int, children [][]int, bytes float64, chunks int, up, down bool) {
	n := len(order)
	count := 0
	for _, on := range []bool{up, down} {
		if on {
			count += (n - 1) * chunks
		}
	}
	if p.tooMany(int64(count)) {
		p.skippedTree(g, order, parent, bytes, up, down)
		return
	}
	p.reserve(count, 2*count)
	chunk := bytes / float64(chunks)
	upID := make([]int32, n*chunks)   // position i's send to its parent, chunk c
	downID := make([]int32, n*chunks) // parent's send to position i, chunk c
	for i := range upID {
		upID[i], downID[i] = -1, -1
	}
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

// skippedTree records what a tree that tooMany refused would have sent
// (Plan.unbuilt): bytes from every position to its parent going up, from
// every parent to each child going down, and the chain of a chunk from
// the deepest leaf to the root and back.
func (p *Plan) skippedTree(g *Group, order, parent []int, bytes float64, up, down bool) {
	n := len(order)
	depth := make([]int, n)
	deepest := 0
	for i := 1; i < n; i++ {
		child, par := g.verts[order[i]], g.verts[order[parent[i]]]
		if up {
			p.skipped(g, child, par, bytes)
		}
		if down {
			p.skipped(g, par, child, bytes)
		}
		depth[i] = depth[parent[i]] + 1
		deepest = max(deepest, depth[i])
	}
	hops := 0
	for _, on := range []bool{up, down} {
		if on {
			hops += deepest
		}
	}
	p.skippedChain(g, hops)
}
