package network

import (
	"math"
	"slices"

	"github.com/cardsea/cardsea/topology"
)

// Symmetry: flows that are images of one another under an automorphism
// of the fabric run at the same max-min rates, so a set of flows closed
// under an automorphism σ can be simulated as one representative part on
// a quotient of the channels, and the rest read off by symmetry.
//
// Let σ permute the vertices so that every channel u -> v has a channel
// σu -> σv of the same capacity and latency, and let the flows be
// F_0 ∪ σF_0 ∪ ... ∪ σ^(k-1)F_0, each flow of σ^jF_0 the image of one of
// F_0 (its route the image of that flow's, share by share) starting at
// the same time with the same bytes, and σ^k mapping F_0 onto itself. Let
// O be an orbit of channels under σ (a cycle of the permutation σ induces
// on channels). Then:
//
//   - An allocation that gives every image its original's rate loads
//     every channel of O alike (σ maps the flow set, and so the load, onto
//     itself), and the loads summed over O are k times F_0's alone
//     (σ^j permutes O). So it is feasible exactly when F_0's load summed
//     over O is at most cap·|O|/k for every orbit: F_0 on the quotient
//     whose channels are the orbits, of capacity cap·|O|/k, with each
//     route's shares summed over an orbit.
//   - The max-min fair allocation is unique and σ maps it onto a max-min
//     fair allocation of the same flows (σ preserves every constraint),
//     so it gives every image its original's rate; and it is the
//     leximin-greatest feasible allocation, so restricted to F_0 it is
//     the leximin-greatest feasible allocation of the quotient, its
//     max-min fair one. Progressive filling on the quotient therefore
//     gives F_0 the rates it has in the whole, at every instant, and the
//     events (drains, arrivals, new flows) of F_0 are the whole run's, k
//     images at a time.
//   - Per channel l of O: the load is 1/|O| of the orbit's total, k times
//     the quotient channel's load, so l carries k/|O| of the quotient
//     channel's bytes; it is busy exactly when the quotient channel is;
//     and its utilisation, k/|O|·load over cap, is the quotient channel's
//     load over its capacity cap·|O|/k.
//
// Exactness is in real numbers. In floating point the quotient sums
// shares and loads in other orders than the whole, and capacities carry
// the rounding of cap·|O|/k, so times and bytes agree to about 1e-12
// relative (the tests in collective hold them to 1e-9), not to the bit.

// Automorphism returns a permutation σ of the vertices flows between
// the vertices of from can use (σ[v] is v's image, -1 for a vertex no
// such flow can cross: an endpoint, not a transit vertex, that from does
// not list, such as a CPU or a die outside the group, and a transit
// vertex that leads only to such, as its NIC), with
// σ(from[i]) = to[i], that is an automorphism of that part of the fabric:
// every vertex keeps its kind, transit, switch latency and class size,
// and every channel u -> v between two of them has a channel σu -> σv of
// the same capacity, raw rate, latency and lanes (checked channel by
// channel, IsAutomorphism). to must list the vertices of from. It finds
// σ by refining colours, the vertices of from and to coloured by
// position, and gives up (ok false) when the refined colours do not pin
// every vertex down or the permutation found is not an automorphism: a
// fault, a degraded link or an asymmetric placement.
func (f *Fabric) Automorphism(from, to []Vertex) (perm []Vertex, ok bool) {
	if f.scope != ScopeAll {
		return nil, false // the scope's rule is not checked for symmetry
	}
	nv := len(f.members)
	if len(from) != len(to) {
		return nil, false
	}
	rel := make([]bool, nv)
	for v := range nv {
		rel[v] = f.transit[v]
	}
	for _, v := range from {
		rel[v] = true
	}
	seedOf := slices.Clone(rel)
	for v := range seedOf {
		seedOf[v] = false
	}
	for _, v := range from {
		seedOf[v] = true
	}
	for _, v := range to {
		if !seedOf[v] {
			return nil, false
		}
	}
	// A transit vertex with one relevant neighbour or none (the NIC of a
	// die outside the group) is on no route between two others: leave it
	// out, and so on until none is left.
	for pruned := true; pruned; {
		pruned = false
		for v := range nv {
			if !rel[v] || seedOf[v] {
				continue
			}
			deg := 0
			for _, e := range f.adj[v] {
				if rel[e.peer] {
					deg++
				}
			}
			if deg < 2 {
				rel[v], pruned = false, true
			}
		}
	}
	if nearCheck && !f.nearKept(from, to, rel) {
		return nil, false
	}
	// Two copies of the graph, A (vertices 0..nv-1) seeded by from and B
	// (nv..2nv-1) by to, refined together.
	color := make([]int32, 2*nv)
	ids := map[vattr]int32{}
	seed := int32(len(from))
	for v := range nv {
		k := f.attrOf(Vertex(v))
		c, seen := ids[k]
		if !seen {
			c = seed + int32(len(ids))
			ids[k] = c
		}
		color[v], color[nv+v] = c, c
	}
	for i := range from {
		color[from[i]] = int32(i)
		color[nv+int(to[i])] = int32(i)
	}
	type step struct {
		peer          int32
		cap, raw, lat uint64
		lanes         int
	}
	var sig []step
	key := make([]byte, 0, 256)
	next := make([]int32, 2*nv)
	count := countColors(color, rel)
	var bal []int32
	for {
		// A signature's colour is looked up by its 64-bit FNV-1a hash: two
		// signatures that collided would share a colour, a coarser
		// refinement, which can only make the search give up (a colour
		// with two vertices of A) or find a permutation that
		// IsAutomorphism then refuses; never a wrong answer.
		names := map[uint64]int32{}
		for x := range 2 * nv {
			v := x % nv
			off := x - v
			if !rel[v] {
				continue
			}
			sig = sig[:0]
			for _, e := range f.adj[v] {
				if !rel[e.peer] {
					continue
				}
				ch := &f.chans[e.ch]
				sig = append(sig, step{color[off+int(e.peer)], math.Float64bits(ch.BytesPerS), math.Float64bits(ch.RawBytesPerS), math.Float64bits(ch.LatencyS), ch.Lanes})
			}
			slices.SortFunc(sig, func(a, b step) int {
				switch {
				case a.peer != b.peer:
					return int(a.peer - b.peer)
				case a.cap != b.cap:
					return cmpU(a.cap, b.cap)
				case a.raw != b.raw:
					return cmpU(a.raw, b.raw)
				case a.lat != b.lat:
					return cmpU(a.lat, b.lat)
				}
				return a.lanes - b.lanes
			})
			key = appendU(key[:0], uint64(color[x]))
			for _, s := range sig {
				key = appendU(key, uint64(s.peer))
				key = appendU(key, s.cap)
				key = appendU(key, s.raw)
				key = appendU(key, s.lat)
				key = appendU(key, uint64(s.lanes))
			}
			h := fnv64(key)
			c, seen := names[h]
			if !seen {
				c = int32(len(names))
				names[h] = c
			}
			next[x] = c
		}
		color, next = next, color
		n := len(names)
		// Refinement is equivariant: a colour held by more vertices of A
		// than of B never comes apart into one of each, so the search
		// can stop at the first round that shows one.
		bal = append(bal[:0], make([]int32, n)...)
		for x := range 2 * nv {
			if rel[x%nv] {
				bal[color[x]] += int32(1 - 2*(x/nv))
			}
		}
		for _, b := range bal {
			if b != 0 {
				return nil, false
			}
		}
		if n == count {
			break
		}
		count = n
	}
	// Every colour must hold one vertex of A and one of B.
	where := make([]int32, count)
	for i := range where {
		where[i] = -1
	}
	for v := range nv {
		if !rel[v] {
			continue
		}
		c := color[v]
		if where[c] >= 0 {
			return nil, false
		}
		where[c] = int32(v)
	}
	perm = make([]Vertex, nv)
	for v := range perm {
		perm[v] = -1
	}
	used := make([]bool, nv)
	for w := range nv {
		if !rel[w] {
			continue
		}
		c := color[nv+w]
		v := where[c]
		if v < 0 || used[w] {
			return nil, false
		}
		used[w] = true
		perm[v] = Vertex(w)
		where[c] = -2
	}
	for i := range from {
		if perm[from[i]] != to[i] {
			return nil, false
		}
	}
	if !f.IsAutomorphism(perm) {
		return nil, false
	}
	return perm, true
}

type vattr struct {
	transit bool
	lat     float64
	size    int
	kind    uint8
}

func (f *Fabric) attrOf(v Vertex) vattr {
	return vattr{f.transit[v], f.switchLat[v], len(f.members[v]), uint8(f.Topo.Nodes[f.members[v][0]].Kind)}
}

// countColors counts the colours of the relevant vertices of both copies.
func countColors(c []int32, rel []bool) int {
	seen := map[int32]bool{}
	for x, k := range c {
		if rel[x%len(rel)] {
			seen[k] = true
		}
	}
	return len(seen)
}

func cmpU(a, b uint64) int {
	if a < b {
		return -1
	}
	return 1
}

// fnv64 is the 64-bit FNV-1a hash of b.
func fnv64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

func appendU(b []byte, x uint64) []byte {
	for x >= 0x80 {
		b = append(b, byte(x)|0x80)
		x >>= 7
	}
	return append(b, byte(x))
}

// chanBetween is the channel from u to v, or -1.
func (f *Fabric) chanBetween(u, v Vertex) int32 {
	a := f.adj[u]
	i, found := slices.BinarySearchFunc(a, v, func(e edge, v Vertex) int { return int(e.peer - v) })
	if !found {
		return -1
	}
	return a[i].ch
}

// IsAutomorphism reports whether perm (a vertex's image by vertex, -1
// for a vertex left out) is a permutation of the vertices it does not
// leave out that keeps every vertex's
// kind, transit, switch latency and class size, and maps every channel
// between two of them onto a channel of the same capacity, raw rate,
// latency and lanes, link by link.
func (f *Fabric) IsAutomorphism(perm []Vertex) bool {
	nv := len(f.members)
	if len(perm) != nv {
		return false
	}
	hit := make([]bool, nv)
	for v, w := range perm {
		if w < 0 {
			continue
		}
		if int(w) >= nv || hit[w] || f.attrOf(Vertex(v)) != f.attrOf(w) {
			return false
		}
		hit[w] = true
	}
	for v, w := range perm {
		if (w >= 0) != hit[v] {
			return false // the vertices kept are not mapped onto themselves
		}
	}
	for _, ch := range f.chans {
		if perm[ch.From] < 0 || perm[ch.To] < 0 {
			continue
		}
		c := f.chanBetween(perm[ch.From], perm[ch.To])
		if c < 0 {
			return false
		}
		im := &f.chans[c]
		if im.BytesPerS != ch.BytesPerS || im.RawBytesPerS != ch.RawBytesPerS || im.LatencyS != ch.LatencyS || im.Lanes != ch.Lanes {
			return false
		}
	}
	return true
}

// Quotient is a fabric's channels divided into orbits under an
// automorphism σ of order k on the flows (see Symmetry above; a channel
// to or from a vertex σ leaves out is an orbit of its own): its
// Fabric has one channel per orbit, of capacity cap·|O|/k, and no
// vertices, and flows run on it only along routes from Route. Stats
// turns the quotient's channel statistics into the whole fabric's.
type Quotient struct {
	Fabric *Fabric
	of     *Fabric
	perm   []Vertex
	chMap  []int32 // channel -> its image under σ
	orbit  []int32 // channel -> orbit
	size   []int   // orbit sizes
	k      int
	routes map[*Route]*Route
	stats  []ChannelStats
}

// NewQuotient divides f's channels into orbits under perm, an
// automorphism (IsAutomorphism, as Automorphism returns), for flows that
// are k images of a representative part.
func (f *Fabric) NewQuotient(perm []Vertex, k int) *Quotient {
	q := &Quotient{of: f, perm: perm, k: k, routes: map[*Route]*Route{}}
	n := len(f.chans)
	q.chMap = make([]int32, n)
	for c, ch := range f.chans {
		q.chMap[c] = -1 // left out: Maps refuses a route that crosses it
		if perm[ch.From] >= 0 && perm[ch.To] >= 0 {
			q.chMap[c] = f.chanBetween(perm[ch.From], perm[ch.To])
		}
	}
	q.orbit = make([]int32, n)
	for c := range q.orbit {
		q.orbit[c] = -1
	}
	var chans []Channel
	for c := range n {
		if q.orbit[c] >= 0 {
			continue
		}
		o := int32(len(q.size))
		size := 0
		for d := int32(c); d >= 0 && q.orbit[d] < 0; d = q.chMap[d] {
			q.orbit[d] = o
			size++
		}
		q.size = append(q.size, size)
		ch := f.chans[c]
		ch.BytesPerS = ch.BytesPerS * float64(size) / float64(k)
		ch.RawBytesPerS = ch.RawBytesPerS * float64(size) / float64(k)
		chans = append(chans, ch)
	}
	q.Fabric = &Fabric{Topo: f.Topo, chans: chans}
	return q
}

// Maps reports whether route b is the image of route a under σ: the
// same latency and hops, and every share of a on channel c a share of b
// on c's image with the same fraction, exactly; never for a route that
// crosses a channel σ leaves out.
func (q *Quotient) Maps(a, b *Route) bool {
	if q.chMap == nil {
		return false // a class quotient (NewClassQuotient) has no σ
	}
	if len(a.shares) != len(b.shares) || a.delay != b.delay || a.latency != b.latency || a.hops != b.hops {
		return false
	}
next:
	for _, s := range a.shares {
		im := q.chMap[s.ch]
		if im < 0 {
			return false
		}
		for _, t := range b.shares {
			if t.ch == im {
				if t.frac != s.frac {
					return false
				}
				continue next
			}
		}
		return false
	}
	return true
}

// Image returns σ(v) (-1 on a class quotient, which has no σ).
func (q *Quotient) Image(v Vertex) Vertex {
	if q.perm == nil {
		return -1
	}
	return q.perm[v]
}

// Route is r on the quotient: its shares summed by orbit, in order of
// first crossing; the same latency.
func (q *Quotient) Route(r *Route) *Route {
	if qr, ok := q.routes[r]; ok {
		return qr
	}
	qr := &route{latency: r.latency, delay: r.delay, hops: r.hops, mult: r.mult, shares: make([]share, 0, len(r.shares))}
next:
	for _, s := range r.shares {
		o := q.orbit[s.ch]
		for k := range qr.shares {
			if qr.shares[k].ch == o {
				qr.shares[k].frac += s.frac
				continue next
			}
		}
		qr.shares = append(qr.shares, share{o, s.frac})
	}
	q.routes[r] = qr
	return qr
}

// Stats returns the whole fabric's channel statistics from the quotient's
// (qs, indexed by orbit): channel l of orbit O carries k/|O| of O's bytes
// and has O's busy time and peak utilisation (see Symmetry above).
func (q *Quotient) Stats(qs []ChannelStats) []ChannelStats {
	q.stats = resizeStats(q.stats, len(q.orbit))
	for c, o := range q.orbit {
		st := qs[o]
		st.Bytes = st.Bytes * float64(q.k) / float64(q.size[o])
		q.stats[c] = st
	}
	return q.stats
}

func resizeStats(s []ChannelStats, n int) []ChannelStats {
	if cap(s) < n {
		return make([]ChannelStats, n)
	}
	return s[:n]
}

// ChannelOrbits divides f's channels into their orbits under the group
// the automorphisms perms generate (each as Automorphism returns it): the
// classes of the finest partition in which every channel u -> v is with
// its image perm[u] -> perm[v] under every one of them. A channel with an
// end some perm leaves out is in a class of its own. class[c] numbers
// channel c's orbit, 0 to n-1 in order of each orbit's first channel, for
// NewClassQuotient. Cost: O(len(perms) · channels · α) by union-find.
func (f *Fabric) ChannelOrbits(perms [][]Vertex) (class []int32, n int) {
	nc := len(f.chans)
	parent := make([]int32, nc)
	for c := range parent {
		parent[c] = int32(c)
	}
	find := func(c int32) int32 {
		for parent[c] != c {
			parent[c] = parent[parent[c]]
			c = parent[c]
		}
		return c
	}
	for _, perm := range perms {
		for c, ch := range f.chans {
			u, v := perm[ch.From], perm[ch.To]
			if u < 0 || v < 0 {
				continue
			}
			d := f.chanBetween(u, v)
			if d < 0 {
				continue // not an automorphism; IsAutomorphism refuses it
			}
			a, b := find(int32(c)), find(d)
			if a != b {
				if a < b {
					parent[b] = a
				} else {
					parent[a] = b
				}
			}
		}
	}
	class = make([]int32, nc)
	id := make([]int32, nc)
	for c := range id {
		id[c] = -1
	}
	for c := range nc {
		r := find(int32(c))
		if id[r] < 0 {
			id[r] = int32(n)
			n++
		}
		class[c] = id[r]
	}
	return class, n
}

// nearCheck turns nearKept on; tests turn it off to compare.
var nearCheck = true

// nearDepth is how far from a vertex of from nearKept looks.
const nearDepth = 3

// nearKept is a necessary condition for Automorphism's σ, checked in
// O(len(from)) once the neighbourhoods are known: for each k up to
// nearDepth, the switches at distance k from from[i] (over the relevant
// vertices rel, through transit ones) are a set S_k(from[i]), and σ maps
// S_k(v) onto S_k(σv) (it keeps adjacency and transit), so two vertices
// of from with the same set must map to two with the same set, and two
// with different sets to two with different sets. A move of the ranks
// that splits a leaf's servers (distance 2) or a pod's leaves (distance
// 3) fails here, without the colour refinement over the whole fabric
// that would find the same. The sets are found once for a list from and
// kept (nearFor) for the next candidate of the same list.
func (f *Fabric) nearKept(from, to []Vertex, rel []bool) bool {
	ids := f.nearIDs(from, rel)
	at := make(map[Vertex]int32, len(from))
	for i, v := range from {
		at[v] = int32(i)
	}
	for k := range nearDepth {
		fwd, back := map[int32]int32{}, map[int32]int32{}
		for i := range from {
			j, ok := at[to[i]]
			if !ok {
				return false
			}
			a, b := ids[i][k], ids[j][k]
			if x, seen := fwd[a]; seen && x != b {
				return false
			}
			if x, seen := back[b]; seen && x != a {
				return false
			}
			fwd[a], back[b] = b, a
		}
	}
	return true
}

// nearIDs numbers, for every vertex of from and every distance k below
// nearDepth+1, its set of switches at distance k (see nearKept): equal
// sets, equal numbers. Cost: a search to depth nearDepth from each
// vertex of from, once per list (nearFor holds the last).
func (f *Fabric) nearIDs(from []Vertex, rel []bool) [][nearDepth]int32 {
	if c := f.near; c != nil && slices.Equal(c.from, from) && slices.Equal(c.rel, rel) {
		return c.ids
	}
	nv := len(f.members)
	dist := make([]int32, nv)
	for i := range dist {
		dist[i] = -1
	}
	names := map[string]int32{}
	ids := make([][nearDepth]int32, len(from))
	var reached, level, next []Vertex
	var sets [nearDepth][]Vertex
	key := make([]byte, 0, 64)
	for i, v := range from {
		for _, w := range reached {
			dist[w] = -1
		}
		reached = append(reached[:0], v)
		dist[v] = 0
		level = append(level[:0], v)
		for k := range sets {
			sets[k] = sets[k][:0]
		}
		for d := int32(1); d <= nearDepth; d++ {
			next = next[:0]
			for _, u := range level {
				if u != v && !f.transit[u] {
					continue
				}
				for _, e := range f.adj[u] {
					w := e.peer
					if !rel[w] || dist[w] >= 0 {
						continue
					}
					dist[w] = d
					reached = append(reached, w)
					next = append(next, w)
					if f.Topo.Nodes[f.members[w][0]].Kind == topology.KindSwitch {
						sets[d-1] = append(sets[d-1], w)
					}
				}
			}
			level, next = next, level
		}
		for k, set := range sets {
			slices.Sort(set)
			key = appendU(key[:0], uint64(k))
			for _, w := range set {
				key = appendU(key, uint64(w))
			}
			id, ok := names[string(key)]
			if !ok {
				id = int32(len(names))
				names[string(key)] = id
			}
			ids[i][k] = id
		}
	}
	f.near = &nearFor{from: slices.Clone(from), rel: slices.Clone(rel), ids: ids}
	return ids
}

// nearFor is nearIDs's answer for one list of vertices and relevant set.
type nearFor struct {
	from []Vertex
	rel  []bool
	ids  [][nearDepth]int32
}
