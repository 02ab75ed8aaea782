package collective

import (
	"math"

	"github.com/cardsea/cardsea/network"
)

// Load bounds: bounds of a candidate's lowerBound that Auto takes between
// its egressBound and its lowerBound, so that a candidate whose most
// loaded channel already rules it out is not compiled again for its
// lowerBound (a dryExact compile costs a tree or hier plan's every
// transfer routed).
//
//   - One protocol from another. A plan's transfers carry the operation's
//     bytes scaled by loadScale (NCCL's pace over the protocol's
//     payload): the protocol changes the chunks the buffer is cut into
//     and the latencies, not which ranks send to which, over which routes,
//     how much of the buffer. So every channel's load under one protocol
//     is its load under another times the ratio of their loadScales, and
//     a lowerBound found for one (its most loaded channel, worst) bounds
//     the other's from below: its overhead plus worst times the ratio. The
//     sums are taken in other orders, so a relative 1e-6 is taken off;
//     TestLoadScales holds the loads to 1e-9 relative on every algorithm.
//   - One protocol's egress from another's, before the other is compiled
//     at all (lazyPriced). By the same argument every vertex sends the
//     other's bytes times the ratio of their loadScales, so Auto bounds
//     the other protocol's candidate, until it is reached, by its
//     overhead (a dryHead compile: no transfer built) plus the first's
//     egressWorst times the ratio, a relative 2e-6 taken off (1e-6 for
//     the sums' orders, 1e-6 as egressBound takes): no more than its
//     egressBound, so no more than its lowerBound. Reached, it is
//     compiled dry as the others were; one ruled out first (by this
//     bound or its load bound) is never compiled. TestLoadScales holds
//     the bytes sent to 1e-9 relative.
//   - A plan in ring form (ringplan.go), which a dry compile stores
//     whole: lowerBound's channel loads and latency chain without its
//     critical path, the same sums, so never above it. Cost: a route
//     per ring position, against the critical path's O(n·steps·chunks)
//     per ring.

// loadScale is the factor compile scaled p's bytes by: NCCL's pace
// (nccltune.go) over the protocol's payload.
func (p *Plan) loadScale() float64 {
	k := p.pace
	if k == 0 {
		k = 1
	}
	switch p.Protocol {
	case LL:
		k /= llPayload
	case LL128:
		k /= ll128Payload
	}
	return k
}

// worstLoad is the most any channel of f carries of load over its
// capacity (channels of no capacity left out, as lowerBound does).
func worstLoad(f *network.Fabric, load []float64) float64 {
	worst := 0.0
	for c, ch := range f.Channels() {
		if ch.BytesPerS > 0 {
			worst = math.Max(worst, load[c]/ch.BytesPerS)
		}
	}
	return worst
}

// scaledBound is the bound of a plan of overhead over seconds and
// loadScale scale from another protocol's plan of the same algorithm,
// whose most loaded channel takes worst seconds at loadScale from.
func scaledBound(over, scale, worst, from float64) float64 {
	return over + worst*(scale/from)*(1-1e-6)
}

// ringLoadBound is, for a plan held as rings alone, lowerBound less its
// critical path: the overhead plus the larger of the most loaded
// channel's bytes over its capacity and the latency chain. ok is false
// for any other plan, or where a route is missing.
func (p *Plan) ringLoadBound(f *network.Fabric) (bound float64, ok bool) {
	if p.rings == nil || len(p.xfers) > 0 || (p.dry != nil && p.dry.n > 0) {
		return 0, false
	}
	load := make([]float64, len(f.Channels()))
	for _, r := range p.rings {
		if r.chunk <= 0 {
			continue
		}
		// As lowerBound: each position's route, then its bytes.
		routes, err := p.ringRoutes(f, r)
		if err != nil {
			return 0, false
		}
		sent := r.chunk * float64(r.steps*r.chunks)
		for _, rt := range routes {
			rt.AddLoad(load, sent)
		}
	}
	return p.Overhead.Seconds() + math.Max(worstLoad(f, load), p.latencyChain().Seconds()), true
}

// lazyPriced reports whether the other protocols of p's algorithm may be
// bounded from p's dry plan (lazyBound): a plan of transfers alone, not
// in ring or orbit form nor refused in part.
func lazyPriced(p *Plan) bool {
	return p.dry != nil && p.rings == nil && p.orbit == nil && p.unbuilt == nil && p.dry.n > 0
}

// lazyBound bounds from below the lowerBound of the plan h is the head of
// (a dryHead compile: its overhead and loadScale) from the dry plan from
// of the same algorithm under another protocol (lazyPriced).
func lazyBound(h, from *Plan, f *network.Fabric) float64 {
	return h.Overhead.Seconds() + from.egressWorst(f)*(h.loadScale()/from.loadScale())*(1-2e-6)
}
