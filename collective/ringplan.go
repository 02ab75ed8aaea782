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

// ringForm is a ring of steps steps over all n ranks of a group in order,
// each rank sending block bytes to its successor per step in chunks chunks:
// transfer t = (k*n+i)*chunks + c is step k's chunk c from rank i to rank
// i+1 (mod n). It waits for step k-1's chunk c from rank i-1 to arrive and
// for rank i's previous transfer to be sent, as Plan.ring builds it with no
// start gate.
type ringForm struct {
	n, steps, chunks int
	chunk            float64          // bytes per transfer
	verts            []network.Vertex // rank i's vertex
	alpha            []sim.Time       // rank i's step latency
}

// total is the number of transfers of the ring.
func (r *ringForm) total() int { return r.n * r.steps * r.chunks }

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

// wholeRing adds a ring of steps steps over all, every rank of g in order,
// in ring form when it is large enough and within MaxTransfers, else as
// transfers.
func (p *Plan) wholeRing(g *Group, all []int, steps int, block float64, chunks int) {
	n := g.Size()
	total := int64(steps) * int64(n) * int64(chunks)
	if n >= 2 && steps >= 1 && len(p.xfers) == 0 && total >= int64(minRingForm) && total <= int64(MaxTransfers) &&
		steps <= tagMask && n <= tagMask && chunks <= tagMask {
		p.rf = &ringForm{n: n, steps: steps, chunks: chunks, chunk: block / float64(chunks), verts: g.verts, alpha: g.alpha}
		return
	}
	p.ring(g, all, steps, block, chunks, -1)
}

// resolveRingRoutes sets p.routes[i] to rank i's route to its successor.
// The first unroutable rank gives the error, as the first unroutable
// transfer would.
func (p *Plan) resolveRingRoutes(f *network.Fabric) error {
	r := p.rf
	routes := make([]*network.Route, r.n)
	for i := range r.n {
		next := i + 1
		if next == r.n {
			next = 0
		}
		rt, err := f.Route(r.verts[i], r.verts[next])
		if err != nil {
			return p.routeError(f, err)
		}
		routes[i] = rt
	}
	p.routes, p.route, p.routesOf = routes, nil, f
	return nil
}

// ringExec is an execution of a plan in ring form; see execution.
type ringExec struct {
	p    *Plan
	r    *ringForm
	net  *network.Network
	sim  *sim.Simulator
	done func(now sim.Time)
	left int
	got  []uint8 // per transfer, how many of its dependencies are met

	rec    *Recording
	job    int
	recIdx []int32
}

// startRing is Plan.start for a plan in ring form.
func (p *Plan) startRing(net *network.Network, s *sim.Simulator, done func(now sim.Time), rec *Recording, job int) {
	r := p.rf
	x := &ringExec{p: p, r: r, net: net, sim: s, done: done, left: r.total(), got: make([]uint8, r.total())}
	if rec != nil {
		x.rec, x.job, x.recIdx = rec, job, make([]int32, r.total())
	}
	s.Schedule(s.Now()+p.Overhead, func(now sim.Time) {
		// The roots are every rank's first chunk of step 0.
		net.Reserve(r.n)
		for i := range r.n {
			x.ready(0, i, 0, now)
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
	x.net.StartFlow(x.p.routes[i], r.chunk, x, arg)
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
	x.left--
	if k+1 < r.steps {
		next := i + 1
		if next == r.n {
			next = 0
		}
		x.release(k+1, next, c, now)
	}
	if x.left == 0 && x.done != nil {
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
