package collective

import (
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// TestMergedMatchesWhole: alltoall plans run merged by class give the
// whole run's time, link statistics and activity to symTol relative, on
// small fabrics (faulted fabrics not yet tested).
func TestMergedMatchesWhole(t *testing.T) {
	defer func(on bool) { merging = on }(merging)
	for _, tc := range []struct {
		name    string
		domains int
		algo    Algorithm
		fail    []string
	}{
		{"hgx-h100", 2, Direct, nil}, {"hgx-h100", 3, Direct, nil}, {"hgx-h100", 4, Pairwise, nil},
	} {
		top, err := topology.Load(tc.name, tc.domains)
		if err != nil {
			t.Fatal(err)
		}
		if len(tc.fail) > 0 {
			fs, err := topology.ParseFaults(tc.fail)
			if err != nil {
				t.Skip(err)
			}
			if top, err = top.WithFaults(fs); err != nil {
				t.Skip(err)
			}
		}
		var res [2]Result
		took := false
		for k, on := range []bool{true, false} {
			merging = on
			g, err := NewGroup(network.NewFabric(top), Placement{})
			if err != nil {
				t.Fatal(err)
			}
			before := mergedRuns.Load()
			res[k], err = runTuned(g, AllToAll, tc.algo, 1<<26, Options{Protocol: Simple}, true)
			if err != nil {
				t.Fatal(err)
			}
			if on {
				took = mergedRuns.Load() > before
			}
		}
		if d := sameResult(res[0], res[1]); len(d) > 0 {
			t.Errorf("%s x%d %s %v: %v", tc.name, tc.domains, tc.algo, tc.fail, d[:min(len(d), 5)])
		}
		t.Logf("%s x%d %s %v: merged %v", tc.name, tc.domains, tc.algo, tc.fail, took)
	}
}

// TestMergedHalvingDoubling: recursive halving-doubling plans run merged
// by class give the whole run's results to symTol relative, for every op
// it has, both protocols, and do run merged.
func TestMergedHalvingDoubling(t *testing.T) {
	defer func(on bool) { merging = on }(merging)
	for _, c := range []struct {
		name    string
		domains int
		place   Placement
	}{{"hgx-h100", 1, Placement{}}, {"hgx-h100", 4, Placement{}}, {"cm384", 1, Placement{Ranks: 128}}} {
		top, err := topology.Load(c.name, c.domains)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []Op{AllReduce, AllGather, ReduceScatter} {
			for _, proto := range []Protocol{Simple, LL} {
				var res [2]Result
				took := false
				for k, on := range []bool{true, false} {
					merging = on
					g, err := NewGroup(network.NewFabric(top), c.place)
					if err != nil {
						t.Fatal(err)
					}
					before := mergedRuns.Load()
					if res[k], err = runTuned(g, op, HalvDoub, 1<<26, Options{Protocol: proto}, true); err != nil {
						t.Fatal(err)
					}
					took = took || (on && mergedRuns.Load() > before)
				}
				if d := sameResult(res[0], res[1]); len(d) > 0 {
					t.Errorf("%s x%d %s %s: %v", c.name, c.domains, op, proto, d)
				}
				if !took {
					t.Errorf("%s x%d %s %s: not run merged", c.name, c.domains, op, proto)
				}
			}
		}
	}
}
