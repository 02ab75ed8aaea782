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
