package collective

import "github.com/cardsea/cardsea/network"

// Ring: the ranks form a ring in rank order and every rank sends its
// successor one block per step; a step's block moves in c chunks
// (Options.chunks), chunk c of step k waiting for the predecessor's chunk c
// of step k-1 to arrive and for the rank's previous chunk to leave, so
// chunks stream through the ring: they add transfers, not steps. (A step
// here is one link of the longest chain of transfers each waiting for
// another to arrive.)
//
//	allreduce      reduce-scatter then allgather: 2(n-1) steps of S/n,
//	               2(n-1)·n·c transfers, c = chunks(S/n)
//	allgather      n-1 steps of S/n: (n-1)·n·c transfers, c = chunks(S/n)
//	reducescatter  as allgather
//	broadcast      a chain rank 0 -> 1 -> ... -> n-1 of S in c chunks:
//	               n-1 steps, (n-1)·c transfers, c = chunks(S); the
//	               chunks pipeline, so it takes about n-1+c-1 chunk times
//	reduce         the chain reversed, n-1 -> ... -> 0: as broadcast
//
// Across scale-up domains the ring runs as NCCL's channels (channels.go):
// one ring per NIC of a domain (up to 32), ring c entering each domain at
// the rank beside NIC c and visiting the domain's ranks from there, its
// last rank's send forwarded through the entry rank to its NIC (PXN),
// each ring carrying its share of the buffer: per ring the counts above
// with S its share, and c = chunks of its block. Broadcast and reduce
// run a chain per channel likewise, along its ring from rank 0 (reduce:
// from rank 0's successor round to rank 0), over the ring's own hops.
//
// A ring over the whole group large enough (minRingForm transfers) is kept
// in ring form (ringplan.go): the same transfers, computed from their
// index instead of stored.

// ringOp compiles op (allreduce, allgather, reducescatter, broadcast or
// reduce) as a ring over the whole group: across scale-up domains, as
// NCCL's channels, one ring per NIC each carrying its share of the
// buffer (channels.go).
func (p *Plan) ringOp(g *Group, op Op, bytes float64, o Options) {
	all := inOrder(g.Size())
	n := float64(g.Size())
	switch op {
	case AllReduce:
		p.wholeRings(g, ringChannels(g), 2*(g.Size()-1), bytes/n, o)
	case AllGather, ReduceScatter:
		p.wholeRings(g, ringChannels(g), g.Size()-1, bytes/n, o)
	case Broadcast, Reduce:
		if chs := crossRings(g); chs != nil {
			for _, ch := range chs {
				order, via := ch.chainFrom(0, op == Reduce)
				b := bytes * ch.share
				p.chainVia(g, order, via, b, o.chunks(b))
			}
			return
		}
		if op == Broadcast {
			p.chain(g, all, bytes, o.chunks(bytes))
		} else {
			p.chain(g, reversedOrder(all), bytes, o.chunks(bytes))
		}
	}
}

// chainFrom is the chain of ring channel ch for a broadcast from root (or
// a reduce to it, toRoot): the ring's ranks from the root on (from the
// root's successor, ending at the root), so every hop is one of the
// ring's, forwarded as the ring's is; via[i] is hop i's.
func (ch ringChannel) chainFrom(root int, toRoot bool) (order []int, via []network.Vertex) {
	n := len(ch.order)
	start := 0
	for i, r := range ch.order {
		if r == root {
			start = i
		}
	}
	if toRoot {
		start = (start + 1) % n
	}
	for j := range n {
		order = append(order, ch.order[(start+j)%n])
		via = append(via, ch.via[(start+j)%n])
	}
	return order, via
}

// ring adds a ring of steps steps over ranks, each rank sending block
// bytes to its successor per step in chunks, step k's chunk c waiting for
// the predecessor's step k-1 chunk c and for the rank's previous send.
// start, if >= 0, gates the first sends. It returns each rank's last transfer.
func (p *Plan) ring(g *Group, ranks []int, steps int, block float64, chunks int, start int32) []int32 {
	return p.ringVia(g, ranks, nil, steps, block, chunks, start)
}

// ringVia is ring with position i's sends forwarded through via[i] when
// via is not nil and via[i] >= 0.
func (p *Plan) ringVia(g *Group, ranks []int, via []network.Vertex, steps int, block float64, chunks int, start int32) []int32 {
	n := len(ranks)
	if n < 2 || steps < 1 {
		return nil
	}
	if p.tooMany(int64(steps) * int64(n) * int64(chunks)) {
		for i := range n {
			p.skipped(g, g.verts[ranks[i]], g.verts[ranks[(i+1)%n]], float64(steps)*block)
		}
		// Step k's first chunk waits for step k-1's to arrive.
		if start < 0 {
			p.skippedChain(g, steps)
		}
		return nil
	}
	p.reserve(steps*n*chunks, steps*n*chunks)
	base := int32(p.count())
	id := func(k, i, c int) int32 { return base + int32((k*n+i)*chunks+c) }
	chunk := block / float64(chunks)
	for k := range steps {
		for i := range n {
			// The ring's neighbours, without a division per transfer.
			prev, next := i-1, i+1
			if i == 0 {
				prev = n - 1
			}
			if next == n {
				next = 0
			}
			from, to := ranks[i], ranks[next]
			fwd := network.Vertex(-1)
			if via != nil {
				fwd = via[i]
			}
			alpha := g.ringHop(from)
			for c := range chunks {
				deps := [3]int32{-1, -1, -1}
				if k > 0 {
					deps[0] = id(k-1, prev, c)
				}
				switch {
				case c > 0:
					deps[1] = afterSent(id(k, i, c-1))
				case k > 0:
					deps[1] = afterSent(id(k-1, i, chunks-1))
				}
				if k == 0 && c == 0 {
					deps[2] = start
				}
				p.addVia(g.verts[from], fwd, g.verts[to], chunk, firstChunk(c, alpha), deps[:]...)
			}
		}
	}
	last := make([]int32, n)
	for i := range n {
		last[i] = id(steps-1, i, chunks-1)
	}
	return last
}

// chain pipelines bytes down order[0] -> order[1] -> ... in chunks.
func (p *Plan) chain(g *Group, order []int, bytes float64, chunks int) {
	p.chainVia(g, order, nil, bytes, chunks)
}

// chainVia is chain with hop i forwarded through via[i] when via is not
// nil and via[i] >= 0.
func (p *Plan) chainVia(g *Group, order []int, via []network.Vertex, bytes float64, chunks int) {
	n := len(order)
	base := int32(p.count())
	id := func(i, c int) int32 { return base + int32(i*chunks+c) }
	for i := range n - 1 {
		for c := range chunks {
			deps := [2]int32{-1, -1}
			if i > 0 {
				deps[0] = id(i-1, c)
			}
			if c > 0 {
				deps[1] = afterSent(id(i, c-1))
			}
			fwd := network.Vertex(-1)
			if via != nil {
				fwd = via[i]
			}
			p.addVia(g.verts[order[i]], fwd, g.verts[order[i+1]], bytes/float64(chunks), firstChunk(c, g.ringHop(order[i])), deps[:]...)
		}
	}
}
