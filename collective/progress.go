package collective

import (
	"fmt"
	"sync"

	"github.com/cardsea/cardsea/sim"
)

// Progress is how far a collective's simulation has got, for a display
// on a terminal: what it is doing (compiling or simulating which
// candidate) and, while a plan runs event by event, the fraction of its
// bytes carried, as channel-bytes (the bytes each transfer puts on each
// channel of its route, summed) carried over those of the whole plan. It
// may be read from another goroutine while Execute runs, and nothing in
// a result depends on it. A run that takes a fast path (symmetry.go,
// orbit.go, merged.go) shows its phase without a fraction.
type Progress struct {
	mu    sync.Mutex
	phase string
	frac  float64 // -1: no fraction known
}

// String is the state for a display: "simulating tree/simple, 42% of
// its bytes carried".
func (p *Progress) String() string {
	if p == nil {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.phase == "" {
		return ""
	}
	if p.frac < 0 {
		return p.phase
	}
	return fmt.Sprintf("%s, %.0f%% of its bytes carried", p.phase, 100*p.frac)
}

// Fraction is the fraction of the running plan's bytes carried, and
// false while no plan runs event by event.
func (p *Progress) Fraction() (float64, bool) {
	if p == nil {
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.frac, p.frac >= 0
}

// set records a new phase, with no fraction yet.
func (p *Progress) set(verb string, a Algorithm, proto Protocol) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.phase, p.frac = fmt.Sprintf("%s %s/%s", verb, a, proto), -1
	p.mu.Unlock()
}

// fraction records the fraction of the running plan carried.
func (p *Progress) fraction(f float64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.frac = min(1, max(0, f))
	p.mu.Unlock()
}

// progressStep is how many events a run fires between two updates of
// its Progress.
const progressStep = 1 << 16

// progress is the Progress of r's jobs (the first that has one), or nil.
func (r *planRun) progress() *Progress {
	for _, j := range r.jobs {
		if j.Options.Progress != nil {
			return j.Options.Progress
		}
	}
	return nil
}

// report updates p with the fraction of r's plans' channel-bytes carried
// so far.
func (r *planRun) report(p *Progress) {
	if r.all == nil {
		r.all = make([]float64, len(r.f.Channels()))
		for _, pl := range r.plans {
			for c, l := range planLoad(pl, r.f.Channels()) {
				r.all[c] += l
				r.allSum += l
			}
		}
	}
	if r.allSum <= 0 {
		return
	}
	carried := 0.0
	for c, l := range r.all {
		if l > 0 {
			carried += r.net.Carried(int32(c))
		}
	}
	p.fraction(carried / r.allSum)
}

// runReporting fires r's events to the end, updating p every
// progressStep events: the same events in the same order as s.Run.
func runReporting(s *sim.Simulator, r *planRun, p *Progress) {
	for {
		for range progressStep {
			if !s.Step() {
				return
			}
		}
		r.report(p)
	}
}
