package network

import (
	"math"
	"slices"

	"github.com/cardsea/cardsea/sim"
)

// FlowID identifies a flow of one Network.
type FlowID int32

// Network runs flows on a Fabric over a sim.Simulator.
type Network struct {
	Fabric *Fabric
	sim    *sim.Simulator

	flows  []flow
	free   []FlowID
	active int

	ch    []chanState    // per channel
	stats []ChannelStats // per channel, filled in by Stats

	dirty        []int32 // channels whose flow set changed since the last solve
	dirtyMark    []bool
	newFlows     []FlowID
	solvePending bool

	// scratch for solves
	inComp   []bool
	compFl   []FlowID
	compCh   []int32
	flowMark []bool
	solver   solver

	obs Observer // nil: nothing is observed

	// Solves counts rate recomputations, Rated the flows they rated.
	Solves, Rated int
}

// chanState is the running state of one channel, kept in one record so
// that a flow starting or finishing touches a cache line or two per
// channel rather than one per field.
type chanState struct {
	flows []FlowID // active flows; starts in inline
	load  float64  // current bytes/s, all flows summed
	cap   float64  // capacity, Channel.BytesPerS
	since sim.Time // when bytes and busy were last brought up to date
	bytes float64  // bytes carried so far
	busy  sim.Time // time with any load so far
	peak  float64  // highest load held for a while so far (account)
	// inline holds the flows of a channel that never has more than two,
	// as most point-to-point links in a collective, next to the rest of
	// the record rather than in an allocation of their own.
	inline [2]FlowID
}

// Observer watches a Network's channel loads, for traces.
type Observer interface {
	// LoadChanged reports channel ch's load (bytes/s, all flows summed)
	// from at on. It may repeat an unchanged load, and report a channel
	// more than once at one time: the last report holds.
	LoadChanged(ch int32, at sim.Time, bytesPerS float64)
}

// Observe reports every change of a channel's load to o from now on; nil
// stops observing. Observing changes no result, and costs nothing when off.
func (n *Network) Observe(o Observer) { n.obs = o }

type flow struct {
	route     *route
	remaining float64 // bytes
	rate      float64 // bytes/s
	last      sim.Time
	h         FlowHandler
	tag       int64
	ev        sim.EventID
	scheduled bool // ev is the pending drain event
	live      bool // still moving bytes
	// chPos[k] is the flow's index in chFlows of its k-th share's channel,
	// so that leaving a channel of many flows costs O(1).
	chPos []int32
}

// FlowHandler receives a flow's events, with the tag given to StartFlow.
type FlowHandler interface {
	// FlowSent runs when the last byte has left the source.
	FlowSent(tag int64, now sim.Time)
	// FlowArrived runs when the last byte has arrived.
	FlowArrived(tag int64, now sim.Time)
}

// funcs adapts two functions to a FlowHandler.
type funcs struct{ sent, done func(now sim.Time) }

func (f funcs) FlowSent(_ int64, now sim.Time) {
	if f.sent != nil {
		f.sent(now)
	}
}

func (f funcs) FlowArrived(_ int64, now sim.Time) {
	if f.done != nil {
		f.done(now)
	}
}

// Route is a cached route between two vertices, for StartFlow.
type Route = route

// Route returns the route from src to dst (cached).
func (f *Fabric) Route(src, dst Vertex) (*Route, error) { return f.route(src, dst) }

// Event kinds the network schedules on the kernel, in the high bits of the
// handler argument.
const (
	evDrain  = 1 << 32
	evArrive = 2 << 32
	evSolve  = 3 << 32
	evMask   = 1<<32 - 1
)

// Handle implements sim.Handler for the network's own events.
func (n *Network) Handle(now sim.Time, arg int64) {
	switch arg &^ evMask {
	case evDrain:
		n.drained(FlowID(arg&evMask), now)
	case evArrive:
		id := FlowID(arg & evMask)
		f := &n.flows[id]
		h, tag := f.h, f.tag
		f.h = nil
		n.free = append(n.free, id)
		h.FlowArrived(tag, now)
	case evSolve:
		n.solvePending = false
		n.solve(now)
	}
}

// ChannelStats are per-channel statistics, accumulated exactly over the
// piecewise-constant load between events.
type ChannelStats struct {
	Bytes    float64  // bytes carried
	Busy     sim.Time // time with any load
	PeakUtil float64  // highest load / capacity
}

// New makes a Network over fabric f on simulator s.
func New(f *Fabric, s *sim.Simulator) *Network {
	n := len(f.chans)
	ch := make([]chanState, n)
	for c := range ch {
		ch[c].cap = f.chans[c].BytesPerS
		ch[c].flows = ch[c].inline[:0]
	}
	return &Network{
		Fabric: f, sim: s,
		ch:        ch,
		stats:     make([]ChannelStats, n),
		dirtyMark: make([]bool, n),
		inComp:    make([]bool, n),
	}
}

// Start begins a flow of bytes from src to dst now. sent, if not nil,
// runs when the last byte has left the source (the flow has drained at its
// max-min fair rate); done, if not nil, when it has arrived, the route's
// first-byte latency later. A zero-byte flow takes the latency alone.
func (n *Network) Start(src, dst Vertex, bytes float64, sent, done func(now sim.Time)) (FlowID, error) {
	r, err := n.Fabric.route(src, dst)
	if err != nil {
		return -1, err
	}
	return n.StartFlow(r, bytes, funcs{sent, done}, 0), nil
}

// Reserve makes room for k more flows alive at once, so that starting
// many flows together (an all-to-all starts every one at time zero) does
// not grow the flow table by repeated doubling and copying.
func (n *Network) Reserve(k int) {
	if more := k - len(n.free); more > 0 {
		n.flows = slices.Grow(n.flows, more)
		n.flowMark = slices.Grow(n.flowMark, more)
	}
}

// StartFlow begins a flow of bytes along route r now and reports its
// events to h with tag; it allocates nothing in steady state.
func (n *Network) StartFlow(r *Route, bytes float64, h FlowHandler, tag int64) FlowID {
	var id FlowID
	if k := len(n.free); k > 0 {
		id = n.free[k-1]
		n.free = n.free[:k-1]
	} else {
		id = FlowID(len(n.flows))
		n.flows = append(n.flows, flow{})
		n.flowMark = append(n.flowMark, false)
	}
	now := n.sim.Now()
	// Field by field, keeping chPos's array: a composite literal would be
	// built on the stack and copied, which stalls on its narrow stores.
	f := &n.flows[id]
	pos := f.chPos[:0]
	f.route, f.remaining, f.rate, f.last = r, bytes, 0, now
	f.h, f.tag, f.ev, f.scheduled, f.live = h, tag, sim.EventID{}, false, true
	if bytes <= 0 || len(r.shares) == 0 {
		n.finish(id, now)
		return id
	}
	n.active++
	// Join the route's channels, find the spare capacity the flow could
	// take, and whether it shares a channel (see startFast).
	spare, shared := math.Inf(1), false
	for _, s := range r.shares {
		ch := &n.ch[s.ch]
		pos = append(pos, int32(len(ch.flows)))
		ch.flows = append(ch.flows, id)
		spare = min(spare, perShare(ch.cap-ch.load, s.frac)) // as math.Min, inlined
		shared = shared || len(ch.flows) > 1
	}
	n.flows[id].chPos = pos
	if n.startFast(id, spare, shared, now) {
		return id
	}
	for _, s := range r.shares {
		n.markDirty(s.ch)
	}
	n.newFlows = append(n.newFlows, id)
	n.requestSolve()
	return id
}

// perShare is x/frac: how fast a flow may go when frac of its rate crosses
// a channel with x to spare. A whole flow on one path crosses its
// channels with frac 1, and x/1 is x exactly, so the division, slow and
// on the critical path, is skipped then.
func perShare(x, frac float64) float64 {
	if frac == 1 {
		return x
	}
	return x / frac
}

// slack is the relative tolerance of saturation tests.
const slack = 1e-9

// startFast gives a new flow its max-min rate without a solve when that
// leaves every other rate unchanged: the flow takes r, the spare capacity
// of its route, and on the channels it fills no other flow runs faster
// than it. Every other flow keeps its bottleneck, so the allocation stays
// max-min fair. Unless shared, the flow is alone on its channels and there
// are no other flows to check.
func (n *Network) startFast(id FlowID, r float64, shared bool, now sim.Time) bool {
	if !(r > 0) || math.IsInf(r, 1) {
		return false
	}
	f := &n.flows[id]
	if shared && n.outpaced(id, r) {
		return false
	}
	for _, s := range f.route.shares {
		ch := &n.ch[s.ch]
		ch.account(now)
		ch.load += s.frac * r
		if n.obs != nil {
			n.obs.LoadChanged(s.ch, now, ch.load)
		}
	}
	f.rate = r
	f.scheduled = true
	f.ev = n.sim.ScheduleHandler(now+sim.FromSeconds(f.remaining/r), n, evDrain|int64(id))
	n.Rated++
	return true
}

// outpaced reports whether, on a channel that new flow id would fill at
// rate r, another flow runs faster than r.
func (n *Network) outpaced(id FlowID, r float64) bool {
	for _, s := range n.flows[id].route.shares {
		ch := &n.ch[s.ch]
		if (ch.cap-ch.load)/s.frac > r*(1+slack) {
			continue // not filled by this flow
		}
		for _, g := range ch.flows {
			if g != id && n.flows[g].rate > r*(1+slack) {
				return true
			}
		}
	}
	return false
}

// Active is the number of flows still moving bytes.
func (n *Network) Active() int { return n.active }

// Rate is a flow's current rate in bytes/s (0 once it has drained).
func (n *Network) Rate(id FlowID) float64 { return n.flows[id].rate }

// Stats returns per-channel statistics brought up to now; index by channel.
func (n *Network) Stats() []ChannelStats {
	now := n.sim.Now()
	for c := range n.stats {
		n.ch[c].account(now)
		ch := &n.ch[c]
		st := ChannelStats{Bytes: ch.bytes, Busy: ch.busy}
		switch {
		case ch.peak >= ch.cap*(1-slack):
			// Saturated, as drained tests it: the sum of rates that
			// fill a channel may round a few ulps either side of it.
			st.PeakUtil = 1
		case ch.peak > 0:
			st.PeakUtil = ch.peak / ch.cap
		}
		n.stats[c] = st
	}
	return n.stats
}

func (n *Network) markDirty(c int32) {
	if !n.dirtyMark[c] {
		n.dirtyMark[c] = true
		n.dirty = append(n.dirty, c)
	}
}

// requestSolve batches every change at this timestamp into one solve, run
// after the events already queued for now.
func (n *Network) requestSolve() {
	if n.solvePending {
		return
	}
	n.solvePending = true
	n.sim.ScheduleHandler(n.sim.Now(), n, evSolve)
}

// account brings the channel's statistics up to now at its current load.
//
// The peak is the highest load held for a positive time, so a load that
// lasts no time, as when one of several flows starting together takes a
// channel whole until the same instant's solve shares it out, is not a
// peak: the peak is the piecewise-constant load's supremum over time,
// which does not depend on the order flows start in within an instant
// (and so is the same for k flows and for one merged flow standing for
// them). Tracking the load rather than the utilisation saves a division
// per change; Stats divides once, which gives the same figure because
// rounded division by a positive capacity is monotonic.
func (ch *chanState) account(now sim.Time) {
	dt := now - ch.since
	if dt > 0 && ch.load > 0 {
		ch.bytes += ch.load * dt.Seconds()
		ch.busy += dt
		if ch.load > ch.peak {
			ch.peak = ch.load
		}
	}
	ch.since = now
}

// solve recomputes the rates of every flow connected to a changed channel.
func (n *Network) solve(now sim.Time) {
	// Collect the component: flows on dirty channels, their channels, and
	// so on until closed.
	comp, chans := n.compFl[:0], n.compCh[:0]
	for _, c := range n.dirty {
		n.dirtyMark[c] = false
		if !n.inComp[c] {
			n.inComp[c] = true
			chans = append(chans, c)
		}
	}
	n.dirty = n.dirty[:0]
	n.newFlows = n.newFlows[:0]
	for i := 0; i < len(chans); i++ {
		for _, id := range n.ch[chans[i]].flows {
			if n.flowMark[id] {
				continue
			}
			n.flowMark[id] = true
			comp = append(comp, id)
			for _, s := range n.flows[id].route.shares {
				if !n.inComp[s.ch] {
					n.inComp[s.ch] = true
					chans = append(chans, s.ch)
				}
			}
		}
	}
	n.Solves++
	n.Rated += len(comp)
	// Settle the component's flows and channels at their old rates.
	for _, id := range comp {
		f := &n.flows[id]
		f.remaining -= f.rate * (now - f.last).Seconds()
		f.last = now
	}
	for _, c := range chans {
		n.ch[c].account(now)
	}
	rates := n.solver.solve(n, comp, chans)
	for i, id := range comp {
		f := &n.flows[id]
		n.flowMark[id] = false
		if rates[i] == f.rate && f.scheduled {
			// Same rate: the drain time already scheduled still holds.
			continue
		}
		f.rate = rates[i]
		n.sim.Cancel(f.ev)
		f.scheduled = false
		if f.rate <= 0 {
			continue // starved (cannot happen with positive capacities)
		}
		f.scheduled = true
		rem := math.Max(f.remaining, 0)
		f.ev = n.sim.ScheduleHandler(now+sim.FromSeconds(rem/f.rate), n, evDrain|int64(id))
	}
	for _, c := range chans {
		n.inComp[c] = false
		n.ch[c].load = 0
	}
	for _, id := range comp {
		f := &n.flows[id]
		for _, s := range f.route.shares {
			n.ch[s.ch].load += s.frac * f.rate
		}
	}
	if n.obs != nil {
		for _, c := range chans {
			n.obs.LoadChanged(c, now, n.ch[c].load)
		}
	}
	n.compFl, n.compCh = comp, chans
}

// drained is a flow's last byte leaving: free its channels now, report it
// after the route latency.
//
// Other rates can only change where the flow leaves a saturated channel
// that other flows share; when it leaves none, no solve is needed.
func (n *Network) drained(id FlowID, now sim.Time) {
	f := &n.flows[id]
	f.remaining = 0
	f.scheduled = false
	n.active--
	resolve := false
	for k, s := range f.route.shares {
		c := s.ch
		ch := &n.ch[c]
		list := ch.flows
		i, last := f.chPos[k], list[len(list)-1]
		list[i] = last
		list = list[:len(list)-1]
		ch.flows = list
		if last != id {
			g := &n.flows[last]
			for j, gs := range g.route.shares {
				if gs.ch == c {
					g.chPos[j] = i
					break
				}
			}
		}
		ch.account(now)
		saturated := ch.load >= ch.cap*(1-slack)
		if len(list) == 0 {
			ch.load = 0
		} else {
			ch.load -= s.frac * f.rate
			resolve = resolve || saturated
		}
		if n.obs != nil {
			n.obs.LoadChanged(c, now, ch.load)
		}
	}
	f.rate = 0
	if resolve {
		for _, s := range f.route.shares {
			n.markDirty(s.ch)
		}
		n.requestSolve()
	}
	n.finish(id, now)
}

// finish reports a flow sent now and arrived after its route latency; its
// ID is recycled on arrival.
func (n *Network) finish(id FlowID, now sim.Time) {
	f := &n.flows[id]
	f.live = false
	h, tag := f.h, f.tag
	n.sim.ScheduleHandler(now+f.route.delay, n, evArrive|int64(id))
	// The handler may start flows (and grow n.flows): call it last.
	h.FlowSent(tag, now)
}

// Carried is the bytes channel c has carried up to now: its statistics'
// bytes and its current load since they were last brought up to date.
// It changes nothing, so that asking (a paused run's bound) leaves every
// statistic, summed in its own steps, as it would have been.
func (n *Network) Carried(c int32) float64 {
	ch := &n.ch[c]
	b := ch.bytes
	if dt := n.sim.Now() - ch.since; dt > 0 && ch.load > 0 {
		b += ch.load * dt.Seconds()
	}
	return b
}
