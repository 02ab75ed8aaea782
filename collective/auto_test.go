package collective

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"sort"
	"strings"
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
		protos = autoProtocols(g, op, bytes)
	}
	type cand struct {
		r     Result
		bound float64
	}
	var cands []cand
	for _, a := range autoAlgorithms(g, op) {
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
	h100 := mustLoad(t, "hgx-h100", 4)
	nvl72 := mustLoad(t, "gb200-nvl72", 0)
	cm384 := mustLoad(t, "cm384", 0)
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
		{"cm384 four servers allreduce 64MiB", cm384, Placement{Ranks: 64}, AllReduce, 64 << 20, ProtoAuto},
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

// TestAutoRulesOutTooLarge: a candidate too large to simulate is bounded
// from below by what was built of it; when that bound is above the best
// time it is ruled out, and Auto's result is exactly the one it gives
// with no limit; otherwise Auto refuses, and says why. With the winner
// itself too large, Auto refuses.
func TestAutoRulesOutTooLarge(t *testing.T) {
	defer func(m int) { MaxTransfers = m }(MaxTransfers)
	o := Options{Protocol: Simple}
	ruledOut, refusals := 0, 0
	type fabric struct {
		name string
		make func() *network.Fabric
	}
	var fabrics []fabric
	for _, domains := range []int{2, 4} {
		top, err := topology.Load("hgx-h100", domains)
		if err != nil {
			t.Fatal(err)
		}
		fabrics = append(fabrics, fabric{fmt.Sprintf("hgx-h100 x%d", domains), func() *network.Fabric { return network.NewFabric(top) }})
	}
	// Software latency dominates: the ring's 2(n-1) hops rule it out.
	fabrics = append(fabrics, fabric{"ideal 8, 1 ms a step", func() *network.Fabric { return ideal(t, 8, 1e12, 1e-3, 0, false) }})
	for _, fb := range fabrics {
		for _, size := range []float64{1 << 20, 16 << 20, 64 << 20, 256 << 20, 1 << 30} {
			MaxTransfers = 8_000_000
			g, err := NewGroup(fb.make(), Placement{})
			if err != nil {
				t.Fatal(err)
			}
			want, err := runTuned(g, AllReduce, Auto, size, o, false)
			if err != nil {
				t.Fatal(err)
			}
			// Refuse every candidate larger than the winner (a ring
			// form's limit is ringFormFactor times MaxTransfers).
			limit, larger := 0, 0
			count := map[Algorithm]int{}
			for _, a := range AlgorithmsFor(AllReduce) {
				if p, err := Compile(g, AllReduce, a, size, o); err == nil {
					count[a] = p.Transfers()
				}
			}
			limit = count[want.Algorithm]
			for a, c := range count {
				if c > limit && a != Ring {
					larger++
				}
			}
			if larger == 0 {
				continue
			}
			MaxTransfers = limit
			got, err := runTuned(g, AllReduce, Auto, size, o, false)
			switch {
			case err == nil:
				ruledOut++
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s %g B: with %d candidates too large, auto took %s %v s; without a limit %s %v s", fb.name, size, larger, got.Algorithm, got.TimeS, want.Algorithm, want.TimeS)
				}
			case strings.Contains(err.Error(), "could take as little as"):
				refusals++
			default:
				t.Errorf("%s %g B: %v", fb.name, size, err)
			}
			MaxTransfers = limit - 1
			_, err = runTuned(g, AllReduce, Auto, size, o, false)
			var big *TooLargeError
			if !errors.As(err, &big) || !strings.Contains(err.Error(), "auto cannot compare every algorithm") {
				t.Errorf("%s %g B: with the winner %s too large: %v, want a refusal", fb.name, size, want.Algorithm, err)
			}
		}
	}
	t.Logf("%d cases ruled the too-large candidates out, %d could not", ruledOut, refusals)
	if ruledOut == 0 {
		t.Error("no case ruled a too-large candidate out")
	}
}

// TestTooLargeRefusedUpFront: a tree past MaxTransfers is refused before
// its transfers are allocated, with its size and a memory estimate.
func TestTooLargeRefusedUpFront(t *testing.T) {
	defer func(m int) { MaxTransfers = m }(MaxTransfers)
	top, err := topology.Load("hgx-h100", 128)
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGroup(network.NewFabric(top), Placement{})
	if err != nil {
		t.Fatal(err)
	}
	MaxTransfers = 1000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = Compile(g, AllReduce, Tree, 1<<30, Options{})
	runtime.ReadMemStats(&after)
	var big *TooLargeError
	if !errors.As(err, &big) || big.Transfers != 523776 {
		t.Fatalf("tree over 1,024 ranks past 1,000 transfers: %v, want a TooLargeError of 523776", err)
	}
	if !strings.Contains(err.Error(), "GB of memory") || !strings.Contains(err.Error(), "another algorithm") {
		t.Errorf("the refusal %q gives no memory estimate or no way out", err)
	}
	// The plan itself would be some 90 MB (523,776 transfers); refused,
	// what is allocated is the trees' shapes.
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("refusing the tree allocated %d MB", got>>20)
	}
}

// TestLowerBoundHolds: no run beats its plan's lowerBound, whose critical
// path takes each transfer at its route's solo rate, over fabrics with
// PXN routes, ECMP, a torus, in-network reduction and a fault, for every
// algorithm of every op at a small and a large size in both protocols.
func TestLowerBoundHolds(t *testing.T) {
	_, plane := faulted(t, "gb200-nvl72", "plane:3")
	type named struct {
		name string
		top  *topology.Topology
	}
	tops := []named{{"nvl72 plane out", plane}}
	for _, c := range []struct {
		name    string
		domains int
	}{{"hgx-h100", 2}, {"gb200-nvl72", 0}, {"tpu-v5p-cube", 0}, {"cm384", 0}} {
		top, err := topology.Load(c.name, c.domains)
		if err != nil {
			t.Fatal(err)
		}
		tops = append(tops, named{c.name, top})
	}
	checked := 0
	for _, nt := range tops {
		name := nt.name
		g, err := NewGroup(network.NewFabric(nt.top), Placement{Ranks: 16})
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []Op{AllReduce, AllGather, ReduceScatter, AllToAll, Broadcast, Reduce} {
			for _, a := range AlgorithmsFor(op) {
				for _, pr := range []Protocol{Simple, LL} {
					for _, size := range []float64{64 << 10, 256 << 20} {
						o := Options{Protocol: pr}
						p, err := Compile(g, op, a, size, o)
						if err != nil {
							continue
						}
						lb := p.lowerBound(g.Fabric)
						r, err := runTuned(g, op, a, size, o, false)
						if err != nil {
							t.Fatalf("%s %s %s %s: %v", name, op, a, pr, err)
						}
						if r.TimeS < lb {
							t.Errorf("%s %s %s %s %g B: %v s beats its lowerBound %v", name, op, a, pr, size, r.TimeS, lb)
						}
						checked++
					}
				}
			}
		}
	}
	t.Logf("%d runs checked", checked)
}

// TestHCCLAlgorithms: on Ascend (HCCL) auto leaves out tree and NVLS,
// which HCCL does not have, and hier splits the ranks by server.
func TestHCCLAlgorithms(t *testing.T) {
	f := network.NewFabric(mustLoad(t, "cm384", 0))
	for _, ranks := range []int{16, 64} {
		g, err := NewGroup(f, Placement{Ranks: ranks})
		if err != nil {
			t.Fatal(err)
		}
		if !g.hccl {
			t.Fatal("cm384 group does not run HCCL")
		}
		for _, a := range autoAlgorithms(g, AllReduce) {
			if a == Tree || a == NVLS {
				t.Errorf("%d ranks: auto tries %s, which HCCL lacks", ranks, a)
			}
		}
		_, err = Compile(g, AllReduce, Hier, 1<<20, Options{})
		switch {
		case ranks == 16 && (err == nil || !strings.Contains(err.Error(), "at least 2 servers")):
			t.Errorf("16 ranks in one server: hier gave %v, want a refusal naming servers", err)
		case ranks == 64 && err != nil:
			t.Errorf("64 ranks in 4 servers: hier: %v", err)
		}
	}
}

// TestAutoPricingLimit: a candidate past the dry compile's pricing limit
// is set aside with the bound of what was built and simulated whole when
// that bound does not rule it out, so Auto's result does not depend on
// the pricing limit, down to one that sets every candidate aside.
func TestAutoPricingLimit(t *testing.T) {
	defer func(m int) { pricingLimit = m }(pricingLimit)
	h100, cm384 := mustLoad(t, "hgx-h100", 4), mustLoad(t, "cm384", 0)
	cases := []struct {
		name  string
		top   *topology.Topology
		pl    Placement
		op    Op
		bytes float64
	}{
		{"h100x4 allreduce 1MiB", h100, Placement{}, AllReduce, 1 << 20},
		{"h100x4 allreduce 1GiB", h100, Placement{}, AllReduce, 1 << 30},
		{"h100x4 allgather 64MiB", h100, Placement{}, AllGather, 64 << 20},
		{"h100x4 alltoall 16MiB", h100, Placement{}, AllToAll, 16 << 20},
		{"cm384 64 ranks allreduce 256MiB", cm384, Placement{Ranks: 64}, AllReduce, 256 << 20},
	}
	for _, tc := range cases {
		run := func(limit int) Result {
			pricingLimit = limit
			g, err := NewGroup(network.NewFabric(tc.top), tc.pl)
			if err != nil {
				t.Fatal(err)
			}
			r, err := runTuned(g, tc.op, Auto, tc.bytes, Options{}, false)
			if err != nil {
				t.Fatalf("%s, pricing limit %d: %v", tc.name, limit, err)
			}
			return r
		}
		want := run(8_000_000)
		for _, limit := range []int{2000, 50, 1} {
			if got := run(limit); !reflect.DeepEqual(got, want) {
				t.Errorf("%s, pricing limit %d: auto took %s %s %v s; with the default %s %s %v s",
					tc.name, limit, got.Algorithm, got.Protocol, got.TimeS, want.Algorithm, want.Protocol, want.TimeS)
			}
		}
	}
}

// mustLoad loads a preset with domains scale-up domains, or fails t.
func mustLoad(t *testing.T, name string, domains int) *topology.Topology {
	t.Helper()
	top, err := topology.Load(name, domains)
	if err != nil {
		t.Fatal(err)
	}
	return top
}

// TestAutoShortcutsSameAsPlain: Auto with its shortcut (the other
// protocols of an algorithm priced lazily, ruled out uncompiled where
// they can be) returns, to the bit, the result or the error it returns
// without them, at the default pricing and transfer limits and at limits
// low enough to set candidates aside.
func TestAutoShortcutsSameAsPlain(t *testing.T) {
	defer func(m, p int, l bool) { MaxTransfers, pricingLimit, lazyPricing = m, p, l }(MaxTransfers, pricingLimit, lazyPricing)
	h100, nvl72x2 := mustLoad(t, "hgx-h100", 4), mustLoad(t, "gb200-nvl72", 2)
	nvl72, cm384 := mustLoad(t, "gb200-nvl72", 0), mustLoad(t, "cm384", 0)
	cases := []struct {
		name  string
		top   *topology.Topology
		pl    Placement
		op    Op
		bytes float64
	}{
		{"h100x4 allreduce 1MiB", h100, Placement{}, AllReduce, 1 << 20},
		{"h100x4 allreduce 1GiB", h100, Placement{}, AllReduce, 1 << 30},
		{"h100x4 allgather 64MiB", h100, Placement{}, AllGather, 64 << 20},
		{"h100x4 alltoall 16MiB", h100, Placement{}, AllToAll, 16 << 20},
		{"nvl72 allreduce 64MiB", nvl72, Placement{}, AllReduce, 64 << 20},
		{"nvl72 broadcast 8MiB", nvl72, Placement{Ranks: 16}, Broadcast, 8 << 20},
		{"nvl72x2 allreduce 256MiB", nvl72x2, Placement{}, AllReduce, 256 << 20},
		{"cm384 64 ranks allreduce 256MiB", cm384, Placement{Ranks: 64}, AllReduce, 256 << 20},
	}
	run := func(tc int, shortcuts bool, maxT, pricing int) string {
		c := cases[tc]
		MaxTransfers, pricingLimit, lazyPricing = maxT, pricing, shortcuts
		g, err := NewGroup(network.NewFabric(c.top), c.pl)
		if err != nil {
			t.Fatal(err)
		}
		r, err := runTuned(g, c.op, Auto, c.bytes, Options{}, false)
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("%#v", r)
	}
	skipped := unpriced.Load()
	for tc, c := range cases {
		for _, lim := range []struct{ maxT, pricing int }{{math.MaxInt32, 8_000_000}, {math.MaxInt32, 2000}, {20_000, 8_000_000}, {500, 50}} {
			want := run(tc, false, lim.maxT, lim.pricing)
			if got := run(tc, true, lim.maxT, lim.pricing); got != want {
				t.Errorf("%s, limits %d and %d: with shortcuts\n%s\nwithout\n%s", c.name, lim.maxT, lim.pricing, got, want)
			}
		}
	}
	t.Logf("%d candidates ruled out uncompiled", unpriced.Load()-skipped)
	if unpriced.Load() == skipped {
		t.Error("the shortcut was not taken")
	}
}
