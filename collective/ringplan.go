package collective

import (
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/sim"
)

// A plan that is one ring over the whole group (ring allreduce, allgather
// and reduce-scatter) keeps the ring's parameters instead of its
// transfers: a 1,024-rank ring allreduce has two million transfers, and
// storing them with their dependency lists costs 150 MB and a cache miss
// or two per transfer, while every one of them, its dependencies and its
// dependents follow from its index. The executor computes them as it goes
// and does exactly what it does for the same ring stored transfer by
// transfer (Plan.ring): the same transfers, started, released and
// reported in the same order, so results are identical bit for bit.

// minRingForm is the smallest ring kept as its parameters; smaller rings
// are stored as transfers like every other plan (they are cheap either
// way). A variable so that tests can run any ring in either form.
var minRingForm = 4096

// ringForm is a ring of steps steps over n ranks, each rank sending block
// bytes to its successor per step in chunks chunks: transfer t =
// (k*n+i)*chunks + c is step k's chunk c from position i to position i+1
// (mod n). It waits for step k-1's chunk c from position i-1 to arrive and
// for position i's previous transfer to be sent, as Plan.ring builds it
// with no start gate. A plan in ring form is one such ring per channel,
// one after another in transfer order.
type ringForm struct {
	n, steps, chunks int
	chunk            float64          // bytes per transfer
	verts            []network.Vertex // position i's vertex
	alpha            []sim.Time       // position i's step latency
	// via, when not nil, is the vertex position i's sends are forwarded
	// through (-1 for none).
	via []network.Vertex
	// routes holds position i's route to its successor, once resolved.
	routes []*network.Route
}

// total is the number of transfers of the ring.
func (r *ringForm) total() int { return r.n * r.steps * r.chunks }

// viaOf is the vertex position i's sends are forwarded through, or -1.
func (r *ringForm) viaOf(i int) network.Vertex {
	if r.via == nil {
		return -1
	}
	return r.via[i]
}

// The executor names a transfer by its step, rank and chunk packed into
// one tag, rather than by its index, which would take two divisions to
// take apart on every event: k<<2*tagBits | i<<tagBits | c.
const (
	tagBits = 21
	tagMask = 1<<tagBits - 1
)

func ringTag(k, i, c int) int64 { return int64(k)<<(2*tagBits) | int64(i)<<tagBits | int64(c) }

// split returns the step, rank and chunk of the transfer tagged tag.
func split(tag int64) (k, i, c int) {
	return int(tag >> (2 * tagBits)), int(tag >> tagBits & tagMask), int(tag & tagMask)
}

// index is the index of step k's chunk c from rank i.
func (r *ringForm) index(k, i, c int) int { return (k*r.n+i)*r.chunks + c }

// ndeps is how many transfers step k's chunk c waits for.
func ndeps(k, c int) uint8 {
	d := uint8(0)
	if k > 0 {
		d = 2
	} else if c > 0 {
		d = 1
	}
	return d
}

// maxRingForm bounds the transfers of a plan in ring form. A ring-form
// transfer costs a byte or two while it runs (its dependency count), not
// a stored transfer's 100 B to 1.5 KB, so a ring form may hold many
// transfers: a 1,024-rank ring allreduce over 8 rails is 16.8 million.
// Its bound is time, not memory: it runs every transfer as an event.
func maxRingForm() int64 { return ringFormFactor * int64(min(MaxTransfers, ringFormBase)) }

// ringFormFactor is how many times ringFormBase (or a lower MaxTransfers)
// a ring form may hold: 256 million, about 256 MB of counts and a minute
// of events.
const ringFormFactor = 32

// ringFormBase is the base of the ring form's limit, the stored plans'
// old limit of 8 million transfers.
const ringFormBase = 8_000_000

// wholeRings adds the rings of chs (one ring over every rank of g in
// order when chs is nil), steps steps each, every rank sending its
// channel's share of block per step in chunks of o.chunks(share·block):
// in ring form when the rings are large enough and within maxRingForm,
// else as transfers.
func (p *Plan) wholeRings(g *Group, chs []ringChannel, steps int, block float64, o Options) {
	n := g.Size()
	if chs == nil {
		chs = []ringChannel{{order: inOrder(n), share: 1}}
	}
	total := int64(0)
	fits := n >= 2 && steps >= 1 && p.count() == 0 && n <= tagMask && steps <= tagMask
	for _, ch := range chs {
		c := o.chunks(ch.share * block)
		total += int64(steps) * int64(n) * int64(c)
		fits = fits && c <= tagMask
	}
	if fits && total >= int64(minRingForm) {
		if total > maxRingForm() {
			// Past what even the ring form may hold: Compile refuses
			// it. The rings are still built (their parameters, a few
			// bytes a rank; the counts that cost a byte a transfer are
			// made only when a plan starts) so that Auto can bound the
			// refused plan (egressBound) and rule it out.
			p.wanted += total
			p.ringRefused = true
		}
		for _, ch := range chs {
			c := o.chunks(ch.share * block)
			r := &ringForm{n: n, steps: steps, chunks: c, chunk: ch.share * block / float64(c), verts: g.verts, alpha: g.ringAlphas(ch.order)}
			if !isInOrder(ch.order) {
				r.verts = make([]network.Vertex, n)
				for i, rank := range ch.order {
					r.verts[i] = g.verts[rank]
				}
			}
			if ch.via != nil {
				r.via = ch.via
			}
			p.rings = append(p.rings, r)
		}
		return
	}
	for _, ch := range chs {
		p.ringVia(g, ch.order, ch.via, steps, ch.share*block, o.chunks(ch.share*block), -1)
	}
}

// isInOrder reports whether order is 0, 1, ..., n-1.
func isInOrder(order []int) bool {
	for i, r := range order {
		if r != i {
			return false
		}
	}
	return true
}

// ringRoutes is each position of ring r's route to its successor, or
// the first unroutable position's error. Cost: r.n route lookups.
func (p *Plan) ringRoutes(f *network.Fabric, r *ringForm) ([]*network.Route, error) {
	routes := make([]*network.Route, r.n)
	for i := range r.n {
		next := i + 1
		if next == r.n {
			next = 0
		}
		rt, err := p.routeOf(f, r.verts[i], r.viaOf(i), r.verts[next])
		if err != nil {
			return nil, err
		}
		routes[i] = rt
	}
	return routes, nil
}

// resolveRingRoutes sets every ring position's route to its successor.
// The first unroutable position gives the error, as the first unroutable
// transfer would.
func (p *Plan) resolveRingRoutes(f *network.Fabric) error {
	for _, r := range p.rings {
		routes, err := p.ringRoutes(f, r)
		if err != nil {
			return p.routeError(f, err)
		}
		r.routes = routes
	}
	p.routes, p.route, p.routesOf = nil, nil, f
	return nil
}

// ringExec is an execution of one ring of a plan in ring form; see
// execution. The rings of a plan count their transfers off one left.
type ringExec struct {
	r    *ringForm
	net  *network.Network
	sim  *sim.Simulator
	done func(now sim.Time)
	left *int
	got  []uint8 // per transfer, how many of its dependencies are met

	rec    *Recording
	job    int
	recIdx []int32
}

// startRings is Plan.start for a plan in ring form.
func (p *Plan) startRings(net *network.Network, s *sim.Simulator, done func(now sim.Time), rec *Recording, job int) {
	left := p.Transfers()
	xs := make([]*ringExec, len(p.rings))
	roots := 0
	for k, r := range p.rings {
		x := &ringExec{r: r, net: net, sim: s, done: done, left: &left, got: make([]uint8, r.total())}
		if rec != nil {
			x.rec, x.job, x.recIdx = rec, job, make([]int32, r.total())
		}
		xs[k] = x
		roots += r.n
	}
	s.Schedule(s.Now()+p.Overhead, func(now sim.Time) {
		// The roots are every rank's first chunk of step 0, ring by ring.
		net.Reserve(roots)
		for _, x := range xs {
			for i := range x.r.n {
				x.ready(0, i, 0, now)
			}
		}
	})
}

// ready starts step k's chunk c from rank i after its software latency.
func (x *ringExec) ready(k, i, c int, now sim.Time) {
	if alpha := firstChunk(c, x.r.alpha[i]); alpha > 0 {
		x.sim.ScheduleHandler(now+alpha, x, ringTag(k, i, c))
	} else {
		x.Handle(now, ringTag(k, i, c))
	}
}

// Handle implements sim.Handler: the software latency of the transfer
// tagged arg is over.
func (x *ringExec) Handle(now sim.Time, arg int64) {
	r := x.r
	k, i, c := split(arg)
	if x.rec != nil {
		next := i + 1
		if next == r.n {
			next = 0
		}
		t := r.index(k, i, c)
		x.recIdx[t] = int32(len(x.rec.Transfers))
		x.rec.Transfers = append(x.rec.Transfers, TransferRecord{Job: x.job, Src: r.verts[i], Dst: r.verts[next], Bytes: r.chunk, Start: now, Sent: -1, Arrived: -1})
	}
	x.net.StartFlow(r.routes[i], r.chunk, x, arg)
}

// FlowSent implements network.FlowHandler: the rank's next transfer, the
// next chunk or the next step's first, may go.
func (x *ringExec) FlowSent(tag int64, now sim.Time) {
	r := x.r
	k, i, c := split(tag)
	if x.rec != nil {
		x.rec.Transfers[x.recIdx[r.index(k, i, c)]].Sent = now
	}
	switch {
	case c+1 < r.chunks:
		x.release(k, i, c+1, now)
	case k+1 < r.steps:
		x.release(k+1, i, 0, now)
	}
}

// FlowArrived implements network.FlowHandler: the successor's next step
// of this chunk may go.
func (x *ringExec) FlowArrived(tag int64, now sim.Time) {
	r := x.r
	k, i, c := split(tag)
	if x.rec != nil {
		x.rec.Transfers[x.recIdx[r.index(k, i, c)]].Arrived = now
	}
	*x.left--
	if k+1 < r.steps {
		next := i + 1
		if next == r.n {
			next = 0
		}
		x.release(k+1, next, c, now)
	}
	if *x.left == 0 && x.done != nil {
		x.done(now)
	}
}

// release counts off one dependency of step k's chunk c from rank i.
func (x *ringExec) release(k, i, c int, now sim.Time) {
	t := x.r.index(k, i, c)
	x.got[t]++
	if x.got[t] == ndeps(k, c) {
		x.ready(k, i, c, now)
	}
}
