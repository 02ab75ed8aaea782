package network

// solver computes max-min fair rates by progressive filling: every unfrozen
// flow's rate rises together; when a channel fills, the flows crossing it
// freeze at the current level. A flow that crosses a channel with fraction
// a of its rate loads it with a times the rate. Channels are kept in a heap
// keyed by the level at which they would fill, so each step costs log C.
//
// The heap orders channels by fill level, ties by component index: a
// strict total order, so every valid heap pops the channels in the same
// order and the rates do not depend on how the heap is laid out. That
// lets it be built in one pass (heapify) and lets a channel whose flows
// have all frozen stay in it, marked gone, until it reaches the top and is
// discarded, rather than be taken out at once at log C swaps: the live
// channels pop in exactly the order they would otherwise. A heap slot
// holds its channel's level, so a comparison reads one slot. Each flow's
// shares and each channel's flows are listed once per solve in flat
// arrays, in component order as before, so every sum is taken in the same
// order. refSolver (solver_test.go) is the solver before these changes,
// kept to show that the rates are the same to the bit.
type solver struct {
	rem    []float64 // remaining capacity per component channel
	wsum   []float64 // sum of fractions of unfrozen flows per channel
	fill   []float64 // level at which the channel fills
	heap   []entry   // component channels, min fill first
	pos    []int32   // a channel's place in heap, -1 if not in it
	gone   []bool    // popped, or every flow frozen: skipped when met
	local  []int32   // global channel -> component index, -1 outside
	chAt   []int32   // chFl[chAt[l]:chAt[l+1]] are channel l's flows
	chFl   []int32
	flAt   []int32      // flSh[flAt[i]:flAt[i+1]] are flow i's shares
	flSh   []localShare // by component channel
	rates  []float64
	frozen []bool
}

// localShare is a share of a component flow on component channel l.
type localShare struct {
	l    int32
	frac float64
}

const fillEps = 1e-12

func (s *solver) solve(n *Network, comp []FlowID, chans []int32) []float64 {
	nc := len(chans)
	s.rem = resize(s.rem, nc)
	s.wsum = resize(s.wsum, nc)
	s.fill = resize(s.fill, nc)
	s.rates = resize(s.rates, len(comp))
	s.frozen = resizeBool(s.frozen, len(comp))
	s.gone = resizeBool(s.gone, nc)
	if len(s.local) < len(n.Fabric.chans) {
		s.local = make([]int32, len(n.Fabric.chans))
	}
	for i, c := range chans {
		s.local[c] = int32(i)
		s.rem[i] = n.ch[c].cap
		s.wsum[i] = 0
	}
	// List each flow's shares by component channel, summing fractions
	// and counting flows per channel, in component order; then list the
	// flows of every channel, also in component order (counting sort).
	s.chAt = resizeInt32(s.chAt, nc+1)
	clear(s.chAt)
	s.flAt = resizeInt32(s.flAt, len(comp)+1)
	s.flSh = s.flSh[:0]
	for i, id := range comp {
		s.flAt[i] = int32(len(s.flSh))
		for _, sh := range n.flows[id].route.shares {
			l := s.local[sh.ch]
			s.flSh = append(s.flSh, localShare{l, sh.frac})
			s.wsum[l] += sh.frac
			s.chAt[l+1]++
		}
	}
	s.flAt[len(comp)] = int32(len(s.flSh))
	for l := range nc {
		s.chAt[l+1] += s.chAt[l]
	}
	s.chFl = resizeInt32(s.chFl, len(s.flSh))
	s.pos = resizeInt32(s.pos, nc)
	copy(s.pos, s.chAt[:nc]) // as fill cursors
	for i := range comp {
		for _, sh := range s.flSh[s.flAt[i]:s.flAt[i+1]] {
			s.chFl[s.pos[sh.l]] = int32(i)
			s.pos[sh.l]++
		}
	}
	for i := range nc {
		if s.wsum[i] > 0 {
			s.fill[i] = s.rem[i] / s.wsum[i]
		} else {
			s.gone[i] = true
		}
	}
	// A channel that one flow alone crosses keeps its fill level until
	// that flow freezes, when it is gone. Of one flow's such channels only
	// the first in heap order can pop while the flow is unfrozen, so the
	// rest are gone from the start: the heap is smaller, and no channel
	// pops in a different order.
	for i := range comp {
		best := int32(-1)
		for _, sh := range s.flSh[s.flAt[i]:s.flAt[i+1]] {
			l := sh.l
			if s.gone[l] || s.chAt[l+1]-s.chAt[l] != 1 {
				continue
			}
			switch {
			case best < 0:
				best = l
			case before(entry{s.fill[l], l}, entry{s.fill[best], best}):
				s.gone[best] = true
				best = l
			default:
				s.gone[l] = true
			}
		}
	}
	s.heap = s.heap[:0]
	for i := range nc {
		s.pos[i] = -1
		if !s.gone[i] {
			s.pos[i] = int32(len(s.heap))
			s.heap = append(s.heap, entry{s.fill[i], int32(i)})
		}
	}
	for i := len(s.heap)/2 - 1; i >= 0; i-- {
		s.down(i, s.heap[i])
	}
	left := len(comp)
	for left > 0 && len(s.heap) > 0 {
		c := s.pop()
		if s.gone[c] {
			continue
		}
		s.gone[c] = true
		newLevel := s.fill[c]
		// Freeze every unfrozen flow on c at this level.
		for _, fi := range s.chFl[s.chAt[c]:s.chAt[c+1]] {
			if s.frozen[fi] {
				continue
			}
			s.frozen[fi] = true
			s.rates[fi] = newLevel
			left--
			for _, sh := range s.flSh[s.flAt[fi]:s.flAt[fi+1]] {
				l := sh.l
				if s.gone[l] {
					continue
				}
				// Bring l's remaining capacity to newLevel, then drop the flow.
				rem := (s.fill[l] - newLevel) * s.wsum[l]
				s.wsum[l] -= sh.frac
				if s.wsum[l] <= fillEps {
					s.gone[l] = true // discarded when it reaches the top
					continue
				}
				s.fill[l] = newLevel + rem/s.wsum[l]
				s.fix(l)
			}
		}
	}
	return s.rates[:len(comp)]
}

// entry is a heap slot: a channel and its fill level, kept side by side
// so that comparing two slots reads one cache line, not two arrays.
type entry struct {
	fill float64
	c    int32
}

// before is the heap's order: lower fill first, then lower index.
func before(a, b entry) bool {
	if a.fill != b.fill {
		return a.fill < b.fill
	}
	return a.c < b.c
}

// place puts e at slot i.
func (s *solver) place(i int, e entry) {
	s.heap[i] = e
	s.pos[e.c] = int32(i)
}

// pop takes the first channel off the heap.
func (s *solver) pop() int32 {
	c := s.heap[0].c
	last := len(s.heap) - 1
	e := s.heap[last]
	s.heap = s.heap[:last]
	s.pos[c] = -1
	if last > 0 {
		s.down(0, e)
	}
	return c
}

// fix moves channel c to its place after its fill level changed.
func (s *solver) fix(c int32) {
	i := int(s.pos[c])
	e := entry{s.fill[c], c}
	if i > 0 && before(e, s.heap[(i-1)/2]) {
		s.up(i, e)
	} else {
		s.down(i, e)
	}
}

// up sifts e up from the hole at slot i.
func (s *solver) up(i int, e entry) {
	for i > 0 {
		p := (i - 1) / 2
		if !before(e, s.heap[p]) {
			break
		}
		s.place(i, s.heap[p])
		i = p
	}
	s.place(i, e)
}

// down sifts e down from the hole at slot i.
func (s *solver) down(i int, e entry) {
	n := len(s.heap)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && before(s.heap[r], s.heap[l]) {
			m = r
		}
		if !before(s.heap[m], e) {
			break
		}
		s.place(i, s.heap[m])
		i = m
	}
	s.place(i, e)
}

func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

func resizeBool(s []bool, n int) []bool {
	if cap(s) < n {
		return make([]bool, n)
	}
	s = s[:n]
	clear(s)
	return s
}

func resizeInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}
