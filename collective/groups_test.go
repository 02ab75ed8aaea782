package collective

import (
	"math"
	"slices"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// TestSplit: block groups take consecutive ranks, strided groups every
// n-th rank; sizes that do not divide, or leave one rank, are errors.
func TestSplit(t *testing.T) {
	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		t.Fatal(err)
	}
	g := group(t, network.NewFabric(top), 16)
	for _, tc := range []struct {
		n       int
		strided bool
		first   []topology.NodeID // group 0's dies
	}{
		{2, false, g.Dies[:8]},
		{8, true, []topology.NodeID{g.Dies[0], g.Dies[8]}},
		{2, true, []topology.NodeID{g.Dies[0], g.Dies[2], g.Dies[4], g.Dies[6], g.Dies[8], g.Dies[10], g.Dies[12], g.Dies[14]}},
	} {
		gs, err := g.Split(tc.n, tc.strided)
		if err != nil {
			t.Fatal(err)
		}
		if len(gs) != tc.n || !slices.Equal(gs[0].Dies, tc.first) {
			t.Errorf("split %d strided=%v: %d groups, group 0 %v, want %v", tc.n, tc.strided, len(gs), gs[0].Dies, tc.first)
		}
	}
	for _, n := range []int{0, 3, 16} {
		if _, err := g.Split(n, false); err == nil {
			t.Errorf("split of 16 ranks into %d accepted", n)
		}
	}
}

// TestRunGroupsContend: four alltoalls, each over one rank per leaf of a
// 32-rank scale-out (4 ranks per leaf). Alone, a group's rank is the only
// busy port of its leaf and the NIC bounds it; together every leaf sends 4
// NICs' worth up, which its uplinks carry at full rate when non-blocking
// (no slowdown) and at half when 2:1 oversubscribed (exactly 2x slower).
func TestRunGroupsContend(t *testing.T) {
	for _, tc := range []struct {
		over, slowdown float64
	}{{1, 1}, {2, 2}} {
		gs, err := group(t, oversubscribed(t, tc.over), 32).Split(4, true)
		if err != nil {
			t.Fatal(err)
		}
		c, err := runGroups(gs, AllToAll, Direct, 8e9, Options{}, false)
		if err != nil {
			t.Fatal(err)
		}
		for i := range gs {
			// The bytes scale exactly; the fixed latencies (op overhead,
			// steps, NCCL's proxy lag across domains: tens of us on
			// 0.14 s) do not, hence the tolerance.
			if got := c.Together[i].TimeS / c.Alone[i].TimeS; math.Abs(got-tc.slowdown) > 2e-4 {
				t.Errorf("%g:1 group %d: together %g s, alone %g s: %.6fx, want %gx", tc.over, i, c.Together[i].TimeS, c.Alone[i].TimeS, got, tc.slowdown)
			}
		}
		if s := c.Together[c.Slowest].TimeS; slices.ContainsFunc(c.Together, func(r Result) bool { return r.TimeS > s }) {
			t.Errorf("Slowest %d is not the slowest", c.Slowest)
		}
	}
}
