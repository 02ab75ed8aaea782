package network

import "fmt"

// Merged flows. k flows that take the same route, start at the same time
// with the same bytes, are one fluid flow with multiplicity k: under
// max-min fairness the allocation is unique and symmetric in the k flows
// (swapping two of them maps every constraint onto itself), so each gets
// the same rate r at every instant, and each channel they cross carries
// k·frac·r of them. Progressive filling sees exactly that if the k flows
// are one flow whose every share is k times as large: a channel's weight
// sum rises by k·frac once rather than by frac k times, the flow freezes
// at the level where the first of its channels fills, and its rate is the
// per-flow rate r. So a merged flow runs along the route Merged returns,
// with the bytes of one of the k flows; its drain and arrival are those
// of every one of the k, and the channel statistics (bytes, busy time,
// peak utilisation) are those of the k flows run apart.
//
// Exactness is in real numbers. In floating point, k·frac is one rounding
// where the unmerged run sums frac k times, and a merged flow that starts
// on a busy channel takes the spare capacity divided by k where the k
// flows are rated by a solve; TestMergedMatchesUnmerged and
// FuzzMergedMatchesUnmerged hold finish times and channel bytes to 1e-9
// relative, busy time and peak utilisation to the same.

// mergedKey names a route with a multiplicity (Merged).
type mergedKey struct {
	r *route
	k int
}

// Merged returns the route of one flow standing for k flows along r:
// r's channels with every share k times r's, the same latency and hops
// (cached). k must be at least 1; Merged(r, 1) is r.
func (f *Fabric) Merged(r *Route, k int) (*Route, error) {
	if k < 1 {
		return nil, fmt.Errorf("merged flow: multiplicity %d, want at least 1", k)
	}
	if k == 1 {
		return r, nil
	}
	if m := r.Multiplicity(); m > 1 {
		return nil, fmt.Errorf("merged flow: route already stands for %d flows; merge the unmerged route", m)
	}
	key := mergedKey{r, k}
	if m, ok := f.merged[key]; ok {
		return m, nil
	}
	m := &route{shares: make([]share, len(r.shares)), latency: r.latency, delay: r.delay, hops: r.hops, mult: k}
	for i, s := range r.shares {
		m.shares[i] = share{s.ch, s.frac * float64(k)}
	}
	if f.merged == nil {
		f.merged = map[mergedKey]*route{}
	}
	f.merged[key] = m
	return m, nil
}

// Multiplicity is how many flows a flow along r stands for: k for a
// route from Merged, 1 otherwise.
func (r *Route) Multiplicity() int { return max(r.mult, 1) }

// NewClassQuotient divides f's channels into classes (class[c] in
// [0, n), every class holding at least one channel, all of a class's
// channels of one capacity), for flows that are merged by the classes of
// an equitable partition: every flow of a class crossing each class of
// channels with the same shares, and every channel of a class carrying
// each class of flows with the same shares. Progressive filling then
// fills the channels of a class alike and freezes the flows of a class
// alike, at every step, so a class of m flows runs as one flow of
// multiplicity m (Merged) along its first flow's route summed by class
// (Route) on a channel per class of capacity cap·|C|, and each channel
// of the class carries 1/|C| of that channel's bytes, with its busy time
// and peak utilisation (Stats). The error names a class that breaks the
// rules.
func (f *Fabric) NewClassQuotient(class []int32, n int) (*Quotient, error) {
	if len(class) != len(f.chans) {
		return nil, fmt.Errorf("class quotient: %d classes for %d channels", len(class), len(f.chans))
	}
	q := &Quotient{of: f, k: 1, orbit: class, size: make([]int, n), routes: map[*Route]*Route{}}
	chans := make([]Channel, n)
	for c, o := range class {
		if o < 0 || int(o) >= n {
			return nil, fmt.Errorf("class quotient: channel %d in class %d, want 0 to %d", c, o, n-1)
		}
		if q.size[o] == 0 {
			chans[o] = f.chans[c]
		} else if chans[o].BytesPerS != f.chans[c].BytesPerS {
			return nil, fmt.Errorf("class quotient: class %d holds channels of %g and %g B/s", o, chans[o].BytesPerS, f.chans[c].BytesPerS)
		}
		q.size[o]++
	}
	for o := range chans {
		if q.size[o] == 0 {
			return nil, fmt.Errorf("class quotient: class %d is empty", o)
		}
		chans[o].BytesPerS *= float64(q.size[o])
		chans[o].RawBytesPerS *= float64(q.size[o])
	}
	q.Fabric = &Fabric{Topo: f.Topo, chans: chans}
	return q, nil
}

// Shares is how many channels r crosses; Share(i) is the i-th and the
// fraction of the flow's rate that crosses it (k times the fraction for
// a route of multiplicity k).
func (r *Route) Shares() int { return len(r.shares) }

// Share returns the channel and fraction of r's i-th share.
func (r *Route) Share(i int) (ch int32, frac float64) { return r.shares[i].ch, r.shares[i].frac }
