package collective

import (
	"encoding/binary"
	"math"
	"slices"
	"sync/atomic"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/sim"
)

// Merged flows: an all-to-all among interchangeable ranks runs as one
// fluid flow per class of transfers rather than one per pair.
//
// The classes are the coarsest equitable partition of the plan's
// transfers and the fabric's channels, found by refining colours: a
// transfer starts coloured by its bytes, software latency and route
// latency, a channel by its capacity; then, until nothing splits, a
// transfer's colour is refined by the multiset of (channel colour, share)
// of its route and of (colour, kind) of the transfers it waits for, and
// a channel's by the multiset of (transfer colour, share) of the flows
// crossing it. At the fixed point every transfer of a class crosses each
// class of channels with the same shares and waits for the same classes,
// and every channel of a class carries each class of transfers with the
// same shares and has the same capacity. Progressive filling then fills
// the channels of a class at the same level and freezes the transfers of
// a class together, at every instant: by induction over events, the
// transfers of a class start together (they wait for the same classes),
// run at one rate and drain together. So the plan runs exactly as one
// transfer per class, of multiplicity the class's size, on a channel per
// class of channels (network.NewClassQuotient, network.Fabric.Merged),
// and every channel's statistics are read off its class's.
//
// Nothing is assumed about the fabric: a fault, a degraded link, an
// uneven matrix or an asymmetric placement splits the classes where it
// breaks the symmetry, down to one transfer a class, and the plan then
// runs whole. Exactness is in real numbers; in floating point the class
// sums are taken in another order, so TestMergedMatchesWhole holds times
// and channel statistics to 1e-9 relative.
//
// All-to-all kinds (alltoall, moe_dispatch, moe_combine) and recursive
// halving-doubling are merged: on Atlas 950's 8,192 NPUs halving-doubling's
// 212,992 transfers are 26 classes. A double binary tree is not: its
// positions are all distinct (refinement leaves half as many classes as
// transfers, the two trees being mirror images), and the other
// operations keep the fast paths of their own.

// merging turns merged runs on; tests turn it off to compare. mergedRuns
// counts the runs it took, mergedFlows the flows they ran.
var (
	merging     = true
	mergedRuns  atomic.Int64
	mergedFlows atomic.Int64
)

// mergeGain is the least ratio of transfers to classes worth a merged
// run: below it the refinement costs more than it saves.
const mergeGain = 4

// mergeable reports whether p is of a kind merged runs take.
func (p *Plan) mergeable() bool {
	switch {
	case p.Op == AllToAll, p.Op == MoEDispatch, p.Op == MoECombine, p.Algorithm == HalvDoub:
		return p.rings == nil && p.dry == nil && p.orbit == nil && len(p.xfers) >= 2*mergeGain
	}
	return false
}

// classes is the equitable partition of a plan's transfers and a
// fabric's channels (see above).
type classes struct {
	xfer []int32 // transfer -> class
	nx   int
	ch   []int32 // channel -> class
	nc   int
}

// refine returns the coarsest equitable partition of p's transfers
// (routes resolved on f) and f's channels, or ok false once it has more
// than len(p.xfers)/mergeGain transfer classes.
func (p *Plan) refine(f *network.Fabric) (cl classes, ok bool) {
	nx := len(p.xfers)
	chans := f.Channels()
	// Fractions and routes interned: a share is (channel, fraction index).
	fracs := map[uint64]int32{}
	fracID := func(x float64) int32 {
		b := math.Float64bits(x)
		id, ok := fracs[b]
		if !ok {
			id = int32(len(fracs))
			fracs[b] = id
		}
		return id
	}
	// Per route, its shares; per channel, the (transfer, fraction) of
	// every share on it (CSR).
	type rshare struct{ ch, frac int32 }
	routeAt := make([]int32, len(p.routes)+1)
	var rsh []rshare
	for i, r := range p.routes {
		routeAt[i] = int32(len(rsh))
		for k := range r.Shares() {
			c, fr := r.Share(k)
			rsh = append(rsh, rshare{c, fracID(fr)})
		}
	}
	routeAt[len(p.routes)] = int32(len(rsh))
	sharesOf := func(i int) []rshare {
		if p.xfers[i].join {
			return nil
		}
		r := p.route[i]
		return rsh[routeAt[r]:routeAt[r+1]]
	}
	chAt := make([]int32, len(chans)+1)
	for i := range nx {
		for _, s := range sharesOf(i) {
			chAt[s.ch+1]++
		}
	}
	for c := range chans {
		chAt[c+1] += chAt[c]
	}
	chList := make([]rshare, chAt[len(chans)]) // (transfer, fraction)
	fill := slices.Clone(chAt[:len(chans)])
	for i := range nx {
		for _, s := range sharesOf(i) {
			chList[fill[s.ch]] = rshare{int32(i), s.frac}
			fill[s.ch]++
		}
	}
	// Each transfer's dependencies (transfer, kind) from the dependents
	// lists (CSR).
	depAt := make([]int32, nx+1)
	for i := range nx {
		for _, j := range p.arrivalDeps(int32(i)) {
			depAt[j+1]++
		}
		for _, j := range p.sentDeps(int32(i)) {
			depAt[j+1]++
		}
	}
	for i := range nx {
		depAt[i+1] += depAt[i]
	}
	depList := make([]int32, depAt[nx]) // 2*transfer + kind
	fill = slices.Clone(depAt[:nx])
	for i := range nx {
		for _, j := range p.arrivalDeps(int32(i)) {
			depList[fill[j]] = 2 * int32(i)
			fill[j]++
		}
		for _, j := range p.sentDeps(int32(i)) {
			depList[fill[j]] = 2*int32(i) + 1
			fill[j]++
		}
	}

	// Initial colours.
	xc := make([]int32, nx)
	cc := make([]int32, len(chans))
	var buf []byte
	sig := map[string]int32{}
	colour := func(b []byte) int32 {
		if c, ok := sig[string(b)]; ok {
			return c
		}
		c := int32(len(sig))
		sig[string(b)] = c
		return c
	}
	for i, t := range p.xfers {
		buf = buf[:0]
		join := uint64(0)
		var delay sim.Time
		if t.join {
			join = 1
		} else {
			delay = p.routes[p.route[i]].Delay()
		}
		buf = binary.LittleEndian.AppendUint64(buf, join)
		buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(t.bytes))
		buf = binary.LittleEndian.AppendUint64(buf, uint64(t.alpha))
		buf = binary.LittleEndian.AppendUint64(buf, uint64(delay))
		xc[i] = colour(buf)
	}
	nxc := len(sig)
	clear(sig)
	for c, ch := range chans {
		buf = binary.LittleEndian.AppendUint64(buf[:0], math.Float64bits(ch.BytesPerS))
		cc[c] = colour(buf)
	}
	ncc := len(sig)

	limit := nx / mergeGain
	var keys []uint64
	nxt := make([]int32, nx)
	nct := make([]int32, len(chans))
	for {
		if nxc > limit {
			return classes{}, false
		}
		// Transfers by their old colour, their shares and their waits.
		clear(sig)
		for i := range nx {
			keys = keys[:0]
			for _, s := range sharesOf(i) {
				keys = append(keys, uint64(cc[s.ch])<<32|uint64(s.frac))
			}
			slices.Sort(keys)
			buf = binary.LittleEndian.AppendUint64(buf[:0], uint64(xc[i]))
			for _, k := range keys {
				buf = binary.LittleEndian.AppendUint64(buf, k)
			}
			keys = keys[:0]
			for _, d := range depList[depAt[i]:depAt[i+1]] {
				keys = append(keys, uint64(xc[d/2])<<1|uint64(d&1))
			}
			slices.Sort(keys)
			buf = binary.LittleEndian.AppendUint64(buf, math.MaxUint64) // separator
			for _, k := range keys {
				buf = binary.LittleEndian.AppendUint64(buf, k)
			}
			nxt[i] = colour(buf)
		}
		nx2 := len(sig)
		// Channels by their old colour and the flows crossing them.
		clear(sig)
		for c := range chans {
			keys = keys[:0]
			for _, s := range chList[chAt[c]:chAt[c+1]] {
				keys = append(keys, uint64(nxt[s.ch])<<32|uint64(s.frac))
			}
			slices.Sort(keys)
			buf = binary.LittleEndian.AppendUint64(buf[:0], uint64(cc[c]))
			for _, k := range keys {
				buf = binary.LittleEndian.AppendUint64(buf, k)
			}
			nct[c] = colour(buf)
		}
		nc2 := len(sig)
		xc, nxt = nxt, xc
		cc, nct = nct, cc
		if nx2 == nxc && nc2 == ncc {
			return classes{xfer: xc, nx: nx2, ch: cc, nc: nc2}, true
		}
		nxc, ncc = nx2, nc2
	}
}

// runMerged runs p, started at at on an idle fabric f, as one transfer
// per class (see above), and returns when it ended and every channel's
// statistics; ok is false, with nothing run, where the classes are too
// many to gain.
func (p *Plan) runMerged(f *network.Fabric, at sim.Time) (end sim.Time, stats []network.ChannelStats, ok bool) {
	if p.routesOf != f || !p.mergeable() {
		return 0, nil, false
	}
	if p.deps == nil {
		p.seal()
	}
	cl, ok := p.refine(f)
	if !ok {
		return 0, nil, false
	}
	q, err := f.NewClassQuotient(cl.ch, cl.nc)
	if err != nil {
		return 0, nil, false
	}
	sub := p.mergedPlan(q, cl, 1)
	if sub == nil {
		return 0, nil, false
	}
	end, stats, ok = runQuotient(q, sub, at)
	if ok {
		mergedRuns.Add(1)
		mergedFlows.Add(int64(len(sub.xfers)))
	}
	return end, stats, ok
}

// runQuotient runs sub, a plan of merged flows on q, started at at, and
// returns when it ended and the whole fabric's channel statistics; ok is
// false where it did not finish.
func runQuotient(q *network.Quotient, sub *Plan, at sim.Time) (end sim.Time, stats []network.ChannelStats, ok bool) {
	var err error
	s := sim.New()
	net := network.New(q.Fabric, s)
	s.Schedule(at, func(sim.Time) {
		err = sub.start(net, s, func(now sim.Time) { end = now }, nil, 0)
	})
	s.Run()
	if err != nil || end == 0 {
		return 0, nil, false
	}
	return end, q.Stats(net.Stats()), true
}

// mergedPlan is p with one transfer per class, its first, waiting for
// the classes its first waits for, on the merged route of the class on
// q, each transfer of p standing for mult; nil if a route cannot be
// merged.
func (p *Plan) mergedPlan(q *network.Quotient, cl classes, mult int) *Plan {
	rep := make([]int32, cl.nx) // class -> its first transfer
	size := make([]int, cl.nx)
	for i := range rep {
		rep[i] = -1
	}
	for i, c := range cl.xfer {
		if rep[c] < 0 {
			rep[c] = int32(i)
		}
		size[c]++
	}
	// Classes in order of their first transfers, so that a class comes
	// after those it waits for (a transfer is added after its deps).
	order := make([]int32, cl.nx)
	for c := range order {
		order[c] = int32(c)
	}
	slices.SortFunc(order, func(a, b int32) int { return int(rep[a] - rep[b]) })
	at := make([]int32, cl.nx) // class -> index in sub
	for k, c := range order {
		at[c] = int32(k)
	}
	sub := &Plan{Op: p.Op, Algorithm: p.Algorithm, Protocol: p.Protocol, Ranks: p.Ranks, Overhead: p.Overhead, lim: p.lim,
		routesOf: q.Fabric}
	sub.xfers = make([]transfer, 0, cl.nx)
	sub.route = make([]int32, cl.nx)
	// Each class's dependencies are its first transfer's, found from the
	// dependents lists.
	deps := make([][]int32, cl.nx)
	for i := range p.xfers {
		ci := at[cl.xfer[i]]
		for _, j := range p.arrivalDeps(int32(i)) {
			if rep[cl.xfer[j]] == j {
				deps[at[cl.xfer[j]]] = append(deps[at[cl.xfer[j]]], ci)
			}
		}
		for _, j := range p.sentDeps(int32(i)) {
			if rep[cl.xfer[j]] == j {
				deps[at[cl.xfer[j]]] = append(deps[at[cl.xfer[j]]], afterSent(ci))
			}
		}
	}
	for k, c := range order {
		i := rep[c]
		t := p.xfers[i]
		sub.xfers = append(sub.xfers, t)
		sub.in = append(sub.in, deps[k]...)
		sub.ndeps = append(sub.ndeps, int32(len(deps[k])))
		if t.join {
			continue
		}
		r, err := q.Fabric.Merged(q.Route(p.routes[p.route[i]]), size[c]*mult)
		if err != nil {
			return nil
		}
		sub.route[k] = int32(len(sub.routes))
		sub.routes = append(sub.routes, r)
	}
	sub.seal()
	return sub
}
