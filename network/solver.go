package network

// solver computes max-min fair rates by progressive filling: every unfrozen
// flow's rate rises together; when a channel fills, the flows crossing it
// freeze at the current level. A flow that crosses a channel with fraction
// a of its rate loads it with a times the rate. Channels are kept in a heap
// keyed by the level at which they would fill, so each step costs log C.
type solver struct {
	rem    []float64 // remaining capacity per component channel
	wsum   []float64 // sum of fractions of unfrozen flows per channel
	fill   []float64 // level at which the channel fills
	heap   []int32   // component channel positions, min fill first
	pos    []int32
	local  []int32 // global channel -> component index, -1 outside
	chFl   [][]int32
	rates  []float64
	frozen []bool
}

const fillEps = 1e-12

func (s *solver) solve(n *Network, comp []FlowID, chans []int32) []float64 {
	nc := len(chans)
	s.rem = resize(s.rem, nc)
	s.wsum = resize(s.wsum, nc)
	s.fill = resize(s.fill, nc)
	s.rates = resize(s.rates, len(comp))
	s.frozen = resizeBool(s.frozen, len(comp))
	if len(s.local) < len(n.Fabric.chans) {
		s.local = make([]int32, len(n.Fabric.chans))
	}
	for i, c := range chans {
		s.local[c] = int32(i)
		s.rem[i] = n.Fabric.chans[c].BytesPerS
		s.wsum[i] = 0
	}
	for _, id := range comp {
		for _, sh := range n.flows[id].route.shares {
			s.wsum[s.local[sh.ch]] += sh.frac
		}
	}
	// flows per local channel, for freezing
	if cap(s.chFl) < nc {
		s.chFl = make([][]int32, nc)
	}
	chFl := s.chFl[:nc]
	for i := range chFl {
		chFl[i] = chFl[i][:0]
	}
	for i, id := range comp {
		for _, sh := range n.flows[id].route.shares {
			l := s.local[sh.ch]
			chFl[l] = append(chFl[l], int32(i))
		}
	}
	s.heap = s.heap[:0]
	s.pos = resizeInt32(s.pos, nc)
	for i := range nc {
		s.pos[i] = -1
		if s.wsum[i] > 0 {
			s.fill[i] = s.rem[i] / s.wsum[i]
			s.push(int32(i))
		}
	}
	left := len(comp)
	for left > 0 && len(s.heap) > 0 {
		c := s.pop()
		newLevel := s.fill[c]
		// Freeze every unfrozen flow on c at this level.
		for _, fi := range chFl[c] {
			if s.frozen[fi] {
				continue
			}
			s.frozen[fi] = true
			s.rates[fi] = newLevel
			left--
			for _, sh := range n.flows[comp[fi]].route.shares {
				l := s.local[sh.ch]
				if l == c || s.pos[l] < 0 {
					continue
				}
				// Bring l's remaining capacity to newLevel, then drop the flow.
				rem := (s.fill[l] - newLevel) * s.wsum[l]
				s.wsum[l] -= sh.frac
				if s.wsum[l] <= fillEps {
					s.remove(l)
					continue
				}
				s.fill[l] = newLevel + rem/s.wsum[l]
				s.fix(l)
			}
		}
	}
	return s.rates[:len(comp)]
}

func (s *solver) less(a, b int32) bool {
	if s.fill[a] != s.fill[b] {
		return s.fill[a] < s.fill[b]
	}
	return a < b
}

func (s *solver) push(c int32) {
	s.pos[c] = int32(len(s.heap))
	s.heap = append(s.heap, c)
	s.up(len(s.heap) - 1)
}

func (s *solver) pop() int32 {
	c := s.heap[0]
	s.remove(c)
	return c
}

func (s *solver) remove(c int32) {
	i := int(s.pos[c])
	last := len(s.heap) - 1
	s.swap(i, last)
	s.heap = s.heap[:last]
	s.pos[c] = -1
	if i < last {
		s.fix(s.heap[i])
	}
}

func (s *solver) fix(c int32) {
	i := int(s.pos[c])
	if !s.up(i) {
		s.down(i)
	}
}

func (s *solver) swap(i, j int) {
	s.heap[i], s.heap[j] = s.heap[j], s.heap[i]
	s.pos[s.heap[i]] = int32(i)
	s.pos[s.heap[j]] = int32(j)
}

func (s *solver) up(i int) bool {
	moved := false
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(s.heap[i], s.heap[p]) {
			break
		}
		s.swap(i, p)
		i = p
		moved = true
	}
	return moved
}

func (s *solver) down(i int) {
	n := len(s.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && s.less(s.heap[r], s.heap[l]) {
			m = r
		}
		if !s.less(s.heap[m], s.heap[i]) {
			return
		}
		s.swap(i, m)
		i = m
	}
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
