package collective

import (
	"math"
	"sync/atomic"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/sim"
)

// Paused runs: Auto (tune) simulates its candidates by least lower
// bound, and a candidate whose bound is far below its time (a tree
// whose chains fill slowly) would be simulated to its end although a
// candidate after it ends sooner. A run may instead be advanced only
// until its remaining bound passes a cutoff, the least bound of the
// other candidates: the run is then paused, and its bound raised to
// the remaining bound, a time it cannot beat; Auto goes on with the
// candidate now first, and takes the paused run up again only if it
// might still be the fastest. Pausing changes no event of the run:
// taken up again, it fires the events it would have fired, and its
// result is runPlans's to the bit (TestPausedRunIdentical).
//
// The remaining bound at simulated time t is t plus the longest any
// channel needs, at its capacity, to carry the bytes the plan still puts
// on it (its bytes in all less those it has carried): no byte crosses a
// channel faster, and the run ends after its last byte does. It costs
// O(channels); advance takes it every pauseCheck events, so that it
// costs the run a few percent at most.

// pauseCheck is how many events advance fires between two remaining
// bounds (tests lower it); pausedRuns counts the pauses, for the tests.
var (
	pauseCheck = 8192
	pausedRuns atomic.Int64
)

// advance runs until the run is over (true) or, for a run of one plan,
// until its remaining bound, less the job's start, exceeds cutoff
// (false: paused, remaining holds that bound). An infinite cutoff runs it
// to the end as runPlans does.
func (r *planRun) advance(cutoff float64) (done bool) {
	if r.stats != nil {
		return true
	}
	if !math.IsInf(cutoff, 1) && len(r.plans) == 1 && r.rec == nil {
		pr := r.progress()
		for {
			for range pauseCheck {
				if !r.s.Step() {
					r.finish()
					return true
				}
			}
			if pr != nil {
				r.report(pr)
			}
			if r.remainingBound() > cutoff {
				pausedRuns.Add(1)
				return false
			}
		}
	}
	if pr := r.progress(); pr != nil {
		runReporting(r.s, r, pr)
	} else {
		r.s.Run()
	}
	r.finish()
	return true
}

// finish ends a run whose events have all fired.
func (r *planRun) finish() {
	if pr := r.progress(); pr != nil {
		pr.fraction(1)
	}
	if r.rec != nil {
		r.rec.finish(r.jobs, r.plans, r.ends)
	}
	r.stats = r.net.Stats()
}

// remainingBound is a time (from the job's start) that a run of one plan,
// paused, cannot end before (see above). Every sum is taken 1e-6 short of
// the plan's bytes and its time 1e-9 short, which covers the rounding of
// the load, of the bytes carried and of rates that fill a channel a few
// ulps over its capacity.
func (r *planRun) remainingBound() float64 {
	if r.load == nil {
		r.load = planLoad(r.plans[0], r.f.Channels())
	}
	worst := 0.0
	for c, ch := range r.f.Channels() {
		if ch.BytesPerS <= 0 || r.load[c] == 0 {
			continue
		}
		if left := r.load[c]*(1-1e-6) - r.net.Carried(int32(c)); left > 0 {
			worst = math.Max(worst, left/ch.BytesPerS)
		}
	}
	return (r.s.Now() - sim.FromSeconds(r.jobs[0].Start)).Seconds() + worst*(1-1e-9)
}

// planLoad is, per channel of chans, the bytes p's transfers put on it
// over the routes resolved for them.
func planLoad(p *Plan, chans []network.Channel) []float64 {
	load := make([]float64, len(chans))
	for _, r := range p.rings {
		if r.chunk <= 0 {
			continue
		}
		sent := r.chunk * float64(r.steps*r.chunks)
		for _, rt := range r.routes {
			rt.AddLoad(load, sent)
		}
	}
	for i := range p.xfers {
		if x := &p.xfers[i]; !x.join && x.bytes > 0 {
			p.routes[p.route[i]].AddLoad(load, x.bytes)
		}
	}
	return load
}
