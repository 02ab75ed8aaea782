package serve

import (
	"math"
	"slices"

	"github.com/cardsea/cardsea/sim"
)

// KV transfers share their ends' links as a fluid: each data-parallel
// rank of a disaggregated instance has one link for KV (a prefill rank's
// out, a decode rank's in), every transfer in flight crosses two (the
// prefill rank it leaves, the decode rank it lands on), and the links'
// capacity is shared max-min fairly among the transfers on them,
// recomputed whenever a transfer starts or ends (progressive filling;
// kvShare). A transfer alone on both its ends runs at the rate it had
// alone, so a run whose transfers never overlap is what it was without
// the sharing, bit for bit.

// kvLink is one rank's link for KV: the transfers on it now, in the
// order they started, and scratch for kvShare.
type kvLink struct {
	xs             []*kvXfer
	cap, sumU, lvl float64
	seen           int
}

// kvXfer is one request's KV in flight. Alone it takes d seconds (its
// slower end's time); u[e] is the share of end e's link it uses at that
// rate (1 at the slower end, less at the other; a decode rank takes
// kvInWays transfers at once at their lone rate). It runs at the share s
// of its lone rate since t0, when w0 of it was left, and ends at fin
// (its event ev). seg[e] is its current stretch at end e's instance
// (kvDelay), nil where that end's steps take no delay from KV, and
// rate[e] that stretch's bytes a second per die at s = 1.
type kvXfer struct {
	q      *req
	to     *instance
	start  float64
	links  [2]*kvLink
	u      [2]float64
	d      float64
	t0, w0 float64
	s, fin float64
	ev     sim.EventID
	ends   [2]*instance
	rank   [2]int
	rate   [2]float64
	seg    [2]*kvFlow
	// scratch for kvShare
	lam    float64
	frozen bool
	seen   int
}

// startXfer puts x on its links at now and shares them anew.
func (r *runner) startXfer(x *kvXfer, now float64) {
	x.start, x.t0, x.w0, x.s = now, now, 1, 0
	for _, l := range x.links {
		l.xs = append(l.xs, x)
	}
	r.reshare(x.links, now)
}

// endXfer takes x off its links when it ends, shares them anew among
// the rest and hands the request to its decode instance.
func (r *runner) endXfer(x *kvXfer, now float64) {
	for _, l := range x.links {
		l.xs = slices.DeleteFunc(l.xs, func(y *kvXfer) bool { return y == x })
	}
	r.transferS = append(r.transferS, x.fin-x.start)
	r.reshare(x.links, x.fin)
	q := x.q
	q.prefilled = q.prompt
	x.to.arrive(q, now)
}

// reshare recomputes the shares of the transfers connected to links
// (through the transfers on them and their other links) at time t, and
// moves on the end of each whose share changed; the others are left as
// they were. Cost: kvShare's over that component, and a rescheduled
// event per changed transfer.
func (r *runner) reshare(links [2]*kvLink, t float64) {
	r.seen++
	r.comp = r.comp[:0]
	r.compLinks = r.compLinks[:0]
	var walk func(l *kvLink)
	walk = func(l *kvLink) {
		if l.seen == r.seen {
			return
		}
		l.seen = r.seen
		r.compLinks = append(r.compLinks, l)
		for _, x := range l.xs {
			if x.seen != r.seen {
				x.seen = r.seen
				r.comp = append(r.comp, x)
				for _, m := range x.links {
					walk(m)
				}
			}
		}
	}
	walk(links[0])
	walk(links[1])
	if len(r.comp) == 0 {
		return
	}
	// The component in request order, whichever link it was found from.
	slices.SortFunc(r.comp, func(a, b *kvXfer) int { return a.q.id - b.q.id })
	kvShare(r.comp, r.compLinks)
	if r.cfg.soloKV {
		for _, x := range r.comp {
			x.lam = 1
		}
	}
	for _, x := range r.comp {
		if x.lam == x.s {
			continue
		}
		if x.s > 0 {
			x.w0 = math.Max(0, x.w0-(t-x.t0)*x.s/x.d)
		}
		x.t0, x.s = t, x.lam
		x.fin = t + x.w0*x.d/x.s
		for e, in := range x.ends {
			if in != nil {
				x.restretch(e, t)
			}
		}
		r.s.Cancel(x.ev)
		at := max(sim.FromSeconds(x.fin), r.s.Now())
		x.ev = r.s.Schedule(at, func(now sim.Time) { r.endXfer(x, now.Seconds()) })
	}
}

// restretch starts x's stretch at end e anew at t, at its new share.
func (x *kvXfer) restretch(e int, t float64) {
	if sg := x.seg[e]; sg != nil && sg.start == t {
		sg.end, sg.rate = x.fin, x.s*x.rate[e]
		return
	} else if sg != nil {
		sg.end = t
	}
	sg := &kvFlow{start: t, end: x.fin, rank: x.rank[e], rate: x.s * x.rate[e]}
	x.seg[e] = sg
	x.ends[e].flows = append(x.ends[e].flows, sg)
}

// kvShare gives each transfer of xs (on the links ls, and no others) its
// max-min fair share lam of its lone rate: every transfer's share rises
// together, a link being full when the shares times the use u of the
// transfers on it sum to 1, and the transfers on a full link keep the
// share they had then, until every transfer is on a full link or at its
// lone rate (progressive filling, exact max-min for transfers alike in
// their lone rates). A transfer alone on its links gets 1 exactly.
// Cost: O(levels x (transfers + links)), levels at most the transfers.
func kvShare(xs []*kvXfer, ls []*kvLink) {
	for _, l := range ls {
		l.cap, l.lvl = 1, 0
	}
	for _, x := range xs {
		x.frozen = false
	}
	left := len(xs)
	for left > 0 {
		for _, l := range ls {
			l.sumU = 0
		}
		for _, x := range xs {
			if !x.frozen {
				x.links[0].sumU += x.u[0]
				x.links[1].sumU += x.u[1]
			}
		}
		best := math.Inf(1)
		for _, x := range xs {
			if x.frozen {
				continue
			}
			lam := 1.0
			for e, l := range x.links {
				if x.u[e] > 0 {
					lam = math.Min(lam, math.Max(0, l.cap)/l.sumU)
				}
			}
			// Rounding aside, a link's level never falls.
			x.lam = math.Max(lam, math.Max(x.links[0].lvl, x.links[1].lvl))
			best = math.Min(best, x.lam)
		}
		for _, x := range xs {
			// (!(best < x.lam) freezes all at once should a share be NaN.)
			if x.frozen || best < x.lam {
				continue
			}
			x.frozen = true
			left--
			for e, l := range x.links {
				l.cap -= best * x.u[e]
				l.lvl = math.Max(l.lvl, best)
			}
		}
	}
	for _, x := range xs {
		if !(x.lam > 0) {
			x.lam = math.SmallestNonzeroFloat64 // never stalls
		}
	}
}
