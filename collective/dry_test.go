package collective

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// TestDryMatchesStored: a dry compile (Plan.dry), which counts and sums
// the builder's transfers instead of storing them, gives the stored
// plan's egressBound (and, dryExact, its lowerBound) to the last bit, the same error, the same count of
// transfers, and for a plan too large the same refusal, the same
// egressBound and refusedBound of what was built: Auto bounds candidates
// from it, so its order of visits and its skips are unchanged.
func TestDryMatchesStored(t *testing.T) {
	defer func(m int) { MaxTransfers = m }(MaxTransfers)
	_, plane := faulted(t, "gb200-nvl72", "plane:3")
	type named struct {
		name string
		top  *topology.Topology
		pl   Placement
	}
	tops := []named{{"nvl72 plane out", plane, Placement{Ranks: 16}}}
	for _, c := range []struct {
		name    string
		domains int
		pl      Placement
	}{{"hgx-h100", 2, Placement{}}, {"hgx-h100", 4, Placement{}}, {"gb200-nvl72", 2, Placement{Ranks: 32}}, {"tpu-v5p-cube", 0, Placement{Ranks: 16}}, {"cm384", 0, Placement{Ranks: 16}}} {
		top, err := topology.Load(c.name, c.domains)
		if err != nil {
			t.Fatal(err)
		}
		tops = append(tops, named{fmt.Sprintf("%s x%d", c.name, c.domains), top, c.pl})
	}
	checked, refused := 0, 0
	same := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
	for _, nt := range tops {
		g, err := NewGroup(network.NewFabric(nt.top), nt.pl)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []Op{AllReduce, AllGather, ReduceScatter, AllToAll, Broadcast, Reduce, SendRecv} {
			for _, a := range AlgorithmsFor(op) {
				for _, pr := range []Protocol{Simple, LL} {
					for _, size := range []float64{64 << 10, 256 << 20} {
						for _, limit := range []int{8_000_000, 500} {
							MaxTransfers = limit
							name := fmt.Sprintf("%s %s %s %s %g B, limit %d", nt.name, op, a, pr, size, limit)
							o := Options{Protocol: pr}
							j := Job{Group: g, Op: op, Algorithm: a, Bytes: size, Options: o}
							full, ferr := compileJobAs(j, false, whole)
							dry, derr := compileJobAs(j, false, dryEgress)
							var fbig, dbig *TooLargeError
							switch {
							case errors.As(ferr, &fbig):
								if !errors.As(derr, &dbig) || fbig.Error() != dbig.Error() {
									t.Errorf("%s: stored %v, dry %v", name, ferr, derr)
									continue
								}
								fe, de := fbig.refused.egressBound(g.Fabric), dbig.refused.egressBound(g.Fabric)
								fr, dr := fbig.refused.refusedBound(g.Fabric), dbig.refused.refusedBound(g.Fabric)
								if !same(fe, de) || !same(fr, dr) {
									t.Errorf("%s: refused, stored bounds %v %v, dry %v %v", name, fe, fr, de, dr)
								}
								refused++
							case ferr != nil || derr != nil:
								if ferr == nil || derr == nil || ferr.Error() != derr.Error() {
									t.Errorf("%s: stored %v, dry %v", name, ferr, derr)
								}
							default:
								if full.Transfers() != dry.count() && full.rings == nil {
									t.Errorf("%s: %d transfers stored, %d dry", name, full.Transfers(), dry.count())
								}
								if fe, de := full.egressBound(g.Fabric), dry.egressBound(g.Fabric); !same(fe, de) {
									t.Errorf("%s: egressBound %v stored, %v dry", name, fe, de)
								}
								if len(dry.xfers) != 0 || dry.in != nil {
									t.Errorf("%s: the dry plan stored %d transfers", name, len(dry.xfers))
								}
								exact, err := compileJobAs(j, false, dryExact)
								if err != nil {
									t.Fatalf("%s: dryExact: %v", name, err)
								}
								if fl, dl := full.lowerBound(g.Fabric), exact.lowerBound(g.Fabric); !same(fl, dl) {
									t.Errorf("%s: lowerBound %v stored, %v dry", name, fl, dl)
								}
								if fe, de := full.egressBound(g.Fabric), exact.egressBound(g.Fabric); !same(fe, de) {
									t.Errorf("%s: egressBound %v stored, %v dryExact", name, fe, de)
								}
								checked++
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d plans and %d refusals checked", checked, refused)
	if checked == 0 || refused == 0 {
		t.Error("nothing compared")
	}
}

// TestResolveRoutesMemo: resolveRoutes, which keeps each source's last
// few routes at hand, gives every transfer the very route routeOf gives
// it (the fabric's one object per route, lag and forwarding included),
// for every algorithm of allreduce and alltoall on fabrics with PXN,
// network lag across domains and a fault.
func TestResolveRoutesMemo(t *testing.T) {
	_, plane := faulted(t, "gb200-nvl72", "plane:3")
	h100, err := topology.Load("hgx-h100", 4)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, top := range []*topology.Topology{plane, h100} {
		g, err := NewGroup(network.NewFabric(top), Placement{})
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []Op{AllReduce, AllToAll, Broadcast} {
			for _, a := range AlgorithmsFor(op) {
				p, err := Compile(g, op, a, 64<<20, Options{})
				if err != nil || p.rings != nil {
					continue
				}
				if err := p.resolveRoutes(g.Fabric); err != nil {
					t.Fatal(err)
				}
				for i, x := range p.xfers {
					if x.join {
						continue
					}
					want, err := p.routeOf(g.Fabric, x.src, x.via(), x.dst)
					if err != nil {
						t.Fatal(err)
					}
					if got := p.routes[p.route[i]]; got != want {
						t.Fatalf("%s %s transfer %d: resolved %p, routeOf %p", op, a, i, got, want)
					}
					checked++
				}
			}
		}
	}
	if checked == 0 {
		t.Error("nothing checked")
	}
}

// TestRefusedBoundHolds: a plan refused for its size is bounded from
// below by what was built of it (egressBound, refusedBound, with the
// chains the refused parts record: hierChain), and no bound passes the
// time of the whole plan when it is allowed to run, on every plan the dry
// tests compile, refused at a limit of 500 transfers.
func TestRefusedBoundHolds(t *testing.T) {
	defer func(m int) { MaxTransfers = m }(MaxTransfers)
	_, plane := faulted(t, "gb200-nvl72", "plane:3")
	type named struct {
		name string
		top  *topology.Topology
		pl   Placement
	}
	tops := []named{{"nvl72 plane out", plane, Placement{Ranks: 16}}}
	for _, c := range []struct {
		name    string
		domains int
		pl      Placement
	}{{"hgx-h100", 2, Placement{}}, {"hgx-h100", 4, Placement{}}, {"gb200-nvl72", 2, Placement{Ranks: 32}}, {"tpu-v5p-cube", 0, Placement{Ranks: 16}}, {"cm384", 0, Placement{Ranks: 16}}} {
		top, err := topology.Load(c.name, c.domains)
		if err != nil {
			t.Fatal(err)
		}
		tops = append(tops, named{fmt.Sprintf("%s x%d", c.name, c.domains), top, c.pl})
	}
	checked, chained := 0, 0
	for _, nt := range tops {
		g, err := NewGroup(network.NewFabric(nt.top), nt.pl)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []Op{AllReduce, AllGather, ReduceScatter, Broadcast, Reduce} {
			for _, a := range AlgorithmsFor(op) {
				for _, pr := range []Protocol{Simple, LL} {
					for _, size := range []float64{64 << 10, 256 << 20} {
						name := fmt.Sprintf("%s %s %s %s %g B", nt.name, op, a, pr, size)
						j := Job{Group: g, Op: op, Algorithm: a, Bytes: size, Options: Options{Protocol: pr}}
						MaxTransfers = 500
						_, err := compileJobAs(j, false, dryEgress)
						var big *TooLargeError
						if !errors.As(err, &big) || big.refused == nil {
							continue
						}
						eb, rb := big.refused.egressBound(g.Fabric), big.refused.refusedBound(g.Fabric)
						if big.refused.unbuiltChain > 0 && a == Hier {
							chained++
						}
						MaxTransfers = 8_000_000
						if full, err := compileJob(j, false); err != nil || full.latencyChain() < big.refused.unbuiltChain {
							t.Errorf("%s: the refused plan's chain %v passes the whole plan's (%v)", name, big.refused.unbuiltChain, err)
						}
						r, err := runTuned(g, op, a, size, j.Options, false)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						if r.TimeS < eb || r.TimeS < rb {
							t.Errorf("%s: %v s beats its refused bounds %v %v", name, r.TimeS, eb, rb)
						}
						checked++
					}
				}
			}
		}
	}
	t.Logf("%d refused plans checked, %d hier chains", checked, chained)
	if checked == 0 || chained == 0 {
		t.Error("nothing checked")
	}
}
