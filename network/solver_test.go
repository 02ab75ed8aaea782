package network

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cardsea/cardsea/sim"
)

// TestSolverMatchesReference: on random flow sets over fabrics of every
// shape (switched, torus, leaf/spine across domains, with ECMP splits),
// the solver's rates equal refSolver's to the bit, so its heap's layout
// and its lazily discarded channels change no result.
func TestSolverMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name    string
		domains int
	}{{"cm384", 0}, {"tpu-v5p-cube", 0}, {"gb200-nvl72", 3}, {"hgx-h100", 6}, {"hgx-h100", 0}} {
		f := load(t, tc.name, tc.domains)
		r := rand.New(rand.NewPCG(11, uint64(len(tc.name)+tc.domains)))
		dies := f.Topo.Dies()
		s := sim.New()
		n := New(f, s)
		var ref refSolver
		compared := 0
		check := func(now sim.Time) {
			var comp []FlowID
			var chans []int32
			seen := make([]bool, len(f.chans))
			for id := range n.flows {
				if !n.flows[id].live || n.flows[id].remaining <= 0 {
					continue
				}
				comp = append(comp, FlowID(id))
				for _, sh := range n.flows[id].route.shares {
					if !seen[sh.ch] {
						seen[sh.ch] = true
						chans = append(chans, sh.ch)
					}
				}
			}
			if len(comp) == 0 {
				return
			}
			want := append([]float64(nil), ref.solve(n, comp, chans)...)
			got := n.solver.solve(n, comp, chans)
			for i := range want {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("%s at %v: flow %d rate %v, reference %v", tc.name, now, comp[i], got[i], want[i])
				}
			}
			compared += len(want)
		}
		for range 300 {
			a, b := dies[r.IntN(len(dies))], dies[r.IntN(len(dies))]
			if a == b {
				continue
			}
			at := sim.Time(r.IntN(40)) * sim.Microsecond
			bytes := float64(1+r.IntN(100)) * 1e5
			s.Schedule(at, func(sim.Time) {
				if _, err := n.Start(f.Vertex(a), f.Vertex(b), bytes, nil, nil); err != nil {
					t.Error(err)
				}
			})
		}
		for k := range 400 {
			s.Schedule(sim.Time(k)*sim.Microsecond/4+1, check)
		}
		s.Run()
		if compared < 1000 {
			t.Fatalf("%s: only %d rates compared", tc.name, compared)
		}
		t.Logf("%s x%d: %d rates compared", tc.name, tc.domains, compared)
	}
}

// refSolver is the solver as it was before its heap held its keys and
// kept gone channels (solver.go), the obvious twin that
// TestSolverMatchesReference holds it to. It computes max-min fair rates by progressive filling: every unfrozen
// flow's rate rises together; when a channel fills, the flows crossing it
// freeze at the current level. A flow that crosses a channel with fraction
// a of its rate loads it with a times the rate. Channels are kept in a heap
// keyed by the level at which they would fill, so each step costs log C.
type refSolver struct {
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

func (s *refSolver) solve(n *Network, comp []FlowID, chans []int32) []float64 {
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

func (s *refSolver) less(a, b int32) bool {
	if s.fill[a] != s.fill[b] {
		return s.fill[a] < s.fill[b]
	}
	return a < b
}

func (s *refSolver) push(c int32) {
	s.pos[c] = int32(len(s.heap))
	s.heap = append(s.heap, c)
	s.up(len(s.heap) - 1)
}

func (s *refSolver) pop() int32 {
	c := s.heap[0]
	s.remove(c)
	return c
}

func (s *refSolver) remove(c int32) {
	i := int(s.pos[c])
	last := len(s.heap) - 1
	s.swap(i, last)
	s.heap = s.heap[:last]
	s.pos[c] = -1
	if i < last {
		s.fix(s.heap[i])
	}
}

func (s *refSolver) fix(c int32) {
	i := int(s.pos[c])
	if !s.up(i) {
		s.down(i)
	}
}

func (s *refSolver) swap(i, j int) {
	s.heap[i], s.heap[j] = s.heap[j], s.heap[i]
	s.pos[s.heap[i]] = int32(i)
	s.pos[s.heap[j]] = int32(j)
}

func (s *refSolver) up(i int) bool {
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

func (s *refSolver) down(i int) {
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
