package collective

import (
	"fmt"
	"math"
	"testing"

	"github.com/cardsea/cardsea/network"
)

// TestLoadScales: a plan's channel loads, and the bytes each vertex
// sends, under one protocol are its loads under another times the ratio
// of their loadScales (to 1e-9 of the most loaded channel or vertex), so
// the load bound Auto takes from one for the other, and the lazy bound
// of one not yet compiled, are never above the other's lowerBound (the
// lazy one nor above its egressBound); and a ring-form plan's
// ringLoadBound is never above its lowerBound.
func TestLoadScales(t *testing.T) {
	type named struct {
		name    string
		domains int
		pl      Placement
	}
	scaled, rings, lazy := 0, 0, 0
	for _, nt := range []named{{"hgx-h100", 2, Placement{}}, {"hgx-h100", 4, Placement{}}, {"gb200-nvl72", 2, Placement{}}, {"gb200-nvl72", 0, Placement{Ranks: 16}}, {"tpu-v5p-cube", 0, Placement{Ranks: 16}}, {"cm384", 0, Placement{Ranks: 16}}} {
		top := mustLoad(t, nt.name, nt.domains)
		f := network.NewFabric(top)
		g, err := NewGroup(f, nt.pl)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []Op{AllReduce, AllGather, ReduceScatter, AllToAll, Broadcast, Reduce} {
			for _, a := range AlgorithmsFor(op) {
				for _, size := range []float64{64 << 10, 256 << 20} {
					var plans []*Plan
					var jobs []Job
					for _, pr := range []Protocol{Simple, LL, LL128} {
						j := Job{Group: g, Op: op, Algorithm: a, Bytes: size, Options: Options{Protocol: pr}}
						q, err := compileJobAs(j, false, dryExact)
						if err != nil {
							continue
						}
						name := fmt.Sprintf("%s x%d %s %s %s %g B", nt.name, nt.domains, op, a, pr, size)
						if lb, ok := q.ringLoadBound(f); ok {
							rings++
							if exact := q.lowerBound(f); lb > exact {
								t.Errorf("%s: ringLoadBound %v above lowerBound %v", name, lb, exact)
							}
						}
						if q.rings == nil && q.dry != nil && q.dry.exact != nil && q.orbit == nil {
							plans = append(plans, q)
							jobs = append(jobs, j)
						}
					}
					for _, x := range plans {
						for yi, y := range plans {
							if x == y {
								continue
							}
							scaled++
							name := fmt.Sprintf("%s x%d %s %s %g B, %s from %s", nt.name, nt.domains, op, a, size, y.Protocol, x.Protocol)
							k := y.loadScale() / x.loadScale()
							lx, ly := x.dry.exact.load, y.dry.exact.load
							most := 0.0
							for _, l := range ly {
								most = math.Max(most, l)
							}
							for c := range lx {
								if d := math.Abs(ly[c] - lx[c]*k); d > 1e-9*most {
									t.Errorf("%s: channel %d carries %v, scaled %v", name, c, ly[c], lx[c]*k)
									break
								}
							}
							b := scaledBound(y.Overhead.Seconds(), y.loadScale(), worstLoad(f, lx), x.loadScale())
							if exact := y.lowerBound(f); b > exact {
								t.Errorf("%s: load bound %v above lowerBound %v", name, b, exact)
							}
							sx, sy := x.dry.sent, y.dry.sent
							most = 0
							for _, b := range sy {
								most = math.Max(most, b)
							}
							for v := range sx {
								if d := math.Abs(sy[v] - sx[v]*k); d > 1e-9*most {
									t.Errorf("%s: vertex %d sends %v, scaled %v", name, v, sy[v], sx[v]*k)
									break
								}
							}
							if !lazyPriced(x) {
								continue
							}
							h, err := compileJobAs(jobs[yi], false, dryHead)
							if err != nil {
								t.Fatalf("%s: dryHead: %v", name, err)
							}
							if h.Overhead != y.Overhead || h.loadScale() != y.loadScale() {
								t.Errorf("%s: dryHead overhead %v, loadScale %v; compiled %v, %v", name, h.Overhead, h.loadScale(), y.Overhead, y.loadScale())
							}
							lazy++
							lb := lazyBound(h, x, f)
							if exact, eb := y.lowerBound(f), y.egressBound(f); lb > exact || lb > eb {
								t.Errorf("%s: lazy bound %v above lowerBound %v or egressBound %v", name, lb, exact, eb)
							}
						}
					}
				}
			}
		}
	}
	t.Logf("checked %d scaled pairs (%d lazy) and %d ring-form plans", scaled, lazy, rings)
	if scaled == 0 || rings == 0 || lazy == 0 {
		t.Errorf("checked %d scaled pairs (%d lazy) and %d ring-form plans", scaled, lazy, rings)
	}
}
