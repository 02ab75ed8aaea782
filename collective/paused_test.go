package collective

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/cardsea/cardsea/network"
)

// TestPausedRunIdentical: a run paused after every few events and taken
// up again ends with runPlans's results to the bit (times, bytes, every
// channel's statistics, activity), and every remaining bound it paused
// at is no more than the time the run took.
func TestPausedRunIdentical(t *testing.T) {
	defer func(k int) { pauseCheck = k }(pauseCheck)
	pauseCheck = 97
	cases := []struct {
		name    string
		domains int
		pl      Placement
		op      Op
		algo    Algorithm
		proto   Protocol
		bytes   float64
	}{
		{"gb200-nvl72", 2, Placement{}, AllReduce, Tree, Simple, 64 << 20},
		{"gb200-nvl72", 2, Placement{}, AllReduce, Hier, Simple, 64 << 20},
		{"gb200-nvl72", 2, Placement{}, AllReduce, Ring, LL, 1 << 20},
		{"hgx-h100", 4, Placement{}, AllReduce, Tree, Simple, 256 << 20},
		{"hgx-h100", 4, Placement{}, AllReduce, Ring, Simple, 256 << 20},
		{"hgx-h100", 4, Placement{}, AllToAll, Pairwise, Simple, 16 << 20},
		{"cm384", 0, Placement{Ranks: 64}, AllGather, Direct, Simple, 64 << 20},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%s x%d %s %s %s", c.name, c.domains, c.op, c.algo, c.proto)
		t.Run(name, func(t *testing.T) {
			top := mustLoad(t, c.name, c.domains)
			f := network.NewFabric(top)
			g, err := NewGroup(f, c.pl)
			if err != nil {
				t.Fatal(err)
			}
			job := Job{Group: g, Op: c.op, Algorithm: c.algo, Bytes: c.bytes, Options: Options{Protocol: c.proto}}
			p, err := compileJob(job, false)
			if err != nil {
				t.Fatal(err)
			}
			want, err := runPlans(f, []Job{job}, []*Plan{p}, true, nil)
			if err != nil {
				t.Fatal(err)
			}
			q, err := compileJob(job, false)
			if err != nil {
				t.Fatal(err)
			}
			run, err := newPlanRun(f, []Job{job}, []*Plan{q}, true, nil)
			if err != nil {
				t.Fatal(err)
			}
			var bounds []float64
			for !run.advance(-1) {
				bounds = append(bounds, run.remainingBound())
			}
			got, err := run.results()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("paused %d times: %v s, %v wire bytes; whole: %v s, %v", len(bounds), got[0].TimeS, got[0].WireBytes, want[0].TimeS, want[0].WireBytes)
			}
			// A run that takes a fast path (symmetry.go, orbit.go,
			// merged.go) is over before it can pause.
			if fast := run.load == nil; !fast && len(bounds) == 0 {
				t.Errorf("%d transfers never paused", want[0].Transfers)
			}
			for i, b := range bounds {
				if b > want[0].TimeS {
					t.Errorf("pause %d: remaining bound %v s above the run's %v s", i, b, want[0].TimeS)
				}
			}
		})
	}
}

// TestAutoPausedSameAsAll: where Auto pauses a candidate's run (a tree
// across NVL72 racks bounded far below its time), it takes the algorithm
// and protocol, with the result to the bit, that simulating every
// candidate whole takes.
func TestAutoPausedSameAsAll(t *testing.T) {
	defer func(k int) { pauseCheck = k }(pauseCheck)
	pauseCheck = 512
	for _, c := range []struct {
		domains int
		bytes   float64
	}{{2, 256 << 20}, {2, 1 << 30}} {
		t.Run(fmt.Sprintf("nvl72x%d %g B", c.domains, c.bytes), func(t *testing.T) {
			top := mustLoad(t, "gb200-nvl72", c.domains)
			g, err := NewGroup(network.NewFabric(top), Placement{})
			if err != nil {
				t.Fatal(err)
			}
			before := pausedRuns.Load()
			got, err := runTuned(g, AllReduce, Auto, c.bytes, Options{}, false)
			if err != nil {
				t.Fatal(err)
			}
			if pausedRuns.Load() == before {
				t.Errorf("auto took %s %s without pausing a run", got.Algorithm, got.Protocol)
			}
			g, err = NewGroup(network.NewFabric(top), Placement{})
			if err != nil {
				t.Fatal(err)
			}
			if want := autoByAll(t, g, AllReduce, c.bytes, Options{}); !reflect.DeepEqual(got, want) {
				t.Errorf("auto took %s %s, %v s; simulating all takes %s %s, %v s",
					got.Algorithm, got.Protocol, got.TimeS, want.Algorithm, want.Protocol, want.TimeS)
			}
		})
	}
}
