package network

import (
	"fmt"
	"math"

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
	// mult is how many identical flows one flow along this route stands
	// for (Fabric.Merged); 0 means one.
	mult int
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
	r := &bfsResult{dist: make([]int32, len(f.members)), sigma: make([]float64, len(f.members))}
	for i := range r.dist {
		r.dist[i] = -1
	}
	f.count(v, r, -1, -1, nil)
	f.bfs[v] = r
	return r
}

// count runs search's breadth-first count from v into r, whose distances
// must all be -1, and returns the vertices reached, appended to queue. It
// stops, without expanding it, at the first vertex at depth limit or
// deeper (limit >= 0), or as deep as target once target is reached
// (target >= 0). Since vertices are expanded level by level, a cut-short
// count is a prefix of the full one: every vertex up to the depth where
// it stopped has exactly the full count's distance and path count, and no
// vertex deeper is reached.
func (f *Fabric) count(v Vertex, r *bfsResult, target Vertex, limit int32, queue []Vertex) []Vertex {
	r.dist[v], r.sigma[v] = 0, 1
	queue = append(queue, v)
	for i := len(queue) - 1; i < len(queue); i++ {
		u := queue[i]
		if limit >= 0 && r.dist[u] >= limit {
			break
		}
		if target >= 0 && r.dist[target] >= 0 && r.dist[u] >= r.dist[target] {
			break
		}
		if u != v && !f.transit[u] {
			continue
		}
		for _, e := range f.adj[u] {
			w := e.peer
			if f.scope != ScopeAll && f.blocked(v, u, w) {
				continue
			}
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
	return queue
}

// partial is a reusable cut-short count (see Fabric.count) and the
// vertices it reached, whose distances it resets before the next use.
type partial struct {
	bfsResult
	reached []Vertex
}

// routeSearch returns the count from v that a route needs: up to target
// (target >= 0) or to depth limit (limit >= 0). A vertex's counts, in
// each role, are cut short into scratch p until the vertices they have
// reached in all (work[v]) pass the fabric's size, what one full count
// costs; then it gets its full count, cached for every later route. A
// ring routes each rank to one neighbour and a tree to three, mostly
// close ones, so their full counts would be mostly wasted (and, cached
// for each of 8,192 ranks, hold 1.7 GB), and halving-doubling to log2(n)
// partners, most of them far: its cut-short counts reach the whole
// fabric, so the threshold is fullCountWork full counts' worth, which
// its 13 partners at 8,192 ranks stay under. An alltoall, which routes
// each rank to every other, pays at most that much work more before its
// full count. Routes are the same either way.
func (f *Fabric) routeSearch(v, target Vertex, limit int32, work []int32, p *partial) *bfsResult {
	if r, ok := f.bfs[v]; ok {
		return r
	}
	if int(work[v]) >= fullCountWork*len(f.members) {
		return f.search(v)
	}
	if p.dist == nil {
		p.dist, p.sigma = make([]int32, len(f.members)), make([]float64, len(f.members))
		for i := range p.dist {
			p.dist[i] = -1
		}
	}
	for _, u := range p.reached {
		p.dist[u] = -1
	}
	p.reached = f.count(v, &p.bfsResult, target, limit, p.reached[:0])
	work[v] += int32(len(p.reached))
	return &p.bfsResult
}

// routeTable holds the cached routes from one source: the first few in a
// list searched in order (a ring's rank routes to one or two peers, a
// tree's to three), then, once the source has routed to more than
// fewRoutes destinations (an alltoall's rank routes to every other), in
// an array indexed by destination. A map keyed by the pair cost an
// alltoall over 768 ranks more in hashing and cache misses than its
// simulation; the array is walked in destination order, as such plans
// list their transfers, and costs a pointer per vertex only for the
// sources that route to many.
type routeTable struct {
	few   []fewRoute
	dense []*route // by destination, nil until the source routes widely
}

type fewRoute struct {
	dst Vertex
	r   *route
}

// fewRoutes is how many destinations a source's routes are listed for
// before they move to an array.
// Halving-doubling routes each rank to log2(n) partners: 24 covers 16 M
// ranks, and a list of 24 is still shorter to scan than a cache miss.
const fewRoutes = 24

// fullCountWork is how many full counts' worth of cut-short counting a
// source does before routeSearch gives it a full count, cached.
const fullCountWork = 16

// cached returns the cached route from src to dst, or nil.
func (f *Fabric) cached(src, dst Vertex) *route {
	if f.routes == nil {
		return nil
	}
	t := &f.routes[src]
	if t.dense != nil {
		return t.dense[dst]
	}
	for _, e := range t.few {
		if e.dst == dst {
			return e.r
		}
	}
	return nil
}

// remember caches r as the route from src to dst.
func (f *Fabric) remember(src, dst Vertex, r *route) {
	if f.routes == nil {
		f.routes = make([]routeTable, len(f.members))
	}
	t := &f.routes[src]
	switch {
	case t.dense != nil:
		t.dense[dst] = r
	case len(t.few) < fewRoutes:
		t.few = append(t.few, fewRoute{dst, r})
	default:
		t.dense = make([]*route, len(f.members))
		for _, e := range t.few {
			t.dense[e.dst] = e.r
		}
		t.dense[dst] = r
		t.few = nil
	}
}

// route returns how a flow from src to dst spreads over channels: over
// every shortest route of the quotient, each channel carrying the share of
// routes that cross it.
func (f *Fabric) route(src, dst Vertex) (*route, error) {
	if r := f.cached(src, dst); r != nil {
		return r, nil
	}
	if src == dst {
		r := &route{}
		f.remember(src, dst, r)
		return r, nil
	}
	if f.fromWork == nil {
		f.fromWork, f.toWork = make([]int32, len(f.members)), make([]int32, len(f.members))
	}
	fs := f.routeSearch(src, dst, -1, f.fromWork, &f.fromPart)
	d := fs.dist[dst]
	if d < 0 {
		return nil, fmt.Errorf("no route from %s to %s", f.Name(src), f.Name(dst))
	}
	if len(f.lat) < len(f.members) {
		f.lat = make([]float64, len(f.members))
		f.seen = make([]uint32, len(f.members))
	}
	// to[w] is dst's side of the count through w: the paths from w to
	// dst, each weighted by the product of its vertices' weights from w
	// on, dst's own excluded; inDAG[w] whether w is on a shortest route.
	var to []float64
	var inDAG func(w Vertex) bool
	if dagBackward && f.scope == ScopeAll {
		to, inDAG = f.backward(fs, src, dst, d)
	} else {
		bs := f.routeSearch(dst, -1, d, f.toWork, &f.toPart)
		to = bs.sigma
		inDAG = func(w Vertex) bool { return bs.dist[w] >= 0 && fs.dist[w]+bs.dist[w] == d }
	}
	// fs.sigma[dst] counts dst's own weight, to[w] does not.
	total := fs.sigma[dst] / f.weight(dst)
	r := &route{hops: int(d)}
	// Walk the shortest-path DAG level by level; lat and seen are scratch
	// arrays indexed by vertex, stamped so they need no clearing.
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
				if fs.dist[w] != fs.dist[u]+1 || !inDAG(w) {
					continue
				}
				if w != dst && !f.transit[w] {
					continue
				}
				if f.scope != ScopeAll && f.blocked(src, u, w) {
					continue
				}
				r.shares = append(r.shares, share{ch: e.ch, frac: fs.sigma[u] * to[w] / total})
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
	f.remember(src, dst, r)
	return r, nil
}

// dagBackward turns on Fabric.backward; tests turn it off to compare
// with the count from the destination it replaces.
var dagBackward = true

// backward counts, for the route from src to dst at distance d whose
// count from src is fs, the paths from every vertex of the route's
// shortest-path DAG to dst, walking that DAG back from dst level by level
// (a vertex at distance k from src precedes its neighbours at k+1 that
// lead to dst): to[w] = weight(w) x the sum of to over w's successors,
// to[dst] = 1, and inDAG(w) whether w is on a shortest route. It is the
// count from dst that route used before, restricted to the vertices it
// read (on a shortest route, a vertex's distance from dst is d less its
// distance from src, as every link runs both ways), and equal to it to
// the bit: the counts are sums of products of integer weights, exact in
// floating point in any order (TestBackwardMatchesCount). Cost: the DAG's
// vertices and their links, where the count from dst cost a search of
// every vertex within d of it, the whole fabric at scale: an alltoall's
// routes from one rank cost O(ranks x vertices) before.
func (f *Fabric) backward(fs *bfsResult, src, dst Vertex, d int32) (to []float64, inDAG func(Vertex) bool) {
	if len(f.back) < len(f.members) {
		f.back = make([]float64, len(f.members))
		f.backSeen = make([]uint32, len(f.members))
	}
	f.backStamp++
	to, seen, stamp := f.back, f.backSeen, f.backStamp
	to[dst], seen[dst] = 1, stamp
	cur := append(f.backLevel[:0], dst)
	var next []Vertex
	for k := d; k > 0 && len(cur) > 0; k-- {
		next = next[:0]
		for _, y := range cur {
			for _, e := range f.adj[y] {
				x := e.peer
				if fs.dist[x] != k-1 || x != src && !f.transit[x] {
					continue
				}
				if seen[x] != stamp {
					seen[x], to[x] = stamp, 0
					next = append(next, x)
				}
				to[x] += to[y]
			}
		}
		for _, x := range next {
			to[x] *= f.weight(x)
		}
		cur, next = next, cur
	}
	f.backLevel = cur
	return to, func(w Vertex) bool { return seen[w] == stamp }
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
	r.AddLoad(load, bytes)
	return nil
}

// RouteVia returns the route of a flow from src to dst forwarded through
// via: the route from src to via followed by the one from via to dst, as
// one flow crossing both (NCCL's PXN, which moves a rank's data over
// NVLink to the GPU beside the NIC that sends it on). A channel both
// parts cross carries the sum of their shares; the latency is the sum of
// theirs. Routes are cached like Route's.
func (f *Fabric) RouteVia(src, via, dst Vertex) (*Route, error) {
	key := [3]Vertex{src, via, dst}
	if r, ok := f.vias[key]; ok {
		return r, nil
	}
	a, err := f.route(src, via)
	if err != nil {
		return nil, err
	}
	b, err := f.route(via, dst)
	if err != nil {
		return nil, err
	}
	r := &route{shares: make([]share, 0, len(a.shares)+len(b.shares)), latency: a.latency + b.latency, hops: a.hops + b.hops}
	for _, part := range [2]*route{a, b} {
	next:
		for _, s := range part.shares {
			for k := range r.shares {
				if r.shares[k].ch == s.ch {
					r.shares[k].frac += s.frac
					continue next
				}
			}
			r.shares = append(r.shares, s)
		}
	}
	r.delay = sim.FromSeconds(r.latency)
	if f.vias == nil {
		f.vias = map[[3]Vertex]*route{}
	}
	f.vias[key] = r
	return r, nil
}

// laggedKey names a route with a transport lag added (Lagged).
type laggedKey struct {
	r   *route
	lag sim.Time
}

// Lagged returns r with lag more first-byte latency: a delay between a
// transfer's bytes leaving and their arrival that holds up the receiver
// but not the sender, as a transport's software does (NCCL's network
// proxy posting a send and flushing what arrived, while the sender goes
// on to its next step). The shares are r's; the result is cached, and r
// itself when lag is 0.
func (f *Fabric) Lagged(r *Route, lag sim.Time) *Route {
	if lag == 0 {
		return r
	}
	key := laggedKey{r, lag}
	if l, ok := f.lagged[key]; ok {
		return l
	}
	l := &route{shares: r.shares, latency: r.latency + lag.Seconds(), delay: r.delay + lag, hops: r.hops, mult: r.mult}
	if f.lagged == nil {
		f.lagged = map[laggedKey]*route{}
	}
	f.lagged[key] = l
	return l
}

// SoloRate is the fastest a flow along r can go: its rate alone on an
// idle fabric, where the channel that its share fills first binds it
// (+Inf for a route that crosses no channel). Under contention a flow's
// max-min rate is no higher.
func (f *Fabric) SoloRate(r *Route) float64 {
	rate := math.Inf(1)
	for _, s := range r.shares {
		if s.frac > 0 {
			rate = math.Min(rate, f.chans[s.ch].BytesPerS/s.frac)
		}
	}
	return rate
}

// Hops is how many links r crosses (the longest of its parallel paths'
// count, which shortest paths share).
func (r *Route) Hops() int { return r.hops }

// Delay is the first-byte latency of r (wires and switches) as a
// simulated time: a flow arrives that long after its last byte left.
func (r *Route) Delay() sim.Time { return r.delay }

// AddLoad adds to load (indexed by channel) the bytes a flow along r puts
// on every channel it crosses, as Fabric.AddLoad does for a route it
// looks up.
func (r *Route) AddLoad(load []float64, bytes float64) {
	for _, s := range r.shares {
		load[s.ch] += bytes * s.frac
	}
}
