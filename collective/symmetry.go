package collective

import (
	"sync/atomic"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/sim"
)

// The symmetric fast path. NCCL's channels across scale-up domains
// (channels.go) are rotations of one another by local rank index: channel
// c+1 is channel c with every rank (k, a) of domain k replaced by (k, a+1),
// and on a fabric where that rotation, carried on to the NICs, the rails'
// leaves and the rest, is an automorphism (every link onto a link of the
// same capacity and latency), the whole plan is one channel's traffic and
// its images. Under max-min fairness an image runs exactly as its
// original does (network's Symmetry comment says why), so the plan runs
// as its first channel alone (its first period blocks) on the quotient of
// the fabric by the rotation, each orbit of links carrying cap·|O|/k for
// k channels, and the statistics of every link are read off the orbit's:
// the operation's time, every link's bytes (k/|O| of the orbit's), busy
// time and peak utilisation, and so the energy inputs (activity) that
// come from them.
//
// A plan in ring form (ringplan.go), a ring per channel, runs its first
// ring alone in the same way when each ring is the one before's image.
//
// Nothing is assumed: runSymmetric finds the rotation on the fabric's
// vertices (Fabric.Automorphism, seeded by channel 0's ranks and channel
// 1's), checks it maps every channel onto one of the same capacity, and
// checks transfer by transfer that block b+period is block b's image
// (the same bytes, latency and dependencies, endpoints and forwarding
// vertex the images, routes the images share by share, exactly) and that
// the last entry's blocks map onto the first's. A fault, a degraded link,
// an uneven split of the buffer or an asymmetric placement fails one of
// these and the plan runs whole. Ties and rounding aside (the quotient
// sums in other orders), the results are the whole run's:
// TestSymmetricMatchesFull holds times and bytes to 1e-9 relative.

// Where it does not hold as the plans are built: on a whole NVL72 rack
// or CloudMatrix 384 supernode NCCL's 32 channels (maxRingChannels)
// enter at local ranks 0 to 31 of 72 or 768. A rotation by one rank
// maps channel c onto c+1 but has order 72 or 768, so channel 31 maps
// onto entry 32, which has no channel: the channels are not closed
// under any rotation, and the plan runs whole. They would be if the
// entries were a cyclic subgroup's orbit: C channels entering every
// l/C-th rank (C dividing l, as 24 or 36 channels of 72, entering every
// 3rd or 2nd GPU), on a fabric where a rotation by l/C ranks is an
// automorphism (checked as now: the leaves, which take a rail's NICs
// tray by tray, must map onto leaves), or one channel per local rank
// (C = l), which NCCL's bound of 32 rules out above 32 ranks a domain.
// Pieces of these domains of at most 32 ranks (8 GPUs of each NVL72
// rack, one die of each of 8 NPUs of CloudMatrix) do reduce, and
// TestSymmetricMatchesFull runs them.
//
// symmetric turns the fast path on; tests turn it off to compare.
// symmetricRuns counts the runs it took, for the tests.
var (
	symmetric     = true
	symmetricRuns atomic.Int64 // runs of parallel sweeps add to it at once
)

// channelBlocks lists a plan's channels as consecutive blocks of
// transfers: block b is transfers start[b] to start[b+1], its channel's
// ranks verts[b] in channel order; blocks b and b+period are one channel
// and its rotation by one entry rank.
type channelBlocks struct {
	period int
	start  []int32
	verts  [][]network.Vertex
}

// open starts a block of the channel over order (nothing on nil b).
func (b *channelBlocks) open(g *Group, p *Plan, order []int) {
	if b == nil {
		return
	}
	vs := make([]network.Vertex, len(order))
	for i, r := range order {
		vs[i] = g.verts[r]
	}
	b.start = append(b.start, int32(p.count()))
	b.verts = append(b.verts, vs)
}

// close ends the last block and gives p its blocks (nothing on nil b).
func (b *channelBlocks) close(p *Plan) {
	if b == nil {
		return
	}
	b.start = append(b.start, int32(p.count()))
	p.sym = b
}

// runSymmetric runs p, started at at on an idle fabric f, on the
// quotient of f by its channels' rotation, and returns when it ended and
// every channel's statistics; ok is false, with nothing run, where the
// symmetry does not hold (see above).
func (p *Plan) runSymmetric(f *network.Fabric, at sim.Time) (end sim.Time, stats []network.ChannelStats, ok bool) {
	if p.routesOf != f {
		return 0, nil, false
	}
	if p.rings != nil {
		return p.runSymmetricRings(f, at)
	}
	b := p.sym
	if b == nil || b.period < 1 {
		return 0, nil, false
	}
	blocks := len(b.start) - 1
	k := blocks / b.period
	if k < 2 || blocks%b.period != 0 || int(b.start[blocks]) != len(p.xfers) {
		return 0, nil, false
	}
	perm, ok := f.Automorphism(b.verts[0], b.verts[b.period])
	if !ok {
		return 0, nil, false
	}
	q := f.NewQuotient(perm, k)
	if !p.blocksMap(q) {
		return 0, nil, false
	}
	n0 := b.start[b.period]
	sub := &Plan{Op: p.Op, Algorithm: p.Algorithm, Protocol: p.Protocol, Ranks: p.Ranks, Overhead: p.Overhead, lim: p.lim,
		xfers: p.xfers[:n0], ndeps: p.ndeps[:n0], deps: p.deps[:n0+1], dependents: p.dependents[:p.deps[n0].out],
		route: p.route[:n0], routesOf: q.Fabric}
	sub.routes = make([]*network.Route, len(p.routes))
	for i, r := range p.routes {
		sub.routes[i] = q.Route(r)
	}
	return sub.runQuotient(q, at)
}

// runQuotient runs sub, the first channel of a plan, on quotient q from
// at, and returns when it ended and the whole fabric's statistics.
func (sub *Plan) runQuotient(q *network.Quotient, at sim.Time) (end sim.Time, stats []network.ChannelStats, ok bool) {
	s := sim.New()
	net := network.New(q.Fabric, s)
	var err error
	s.Schedule(at, func(sim.Time) {
		err = sub.start(net, s, func(now sim.Time) { end = now }, nil, 0)
	})
	s.Run()
	if err != nil || (end == 0 && sub.Transfers() > 0) {
		return 0, nil, false
	}
	symmetricRuns.Add(1)
	return end, q.Stats(net.Stats()), true
}

// runSymmetricRings is runSymmetric for a plan in ring form, a ring per
// channel: ring c+1 must be ring c's image position by position (the
// same steps, chunks, chunk bytes and latencies, the vertices, PXN
// vertices and routes the images), and the first ring the last's.
func (p *Plan) runSymmetricRings(f *network.Fabric, at sim.Time) (end sim.Time, stats []network.ChannelStats, ok bool) {
	k := len(p.rings)
	if k < 2 {
		return 0, nil, false
	}
	perm, ok := f.Automorphism(p.rings[0].verts, p.rings[1].verts)
	if !ok {
		return 0, nil, false
	}
	q := f.NewQuotient(perm, k)
	for c, r := range p.rings {
		s := p.rings[(c+1)%k]
		if r.n != s.n || r.steps != s.steps || r.chunks != s.chunks || r.chunk != s.chunk || len(r.routes) != r.n || len(s.routes) != s.n {
			return 0, nil, false
		}
		for i := range r.n {
			v, w := r.viaOf(i), s.viaOf(i)
			if q.Image(r.verts[i]) != s.verts[i] || r.alpha[i] != s.alpha[i] || (v < 0) != (w < 0) || (v >= 0 && q.Image(v) != w) {
				return 0, nil, false
			}
			if !q.Maps(r.routes[i], s.routes[i]) {
				return 0, nil, false
			}
		}
	}
	first := *p.rings[0]
	first.routes = make([]*network.Route, first.n)
	for i, rt := range p.rings[0].routes {
		first.routes[i] = q.Route(rt)
	}
	sub := &Plan{Op: p.Op, Algorithm: p.Algorithm, Protocol: p.Protocol, Ranks: p.Ranks, Overhead: p.Overhead, lim: p.lim,
		rings: []*ringForm{&first}, routesOf: q.Fabric}
	return sub.runQuotient(q, at)
}

// blocksMap reports whether every block of p's channels maps onto the
// block one period on (the last entry's onto the first's) under q's
// automorphism, transfer by transfer.
func (p *Plan) blocksMap(q *network.Quotient) bool {
	b := p.sym
	blocks := len(b.start) - 1
	if p.deps == nil {
		p.seal()
	}
	// image[a] is the route index that route a was found to map onto
	// (-1 before it is checked): transfers mostly share routes, and a
	// route maps onto the same route wherever it is used.
	image := make([]int32, len(p.routes))
	for i := range image {
		image[i] = -1
	}
	for x := range blocks {
		y := (x + b.period) % blocks
		x0, y0 := b.start[x], b.start[y]
		n := b.start[x+1] - x0
		if b.start[y+1]-y0 != n || len(b.verts[x]) != len(b.verts[y]) {
			return false
		}
		for i, v := range b.verts[x] {
			if q.Image(v) != b.verts[y][i] {
				return false
			}
		}
		inBlock := func(list []int32, base int32, other []int32, obase int32) bool {
			if len(list) != len(other) {
				return false
			}
			for j, d := range list {
				if d < base || d >= base+n || other[j]-obase != d-base {
					return false
				}
			}
			return true
		}
		for j := range n {
			i, ii := x0+j, y0+j
			s, t := &p.xfers[i], &p.xfers[ii]
			if s.join != t.join || s.bytes != t.bytes || s.alpha != t.alpha || p.ndeps[i] != p.ndeps[ii] {
				return false
			}
			if !inBlock(p.arrivalDeps(i), x0, p.arrivalDeps(ii), y0) || !inBlock(p.sentDeps(i), x0, p.sentDeps(ii), y0) {
				return false
			}
			if s.join {
				continue
			}
			if q.Image(s.src) != t.src || q.Image(s.dst) != t.dst || (s.fwd == 0) != (t.fwd == 0) || (s.fwd != 0 && q.Image(s.via()) != t.via()) {
				return false
			}
			a, b := p.route[i], p.route[ii]
			if im := image[a]; im == b || (im >= 0 && p.routes[im] == p.routes[b]) {
				continue
			}
			if !q.Maps(p.routes[a], p.routes[b]) {
				return false
			}
			image[a] = b
		}
	}
	return true
}
