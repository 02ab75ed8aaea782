package collective

import (
	"reflect"
	"sort"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// autoByAll is Auto the long way: every candidate bounded by lowerBound,
// all of them simulated, and the fastest taken, ties to the least bound
// and then to the order tried. It also checks that each candidate's
// egressBound does not pass its lowerBound.
func autoByAll(t *testing.T, g *Group, op Op, bytes float64, o Options) Result {
	t.Helper()
	protos := []Protocol{o.Protocol}
	if o.Protocol == ProtoAuto {
		protos = []Protocol{Simple, LL}
	}
	type cand struct {
		r     Result
		bound float64
	}
	var cands []cand
	for _, a := range AlgorithmsFor(op) {
		for _, pr := range protos {
			oo := o
			oo.Protocol = pr
			p, err := Compile(g, op, a, bytes, oo)
			if err != nil {
				continue
			}
			lb, eb := p.lowerBound(g.Fabric), p.egressBound(g.Fabric)
			if eb > lb {
				t.Errorf("%s %s %s: egressBound %v passes lowerBound %v", op, a, pr, eb, lb)
			}
			r, err := runTuned(g, op, a, bytes, oo, false)
			if err != nil {
				t.Fatalf("%s %s %s: %v", op, a, pr, err)
			}
			if r.TimeS < lb {
				t.Errorf("%s %s %s: %v s beats its lowerBound %v", op, a, pr, r.TimeS, lb)
			}
			cands = append(cands, cand{r, lb})
		}
	}
	if len(cands) == 0 {
		t.Fatalf("%s: no candidate", op)
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].bound < cands[j].bound })
	best := cands[0].r
	for _, c := range cands[1:] {
		if c.r.TimeS < best.TimeS {
			best = c.r
		}
	}
	return best
}

// TestAutoSameAsAll: Auto, which skips the candidates whose bound cannot
// beat the best found (and routes a candidate only once its cheap bound
// can), returns exactly the result of simulating every candidate.
func TestAutoSameAsAll(t *testing.T) {
	_, plane := faulted(t, "gb200-nvl72", "plane:3")
	load := func(name string, domains int) *topology.Topology {
		top, err := topology.Load(name, domains)
		if err != nil {
			t.Fatal(err)
		}
		return top
	}
	h100 := load("hgx-h100", 4)
	nvl72 := load("gb200-nvl72", 0)
	cases := []struct {
		name  string
		top   *topology.Topology
		pl    Placement
		op    Op
		bytes float64
		proto Protocol
	}{
		{"h100x4 allreduce 1MiB", h100, Placement{}, AllReduce, 1 << 20, ProtoAuto},
		{"h100x4 allreduce 256MiB", h100, Placement{}, AllReduce, 256 << 20, Simple},
		{"h100x4 allgather 64MiB", h100, Placement{}, AllGather, 64 << 20, ProtoAuto},
		{"h100x4 reducescatter 64MiB", h100, Placement{}, ReduceScatter, 64 << 20, Simple},
		{"h100x4 alltoall 16MiB", h100, Placement{}, AllToAll, 16 << 20, Simple},
		{"h100x4 allreduce 1GiB", h100, Placement{}, AllReduce, 1 << 30, Simple},
		{"h100x4 two a domain allgather 256MiB", h100, Placement{List: []int{0, 4, 8, 12, 16, 20, 24, 28}}, AllGather, 256 << 20, ProtoAuto},
		{"nvl72 allreduce 64MiB", nvl72, Placement{}, AllReduce, 64 << 20, ProtoAuto},
		{"nvl72 broadcast 8MiB", nvl72, Placement{Ranks: 16}, Broadcast, 8 << 20, ProtoAuto},
		{"nvl72 plane out allreduce 64MiB", plane, Placement{}, AllReduce, 64 << 20, Simple},
		{"nvl72 plane out sendrecv", plane, Placement{List: []int{0, 1}}, SendRecv, 1 << 30, ProtoAuto},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Protocol: tc.proto}
			g, err := NewGroup(network.NewFabric(tc.top), tc.pl)
			if err != nil {
				t.Fatal(err)
			}
			got, err := runTuned(g, tc.op, Auto, tc.bytes, o, false)
			if err != nil {
				t.Fatal(err)
			}
			g, err = NewGroup(network.NewFabric(tc.top), tc.pl)
			if err != nil {
				t.Fatal(err)
			}
			if want := autoByAll(t, g, tc.op, tc.bytes, o); !reflect.DeepEqual(got, want) {
				t.Errorf("auto took %s %s, %v s; simulating all takes %s %s, %v s",
					got.Algorithm, got.Protocol, got.TimeS, want.Algorithm, want.Protocol, want.TimeS)
			}
		})
	}
}
