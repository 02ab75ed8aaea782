package collective

import (
	"fmt"
	"math"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// symTol is the relative tolerance of the symmetric fast path against the
// whole run, on times, bytes, busy times and utilisations: the quotient
// sums in other orders (see symmetry.go), so the figures agree to about
// 1e-12, not to the bit.
const symTol = 1e-9

// runBoth runs op on a fresh fabric of top with the fast path and
// without, and reports whether the fast path ran.
func runBoth(t *testing.T, top *topology.Topology, pl Placement, op Op, algo Algorithm, bytes float64, o Options) (fast, full Result, took bool) {
	t.Helper()
	defer func(on bool) { symmetric = on }(symmetric)
	for _, on := range []bool{true, false} {
		symmetric = on
		g, err := NewGroup(network.NewFabric(top), pl)
		if err != nil {
			t.Fatal(err)
		}
		before := symmetricRuns.Load()
		r, err := runTuned(g, op, algo, bytes, o, true)
		if err != nil {
			t.Fatal(err)
		}
		if on {
			fast, took = r, symmetricRuns.Load() > before
		} else {
			full = r
		}
	}
	return fast, full, took
}

// symNear reports whether a and b agree to symTol relative (or both are 0).
func symNear(a, b float64) bool {
	return a == b || math.Abs(a-b) <= symTol*math.Max(math.Abs(a), math.Abs(b))
}

// sameResult lists where two results differ beyond symTol: the time,
// wire bytes, peak and mean utilisation, every link's statistics and the
// activity the power model reads.
func sameResult(fast, full Result) []string {
	var diffs []string
	check := func(what string, a, b float64) {
		if !symNear(a, b) {
			diffs = append(diffs, fmt.Sprintf("%s %.17g, full run %.17g (rel %.2g)", what, a, b, math.Abs(a-b)/math.Max(math.Abs(a), math.Abs(b))))
		}
	}
	check("time", fast.TimeS, full.TimeS)
	check("wire bytes", fast.WireBytes, full.WireBytes)
	check("peak util", fast.PeakLinkUtil, full.PeakLinkUtil)
	check("mean busy", fast.MeanLinkBusy, full.MeanLinkBusy)
	if fast.Transfers != full.Transfers || fast.Algorithm != full.Algorithm || fast.Protocol != full.Protocol {
		diffs = append(diffs, fmt.Sprintf("%s/%s %d transfers, full run %s/%s %d", fast.Algorithm, fast.Protocol, fast.Transfers, full.Algorithm, full.Protocol, full.Transfers))
	}
	if len(fast.Links) != len(full.Links) {
		diffs = append(diffs, fmt.Sprintf("%d links used, full run %d", len(fast.Links), len(full.Links)))
	} else {
		for i, a := range fast.Links {
			b := full.Links[i]
			if a.Name != b.Name {
				diffs = append(diffs, fmt.Sprintf("link %d is %s, full run %s", i, a.Name, b.Name))
				continue
			}
			check(a.Name+" bytes", a.Bytes, b.Bytes)
			check(a.Name+" busy", a.BusyS, b.BusyS)
			check(a.Name+" peak", a.PeakUtil, b.PeakUtil)
		}
	}
	check("activity duration", fast.Activity.DurationS, full.Activity.DurationS)
	for i := range fast.Activity.AccelCommS {
		check(fmt.Sprintf("accel %d comm", i), fast.Activity.AccelCommS[i], full.Activity.AccelCommS[i])
	}
	for i := range fast.Activity.SwitchBytes {
		check(fmt.Sprintf("switch %d bytes", i), fast.Activity.SwitchBytes[i], full.Activity.SwitchBytes[i])
		check(fmt.Sprintf("switch %d peak", i), fast.Activity.SwitchPeakUtil[i], full.Activity.SwitchPeakUtil[i])
	}
	if len(diffs) > 5 {
		diffs = append(diffs[:5], fmt.Sprintf("and %d more", len(diffs)-5))
	}
	return diffs
}

// TestSymmetricMatchesFull: on small fabrics the symmetric fast path
// (channel 0 on the quotient by the channels' rotation) gives the whole
// run's results, to symTol relative, for the double binary tree channels
// across 2 to 16 HGX H100 nodes, NVL72 racks and CloudMatrix pieces, both
// protocols, and it does run where the channels are rotations.
func TestSymmetricMatchesFull(t *testing.T) {
	// pieces places ranks on n dies of every domain (of l), every
	// stride-th from the first.
	pieces := func(domains, l, n, stride int) Placement {
		var p Placement
		for d := range domains {
			for i := range n {
				p.List = append(p.List, d*l+i*stride)
			}
		}
		return p
	}
	cases := []struct {
		name    string
		domains int
		place   Placement
		// symmetric is whether the channels are rotations: on a whole
		// NVL72 rack or CloudMatrix supernode the 32 channels (NCCL's
		// bound) enter at 32 of 72 or 768 ranks, and a rotation by one
		// rank has order 72 or 768, not 32, so the channels are not
		// closed under it and the plan runs whole.
		symmetric bool
	}{
		{"hgx-h100", 2, Placement{}, true}, {"hgx-h100", 3, Placement{}, true}, {"hgx-h100", 4, Placement{}, true},
		{"hgx-h100", 8, Placement{}, true}, {"hgx-h100", 16, Placement{}, true},
		{"gb200-nvl72", 2, pieces(2, 72, 8, 1), true}, {"gb200-nvl72", 3, pieces(3, 72, 4, 1), true},
		{"gb200-nvl72", 2, Placement{}, false},
		{"cm384", 2, pieces(2, 768, 8, 2), true}, {"cm384", 2, Placement{}, false},
	}
	for _, c := range cases {
		top, err := topology.Load(c.name, c.domains)
		if err != nil {
			t.Fatal(err)
		}
		algos := []Algorithm{Tree, Ring}
		if !c.symmetric {
			algos = algos[:1] // a whole ring over 1,536 dies runs for minutes
		}
		for _, algo := range algos {
			for _, pr := range []Protocol{Simple, LL} {
				for _, size := range []float64{1 << 20, 256 << 20} {
					name := fmt.Sprintf("%s x%d (%d ranks listed) %s %s %.0f MiB", c.name, c.domains, len(c.place.List), algo, pr, size/(1<<20))
					fast, full, took := runBoth(t, top, c.place, AllReduce, algo, size, Options{Protocol: pr})
					want := c.symmetric
					if algo == Ring {
						// Only a ring in ring form (ringplan.go) is
						// reduced; a small one is stored transfer by
						// transfer and runs whole.
						g, err := NewGroup(network.NewFabric(top), c.place)
						if err != nil {
							t.Fatal(err)
						}
						p, err := compileJob(Job{Group: g, Op: AllReduce, Algorithm: Ring, Bytes: size, Options: Options{Protocol: pr}}, false)
						if err != nil {
							t.Fatal(err)
						}
						want = want && p.rings != nil
					}
					if took != want {
						t.Errorf("%s: the fast path ran: %v, want %v", name, took, want)
					}
					for _, d := range sameResult(fast, full) {
						t.Errorf("%s: %s", name, d)
					}
				}
			}
		}
	}
}

// TestSymmetricFallsBack: a fault, a degraded link or a placement that
// breaks the rotation runs the whole plan, with the whole run's result.
func TestSymmetricFallsBack(t *testing.T) {
	top, err := topology.Load("hgx-h100", 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, spec := range []string{"degrade:d1.acc11.nic0-leaf.r3.3=0.5", "link:d2.acc21.nic0-leaf.r5.5", "switch:leaf.r2.2", "accel:9"} {
		fs, err := topology.ParseFaults([]string{spec})
		if err != nil {
			t.Fatal(err)
		}
		ft, err := top.WithFaults(fs)
		if err != nil {
			t.Fatal(err)
		}
		for _, algo := range []Algorithm{Tree, Ring} {
			fast, full, took := runBoth(t, ft, Placement{}, AllReduce, algo, 64<<20, Options{Protocol: Simple})
			if took {
				t.Errorf("%s %s: the fast path ran on a faulty fabric", spec, algo)
			}
			for _, d := range sameResult(fast, full) {
				t.Errorf("%s %s: %s", spec, algo, d)
			}
		}
	}
}
