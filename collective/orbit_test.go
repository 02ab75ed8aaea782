package collective

import (
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// TestOrbitMatchesWhole: direct all-pairs plans in orbit form (orbit.go)
// give the whole run's time, transfer count, link statistics and
// activity to symTol relative, for every op they take, both protocols,
// on HGX H100 nodes, NVL72 racks, CloudMatrix 384 and a faulted HGX
// pair; the orbit form is taken where the ranks are symmetric and not
// where a fault or a placement breaks the symmetry.
func TestOrbitMatchesWhole(t *testing.T) {
	defer func(on bool, least int) { orbiting, orbitMinRanks = on, least }(orbiting, orbitMinRanks)
	defer func(on bool) { merging = on }(merging)
	orbitMinRanks = 2
	type tc struct {
		name    string
		domains int
		place   Placement
		ops     []Op
		fail    []string
		orbit   bool // the orbit form is expected to run
	}
	all := []Op{AllToAll, AllGather, ReduceScatter, AllReduce}
	cases := []tc{
		{"hgx-h100", 1, Placement{}, all, nil, true},
		{"hgx-h100", 2, Placement{}, all, nil, true},
		{"hgx-h100", 4, Placement{}, []Op{AllToAll}, nil, true},
		{"gb200-nvl72", 1, Placement{Ranks: 16}, []Op{AllToAll}, nil, true},
		{"gb200-nvl72", 1, Placement{}, []Op{AllToAll}, nil, true},
		// Two racks: a rail's first leaf takes 32 NICs (all of rack 0's
		// trays and 14 of rack 1's), its second the last 4: no symmetry
		// carries rack 0 onto rack 1.
		{"gb200-nvl72", 2, Placement{}, []Op{AllToAll}, nil, false},
		{"cm384", 1, Placement{PerAccel: true}, []Op{AllToAll, AllGather}, nil, true},
		// Uneven: servers of 8 and 4 ranks.
		{"hgx-h100", 2, Placement{Ranks: 12}, []Op{AllToAll}, nil, false},
		// A failed link breaks the symmetry.
		{"hgx-h100", 2, Placement{}, []Op{AllToAll}, []string{"link:d0.acc0-d0.sw0"}, false},
	}
	if testing.Short() {
		cases = cases[:3]
	}
	for _, c := range cases {
		top, err := topology.Load(c.name, c.domains)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.fail) > 0 {
			fs, err := topology.ParseFaults(c.fail)
			if err != nil {
				t.Fatal(err)
			}
			if top, err = top.WithFaults(fs); err != nil {
				t.Fatal(err)
			}
		}
		for _, op := range c.ops {
			for _, proto := range []Protocol{Simple, LL} {
				var res [2]Result
				took := false
				for k, on := range []bool{true, false} {
					orbiting, merging = on, false
					g, err := NewGroup(network.NewFabric(top), c.place)
					if err != nil {
						t.Fatal(err)
					}
					before := orbitRuns.Load()
					res[k], err = runTuned(g, op, Direct, 1<<26, Options{Protocol: proto}, true)
					if err != nil {
						t.Fatal(err)
					}
					if on {
						took = orbitRuns.Load() > before
					}
				}
				name := c.name
				if len(c.fail) > 0 {
					name += " " + c.fail[0]
				}
				if d := sameResult(res[0], res[1]); len(d) > 0 {
					t.Errorf("%s x%d %d ranks %s %s: %v", name, c.domains, res[1].Ranks, op, proto, d)
				}
				if took != c.orbit {
					t.Errorf("%s x%d %d ranks %s %s: orbit form run %v, want %v", name, c.domains, res[1].Ranks, op, proto, took, c.orbit)
				}
			}
		}
	}
}

// TestPairwiseDryMatchesListed: the bounds of a dry pairwise plan summed
// from rank 0's routes (pairwiseDry) are those of the plan listed
// transfer by transfer, to symTol relative, and Auto picks and times
// alltoall alike with the orbit form and without it.
func TestPairwiseDryMatchesListed(t *testing.T) {
	defer func(on bool, least int) { orbiting, orbitMinRanks = on, least }(orbiting, orbitMinRanks)
	orbitMinRanks = 2
	for _, c := range []struct {
		name    string
		domains int
		place   Placement
	}{{"hgx-h100", 2, Placement{}}, {"hgx-h100", 4, Placement{}}, {"cm384", 1, Placement{PerAccel: true}}} {
		top, err := topology.Load(c.name, c.domains)
		if err != nil {
			t.Fatal(err)
		}
		for _, proto := range []Protocol{Simple, LL} {
			var egress, lower [2]float64
			var auto [2]Result
			for k, on := range []bool{true, false} {
				orbiting = on
				g, err := NewGroup(network.NewFabric(top), c.place)
				if err != nil {
					t.Fatal(err)
				}
				job := Job{Group: g, Op: AllToAll, Algorithm: Pairwise, Bytes: 1 << 26, Options: Options{Protocol: proto}}
				p, err := compileJobAs(job, false, dryExact)
				if err != nil {
					t.Fatal(err)
				}
				egress[k], lower[k] = p.egressBound(g.Fabric), p.lowerBound(g.Fabric)
				if auto[k], err = runTuned(g, AllToAll, Auto, 1<<26, Options{Protocol: proto}, true); err != nil {
					t.Fatal(err)
				}
			}
			if !symNear(egress[0], egress[1]) || !symNear(lower[0], lower[1]) {
				t.Errorf("%s x%d %s: bounds from rank 0 %g, %g; listed %g, %g", c.name, c.domains, proto, egress[0], lower[0], egress[1], lower[1])
			}
			if d := sameResult(auto[0], auto[1]); len(d) > 0 {
				t.Errorf("%s x%d %s auto: %v", c.name, c.domains, proto, d)
			}
		}
	}
}
