package collective

import (
	"fmt"
	"math"
	"strings"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/sim"
	"github.com/cardsea/cardsea/topology"
)

// Plan is an operation compiled into transfers with dependencies. Run it
// with Start; a Plan may be started more than once.
type Plan struct {
	Op        Op
	Algorithm Algorithm
	Protocol  Protocol
	Ranks     int
	// Overhead is paid once before the first transfer (op_overhead).
	Overhead sim.Time
	// netLag is the software lag of a transfer between scale-up domains
	// (netlat.go), netDom the domain of each rank's vertex (-1 for a
	// vertex of no rank); netLag is 0 when no transfer pays one.
	netLag sim.Time
	netDom []int32
	// pace is the factor NCCL's copy rate scaled the plan's bytes by
	// (nccltune.go); 0 or 1 when it did not.
	pace float64

	xfers []transfer
	ndeps []int32 // per transfer, how many transfers it waits for
	// dependents in CSR form, both kinds of transfer i's next to each
	// other (see arrivalDeps and sentDeps); deps has a final entry
	// closing the last transfer's lists.
	deps       []depRange
	dependents []int32
	// in holds, while building, every transfer's dependencies in the
	// order add received them (d, or afterSent(d)); ndeps[i] of them are
	// transfer i's. seal turns them into the two indexes above.
	in []int32
	// routes lists routes resolved for routesOf, and route[i] is the
	// index of transfer i's: an index array is half the size of a pointer
	// array and the collector need not scan it.
	routes   []*network.Route
	route    []int32
	routesOf *network.Fabric
	// wanted counts every transfer the builder asked for, kept or not:
	// past its limit a plan stops storing them but keeps counting, so
	// the error can say how large the plan would have been.
	wanted int64
	// lim is the most transfers the plan may hold (Plan.limit).
	lim int
	// rings, when not nil, is the whole plan as rings (see ringForm), one
	// per channel: xfers and the dependency indexes are then empty, and
	// each ring holds its positions' routes to their successors.
	rings []*ringForm
	// ringRefused marks a plan refused for passing maxRingForm in ring
	// form (wanted counts its transfers).
	ringRefused bool
	// unbuilt, when not nil, holds per vertex the bytes that the parts of
	// a refused plan that were counted but not built would have sent to
	// another vertex, for egressBound: a refused plan is bounded from
	// below without being built, so that Auto can rule it out.
	unbuilt []float64
	// unbuiltChain is a chain of software latencies that those parts
	// would have held (see latencyChain), for egressBound.
	unbuiltChain sim.Time
	// unbuiltPairs lists, where the refused parts send between few
	// pairs (rings and trees, not all pairs), the bytes between each
	// pair, for refusedBound's most loaded channel.
	unbuiltPairs []pairBytes
	// sym, when not nil, lists the plan's channels as blocks of
	// transfers, for the symmetric fast path (symmetry.go).
	sym *channelBlocks
	// orbit, when not nil, marks a plan in orbit form (orbit.go): its
	// transfers are rank 0's, each standing for one from every rank.
	// noOrbit builds the plan without it.
	orbit   *orbitForm
	noOrbit bool
	// dry, when not nil, marks a plan compiled for its egressBound only
	// (compileDry): its transfers are counted and summed as they are
	// added, not stored.
	dry *dryPlan
}

// dryPlan is what a plan compiled for its egressBound keeps of its
// transfers instead of storing them: how many it would hold, the bytes
// each vertex sends (summed in transfer order, as egressBound sums a
// stored plan's), and each transfer's chain of software latencies
// (latencyChain's, computed as the transfer is added: its dependencies
// are added before it) and the longest of them.
//
// With exact set (dryExact) it also keeps what lowerBound computes of
// the stored plan's transfers, in the same order: every channel's load,
// and each transfer's earliest sent and arrived times along the critical
// path (its route looked up as resolveRoutes would), and the latest.
type dryPlan struct {
	n     int
	sent  []float64
	chain []sim.Time
	best  sim.Time
	exact *dryBound
}

// dryMode is how a plan is compiled: whole (stored), dryEgress (for
// egressBound), dryExact (for egressBound and lowerBound) or dryHead
// (its overhead, protocol and pace checked and set, no transfer built:
// for its loadScale and Overhead).
type dryMode uint8

const (
	whole dryMode = iota
	dryEgress
	dryExact
	dryHead
)

// dryBound is lowerBound's state of a dryExact plan (see dryPlan).
type dryBound struct {
	f             *network.Fabric
	load          []float64
	sent, arrived []sim.Time
	path          sim.Time
	unroutable    bool
	memo          []routeMemo // per source, as resolveRoutes's
}

// routeMemo is the last few routes a source's transfers took, with their
// solo rates (dryBound).
type routeMemo struct {
	last [routeMemos]struct {
		dst, fwd network.Vertex
		r        *network.Route
		rate     float64
	}
	next uint8
}

// count is the number of transfers the plan holds (a dry plan's as if
// stored).
func (p *Plan) count() int {
	if p.dry != nil {
		return p.dry.n
	}
	return len(p.xfers)
}

// pairBytes is bytes that vertex src would send to vertex dst.
type pairBytes struct {
	src, dst network.Vertex
	bytes    float64
}

// DefaultMaxMemory is the memory a plan may take when Options.MaxMemory
// is 0: 12 GB, what a 16 GB machine can run. Past its limit Compile
// refuses the operation with a *TooLargeError, before it allocates,
// rather than running the machine out of memory.
const DefaultMaxMemory = 12e9

// MaxTransfers bounds the transfers of one compiled plan whatever the
// memory they take; the memory limit (Options.MaxMemory over the plan's
// bytes per transfer, Plan.limit) binds long before it. Tests lower it to
// force refusals.
var MaxTransfers = math.MaxInt32

// bytesPerTransfer is the measured memory per transfer of a running plan
// whose transfers each have a route of their own and run at once (direct
// and pairwise: BenchmarkAllToAllCM384, 218 MB for 147,072 flows).
const bytesPerTransfer = 1500

// bytesPerChainedTransfer is the measured memory per transfer of the
// other algorithms (ring, tree, hd, nvls, hier), whose transfers wait for
// one another, a few per rank in flight, over a few routes per rank:
// peak RSS of 'cardsea collective --topo hgx-h100 --algo tree --proto
// simple --sizes 1GiB' rose from 118 MB at 256 domains to 374 MB at
// 1,024 (1.05 M to 4.19 M transfers), 81 B a transfer; 100 B leaves a
// margin for routes and the fabric.
const bytesPerChainedTransfer = 100

// perTransfer is the memory per transfer of a plan of algorithm a.
func perTransfer(a Algorithm) float64 {
	if a == Direct || a == Pairwise {
		return bytesPerTransfer
	}
	return bytesPerChainedTransfer
}

// transferLimit is how many transfers a plan of algorithm a may hold
// within maxMemory bytes (0: DefaultMaxMemory), and MaxTransfers.
func transferLimit(a Algorithm, maxMemory float64) int {
	if !(maxMemory > 0) {
		maxMemory = DefaultMaxMemory
	}
	return int(min(float64(MaxTransfers), maxMemory/perTransfer(a)))
}

// pricingLimit bounds the transfers of a dry plan (Plan.dry), which
// Auto builds of every candidate to bound it: a candidate past it is set
// aside with the bound of what was built, and simulated whole only if
// that bound does not rule it out (tune). Tests lower it.
var pricingLimit = 8_000_000

// limit is p's transfer limit: set by Compile from Options.MaxMemory,
// else the default for its algorithm.
func (p *Plan) limit() int {
	if p.lim == 0 {
		p.lim = transferLimit(p.Algorithm, 0)
	}
	return p.lim
}

// TooLargeError is an operation whose plan would exceed MaxTransfers.
type TooLargeError struct {
	Op        Op
	Algorithm Algorithm
	Ranks     int
	Transfers int64
	// RingForm is set for a plan that would have been kept in ring form
	// (ringplan.go), whose limit is maxRingForm and whose transfers cost
	// bytesPerRingTransfer each.
	RingForm bool
	// maxMemory is the memory limit the plan was refused under (0: the
	// default).
	maxMemory float64
	// proto is the protocol the plan was compiled for.
	proto Protocol
	// refused is the plan as far as it was built (the transfers that fit
	// before the limit, the rings of a ring form, the bytes the rest
	// would have sent: Plan.unbuilt), whose egressBound bounds the whole
	// plan from below: enough for Auto to rule it out.
	refused *Plan
}

func (e *TooLargeError) Error() string {
	var others []string
	for _, a := range supports[e.Op] {
		if a != e.Algorithm {
			others = append(others, string(a))
		}
	}
	hint := "use fewer ranks"
	if len(others) > 0 {
		hint += ", or another algorithm (" + strings.Join(others, ", ") + ")"
	}
	if e.RingForm {
		limit := maxRingForm()
		return fmt.Sprintf("%s %s over %d ranks needs %d transfers in ring form, over the limit of %d (a ring form runs every transfer as an event: minutes past it); %s",
			e.Op, e.Algorithm, e.Ranks, e.Transfers, limit, hint)
	}
	per := perTransfer(e.Algorithm)
	need := float64(e.Transfers) * per
	limit := int64(transferLimit(e.Algorithm, e.maxMemory))
	if e.refused != nil {
		limit = int64(e.refused.limit())
	}
	if limit < int64(MaxTransfers) { // the memory limit binds: more memory would do
		hint += fmt.Sprintf(", or allow it the memory (--max-memory %.0fGB, max_memory in a scenario) if the machine has it", math.Ceil(need*1.1/1e9))
	}
	return fmt.Sprintf("%s %s over %d ranks needs %d transfers (about %.1f GB of memory at %.0f B each), over the limit of %d (%.1f GB); %s",
		e.Op, e.Algorithm, e.Ranks, e.Transfers, need/1e9, per,
		limit, float64(limit)*per/1e9, hint)
}

// afterSent marks a dependency on transfer d having left its source rather
// than having arrived: a rank streams its next chunk as soon as the last
// one is on the wire.
func afterSent(d int32) int32 {
	if d < 0 {
		return -1
	}
	return -2 - d
}

// transfer is one transfer of a plan. How many transfers it waits for is
// kept apart, in Plan.ndeps, so that sealing and starting a plan read a
// small dense array rather than every transfer.
type transfer struct {
	src, dst network.Vertex
	bytes    float64
	alpha    sim.Time // software latency before the bytes enter the network
	// fwd, when not 0, forwards the transfer through vertex fwd-1 (NCCL's
	// PXN; see Fabric.RouteVia).
	fwd  network.Vertex
	join bool // a synchronisation point: no bytes, no latency
}

// via is the vertex t is forwarded through, or -1.
func (t *transfer) via() network.Vertex { return t.fwd - 1 }

// routeOf returns the route from src to dst, forwarded through via when
// via >= 0, with the plan's network lag when src and dst are in different
// scale-up domains (netlat.go).
func (p *Plan) routeOf(f *network.Fabric, src, via, dst network.Vertex) (*network.Route, error) {
	var r *network.Route
	var err error
	if via >= 0 {
		r, err = f.RouteVia(src, via, dst)
	} else {
		r, err = f.Route(src, dst)
	}
	if err != nil || p.netLag == 0 {
		return r, err
	}
	if a, b := p.netDom[src], p.netDom[dst]; a >= 0 && b >= 0 && a != b {
		r = f.Lagged(r, p.netLag)
	}
	return r, nil
}

// Transfers is the number of transfers in the plan.
func (p *Plan) Transfers() int {
	if p.rings != nil {
		n := 0
		for _, r := range p.rings {
			n += r.total()
		}
		return n
	}
	if p.orbit != nil {
		return len(p.xfers) * p.orbit.mult
	}
	return len(p.xfers)
}

// WireBytes sums the bytes the plan's transfers move.
func (p *Plan) WireBytes() float64 {
	var s float64
	if p.rings != nil {
		for _, r := range p.rings {
			for range r.total() {
				s += r.chunk
			}
		}
		return s
	}
	for _, x := range p.xfers {
		s += x.bytes
	}
	if p.orbit != nil {
		s *= float64(p.orbit.mult)
	}
	return s
}

// reserve makes room for n more transfers, e more dependencies on
// arrivals and n more on sends.
func (p *Plan) reserve(n, e int) {
	if d := p.dry; d != nil {
		n = max(0, min(n, p.limit()-d.n))
		d.chain = reserved(d.chain, n, p.limit())
		if b := d.exact; b != nil {
			b.sent, b.arrived = reserved(b.sent, n, p.limit()), reserved(b.arrived, n, p.limit())
		}
		return
	}
	lim := p.limit()
	n = max(0, min(n, lim-len(p.xfers)))
	e = max(0, min(e, lim-len(p.in)))
	p.xfers = reserved(p.xfers, n, lim)
	p.ndeps = reserved(p.ndeps, n, lim)
	p.in = reserved(p.in, e+n, lim)
}

// reserved is slices.Grow by way of make: growing with append clears the
// whole new array, while make leaves memory fresh from the system as it
// is (already zero), sparing a pass over a plan's largest arrays. It at
// least doubles the capacity, as append does: a plan built of many small
// rings (hier's per-slice rings) would otherwise copy all it holds once
// per ring. The doubling stops at lim (the plan's limit), so that a plan
// near it does not hold twice the memory it needs.
func reserved[T any](s []T, n, lim int) []T {
	if cap(s)-len(s) >= n {
		return s
	}
	t := make([]T, len(s), max(len(s)+n, min(2*cap(s), lim)))
	copy(t, s)
	return t
}

// tooMany reports whether n more transfers would pass the limit; if so
// it counts them as wanted, and the builder skips them: the plan is
// refused, so it need not be built to be measured.
func (p *Plan) tooMany(n int64) bool {
	if int64(p.count())+n <= int64(p.limit()) {
		return false
	}
	p.wanted += n
	return true
}

// skipped records that vertex from would have sent bytes to vertex to in
// a part of the plan that tooMany refused (see Plan.unbuilt); to < 0
// records the bytes as sent to other vertices, unsaid which.
func (p *Plan) skipped(g *Group, from, to network.Vertex, bytes float64) {
	if from == to || !(bytes > 0) {
		return
	}
	if p.unbuilt == nil {
		p.unbuilt = make([]float64, g.Fabric.Vertices())
	}
	p.unbuilt[from] += bytes
	if to >= 0 {
		p.unbuiltPairs = append(p.unbuiltPairs, pairBytes{from, to, bytes})
	}
}

// skippedChain records that a refused part of the plan held a chain of
// hops dependent transfers, each paying at least the least step latency
// of g's ranks.
func (p *Plan) skippedChain(g *Group, hops int) {
	least := sim.Time(math.MaxInt64)
	for _, a := range g.alpha {
		least = min(least, a)
	}
	if len(g.alpha) > 0 {
		p.unbuiltChain = max(p.unbuiltChain, sim.Time(hops)*least)
	}
}

// add appends a transfer that waits for deps; it returns its index, or -1
// once the plan holds its limit (Compile then reports it too large).
func (p *Plan) add(src, dst network.Vertex, bytes float64, alpha sim.Time, deps ...int32) int32 {
	return p.addVia(src, -1, dst, bytes, alpha, deps...)
}

// addVia is add for a transfer forwarded through via (none when via < 0).
func (p *Plan) addVia(src, via, dst network.Vertex, bytes float64, alpha sim.Time, deps ...int32) int32 {
	p.wanted++
	if d := p.dry; d != nil {
		return p.dryAdd(src, via, dst, bytes, alpha, deps, false)
	}
	if len(p.xfers) >= p.limit() {
		return -1
	}
	id := int32(len(p.xfers))
	p.xfers = append(p.xfers, transfer{src: src, dst: dst, bytes: bytes, alpha: alpha, fwd: via + 1})
	n := int32(0)
	for _, d := range deps {
		if d != -1 {
			p.in = append(p.in, d)
			n++
		}
	}
	p.ndeps = append(p.ndeps, n)
	return id
}

// join appends a synchronisation point that waits for every one of deps.
func (p *Plan) join(deps []int32) int32 {
	if p.dry != nil {
		p.wanted++
		return p.dryAdd(0, -1, 0, 0, 0, deps, true)
	}
	id := p.add(0, 0, 0, 0, deps...)
	if id >= 0 && p.dry == nil {
		p.xfers[id].join = true
	}
	return id
}

// dryAdd is Plan.addVia (and join) for a dry plan: it counts the
// transfer, adds its bytes to what src sends, as egressBound does for a
// stored transfer (none for a join, which has no bytes), and extends
// latencyChain's chains by it; for a dryExact plan, lowerBound's load
// and critical path too.
func (p *Plan) dryAdd(src, via, dst network.Vertex, bytes float64, alpha sim.Time, deps []int32, join bool) int32 {
	d := p.dry
	if d.n >= p.limit() {
		return -1
	}
	id := int32(d.n)
	d.n++
	if bytes > 0 && src != dst {
		d.sent[src] += bytes
	}
	e := sim.Time(0)
	for _, j := range deps {
		if j == -1 {
			continue
		}
		if j < 0 {
			j = -2 - j
		}
		e = max(e, d.chain[j])
	}
	e += alpha
	d.chain = append(d.chain, e)
	d.best = max(d.best, e)
	if b := d.exact; b != nil {
		b.add(p, src, via, dst, bytes, alpha, deps, join)
	}
	return id
}

// add is lowerBound's step for one transfer, as its loop over a stored
// plan takes it: the earliest start is the latest of what it waits for
// (sent or arrived), a transfer with bytes adds them to its route's
// channels and takes them at the route's solo rate to leave, and every
// transfer but a join takes its route's delay more to arrive.
func (b *dryBound) add(p *Plan, src, via, dst network.Vertex, bytes float64, alpha sim.Time, deps []int32, join bool) {
	start := sim.Time(0)
	for _, j := range deps {
		switch {
		case j >= 0:
			start = max(start, b.arrived[j])
		case j != -1:
			start = max(start, b.sent[-2-j])
		}
	}
	sent, arrived := start, start
	if !join {
		sent += alpha
		arrived = sent
		rt, rate := b.route(p, src, via, dst)
		switch {
		case rt == nil:
			b.unroutable = true
		case bytes > 0:
			rt.AddLoad(b.load, bytes)
			sent += soloTimeAt(rate, bytes)
			arrived = sent + rt.Delay()
		default:
			arrived = sent + rt.Delay()
		}
	}
	b.path = max(b.path, arrived)
	b.sent = append(b.sent, sent)
	b.arrived = append(b.arrived, arrived)
}

// route is the route (and its solo rate) from src through via to dst
// (routeOf's), nil where there is none; a source's last few are kept.
func (b *dryBound) route(p *Plan, src, via, dst network.Vertex) (*network.Route, float64) {
	m := &b.memo[src]
	for _, l := range m.last {
		if l.r != nil && l.dst == dst && l.fwd == via+1 {
			return l.r, l.rate
		}
	}
	rt, err := p.routeOf(b.f, src, via, dst)
	if err != nil {
		return nil, 0
	}
	l := &m.last[m.next]
	l.dst, l.fwd, l.r, l.rate = dst, via+1, rt, b.f.SoloRate(rt)
	m.next = (m.next + 1) % routeMemos
	return l.r, l.rate
}

// depRange locates a transfer's dependents in Plan.dependents: those
// waiting for it to arrive from out, then those waiting for its bytes to
// leave from sent, up to the next transfer's out.
type depRange struct{ out, sent int32 }

// arrivalDeps lists the transfers waiting for transfer i to arrive.
func (p *Plan) arrivalDeps(i int32) []int32 {
	return p.dependents[p.deps[i].out:p.deps[i].sent]
}

// sentDeps lists the transfers waiting for transfer i's bytes to leave.
func (p *Plan) sentDeps(i int32) []int32 {
	return p.dependents[p.deps[i].sent:p.deps[i+1].out]
}

// seal builds the dependents index; builders call it last. Each
// transfer's dependents are listed in the order they were added.
func (p *Plan) seal() {
	n := len(p.xfers)
	r := make([]depRange, n+1)
	for _, d := range p.in { // count
		if d >= 0 {
			r[d].out++
		} else {
			r[-2-d].sent++
		}
	}
	at := int32(0)
	for i := range n { // turn counts into starts
		out, sent := r[i].out, r[i].sent
		r[i] = depRange{at, at + out}
		at += out + sent
	}
	r[n] = depRange{at, at}
	list := make([]int32, at)
	// Fill each list at its start, advancing the start as a cursor: the
	// out cursor ends where the sent list starts and the sent cursor where
	// the next transfer's out list starts.
	k := 0
	for j, nd := range p.ndeps {
		for _, d := range p.in[k : k+int(nd)] {
			if d >= 0 {
				list[r[d].out] = int32(j)
				r[d].out++
			} else {
				list[r[-2-d].sent] = int32(j)
				r[-2-d].sent++
			}
		}
		k += int(nd)
	}
	for i := n - 1; i >= 0; i-- { // move the cursors back to the starts
		out := int32(0)
		if i > 0 {
			out = r[i-1].sent
		}
		r[i] = depRange{out, r[i].out}
	}
	p.deps, p.dependents = r, list
	p.in = nil
}

// Start runs the plan on net from now; done runs when the last transfer
// has arrived.
func (p *Plan) Start(net *network.Network, s *sim.Simulator, done func(now sim.Time)) error {
	if p.orbit != nil {
		q, err := p.orbit.expand(p)
		if err != nil {
			return err
		}
		p = q
	}
	return p.start(net, s, done, nil, 0)
}

// start is Start, recording every transfer into rec (if not nil) as job's.
func (p *Plan) start(net *network.Network, s *sim.Simulator, done func(now sim.Time), rec *Recording, job int) error {
	if p.deps == nil {
		p.seal()
	}
	if err := p.resolveRoutes(net.Fabric); err != nil {
		return err
	}
	if p.rings != nil {
		p.startRings(net, s, done, rec, job)
		return nil
	}
	x := &execution{p: p, net: net, sim: s, done: done, left: len(p.xfers), deps: append([]int32(nil), p.ndeps...)}
	if rec != nil {
		x.rec, x.job, x.recIdx = rec, job, make([]int32, len(p.xfers))
	}
	if len(p.xfers) == 0 {
		s.Schedule(s.Now()+p.Overhead, done)
		return nil
	}
	s.Schedule(s.Now()+p.Overhead, func(now sim.Time) {
		roots := 0
		for _, nd := range p.ndeps {
			if nd == 0 {
				roots++
			}
		}
		net.Reserve(roots)
		for i, nd := range p.ndeps {
			if nd == 0 {
				x.ready(int32(i), now)
			}
		}
	})
	return nil
}

// resolveRoutes looks up every transfer's route once per fabric, so runs
// start flows without route lookups; an unroutable transfer is an error
// before anything runs. A source's transfers mostly go to a few peers (a
// ring's successor, a chain's next rank, a tree's parent and children),
// so the last routeMemos routes from each source are kept at hand and the
// fabric's route cache is asked only for another peer. (The fabric's
// routes are one object per route, so what is kept is what it would
// return.)
func (p *Plan) resolveRoutes(f *network.Fabric) error {
	if p.routesOf == f {
		return nil
	}
	if p.rings != nil {
		return p.resolveRingRoutes(f)
	}
	p.routes, p.route = nil, make([]int32, len(p.xfers))
	type lastRoute struct {
		dst, fwd network.Vertex
		r        int32 // index in p.routes plus one; 0 for none
	}
	type memo struct {
		last [routeMemos]lastRoute
		next uint8 // the entry to replace next
	}
	last := make([]memo, f.Vertices())
next:
	for i, t := range p.xfers {
		if t.join {
			continue
		}
		m := &last[t.src]
		for _, l := range m.last {
			if l.r != 0 && l.dst == t.dst && l.fwd == t.fwd {
				p.route[i] = l.r - 1
				continue next
			}
		}
		r, err := p.routeOf(f, t.src, t.via(), t.dst)
		if err != nil {
			return p.routeError(f, err)
		}
		p.route[i] = int32(len(p.routes))
		p.routes = append(p.routes, r)
		m.last[m.next] = lastRoute{t.dst, t.fwd, int32(len(p.routes))}
		m.next = (m.next + 1) % routeMemos
	}
	p.routesOf = f
	return nil
}

// routeMemos is how many routes from each source resolveRoutes keeps at
// hand: a tree's rank sends to its parent and two children.
const routeMemos = 4

// routeError is the error of a transfer that f cannot route.
func (p *Plan) routeError(f *network.Fabric, err error) error {
	if len(f.Topo.Faults) > 0 {
		return fmt.Errorf("%s %s: the faults (%s) cut the group: %w; fail fewer elements or leave the cut-off ranks out of the group (fewer ranks, or a rank list)",
			p.Op, p.Algorithm, topology.FaultList(f.Topo.Faults), err)
	}
	return fmt.Errorf("%s %s: %w", p.Op, p.Algorithm, err)
}

type execution struct {
	p    *Plan
	net  *network.Network
	sim  *sim.Simulator
	done func(now sim.Time)
	deps []int32
	left int

	// Recording, when tracing: recIdx maps a transfer to its record.
	rec    *Recording
	job    int
	recIdx []int32
}

// ready starts transfer i after its software latency.
func (x *execution) ready(i int32, now sim.Time) {
	t := &x.p.xfers[i]
	if t.join {
		// A join has nothing to send: it is sent and arrived at once.
		x.left--
		x.release(x.p.sentDeps(i), now)
		x.finished(i, now)
		return
	}
	if t.alpha > 0 {
		x.sim.ScheduleHandler(now+t.alpha, x, int64(i))
	} else {
		x.Handle(now, int64(i))
	}
}

// Handle implements sim.Handler: transfer arg's software latency is over.
func (x *execution) Handle(now sim.Time, arg int64) {
	t := &x.p.xfers[arg]
	if x.rec != nil {
		x.recIdx[arg] = int32(len(x.rec.Transfers))
		x.rec.Transfers = append(x.rec.Transfers, TransferRecord{Job: x.job, Src: t.src, Dst: t.dst, Bytes: t.bytes, Start: now, Sent: -1, Arrived: -1})
	}
	x.net.StartFlow(x.p.routes[x.p.route[arg]], t.bytes, x, arg)
}

// FlowSent implements network.FlowHandler.
func (x *execution) FlowSent(tag int64, now sim.Time) {
	if x.rec != nil {
		x.rec.Transfers[x.recIdx[tag]].Sent = now
	}
	x.release(x.p.sentDeps(int32(tag)), now)
}

// FlowArrived implements network.FlowHandler.
func (x *execution) FlowArrived(tag int64, now sim.Time) {
	if x.rec != nil {
		x.rec.Transfers[x.recIdx[tag]].Arrived = now
	}
	x.left--
	x.finished(int32(tag), now)
}

// finished releases the dependents waiting for transfer i to arrive, and
// reports the plan done after its last arrival; the caller has counted
// it off left.
func (x *execution) finished(i int32, now sim.Time) {
	x.release(x.p.arrivalDeps(i), now)
	if x.left == 0 && x.done != nil {
		x.done(now)
	}
}

// release counts down the dependencies of the transfers in list.
func (x *execution) release(list []int32, now sim.Time) {
	for _, j := range list {
		x.deps[j]--
		if x.deps[j] == 0 {
			x.ready(j, now)
		}
	}
}
