package network

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cardsea/cardsea/sim"
	"github.com/cardsea/cardsea/topology"
)

func load(t testing.TB, name string, domains int) *Fabric {
	t.Helper()
	top, err := topology.Load(name, domains)
	if err != nil {
		t.Fatal(err)
	}
	return NewFabric(top)
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(math.Abs(a), math.Abs(b)) }

// TestQuotient checks that interchangeable switch chips merge.
func TestQuotient(t *testing.T) {
	for _, tc := range []struct {
		name             string
		switchClasses    int
		capFirstHopPerGB float64 // capacity of die -> first switch class, GB/s
	}{
		{"gb200-nvl72", 1, 0},
		{"cm384", 48 + 1, 0},
		{"hgx-h100", 1, 0},
		{"nvl36x2", 2, 0},
	} {
		f := load(t, tc.name, 0)
		classes := 0
		for v := range f.Vertices() {
			if f.transit[v] && f.Topo.Nodes[f.members[v][0]].Kind == topology.KindSwitch {
				classes++
			}
		}
		if classes != tc.switchClasses {
			t.Errorf("%s: %d switch classes, want %d", tc.name, classes, tc.switchClasses)
		}
	}
}

// run starts flows at time 0 and returns their completion times.
func run(t testing.TB, f *Fabric, pairs [][2]topology.NodeID, bytes float64) []sim.Time {
	s := sim.New()
	n := New(f, s)
	done := make([]sim.Time, len(pairs))
	for i, p := range pairs {
		i := i
		if _, err := n.Start(f.Vertex(p[0]), f.Vertex(p[1]), bytes, nil, func(now sim.Time) { done[i] = now }); err != nil {
			t.Fatal(err)
		}
	}
	s.Run()
	return done
}

func TestSingleFlowRate(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b int // accelerator indices
		bw   float64
	}{
		{"gb200-nvl72", 0, 71, 900e9},
		{"cm384", 0, 383, 196e9}, // one die: 7 x 28 GB/s
		{"hgx-h100", 0, 7, 450e9},
		{"hgx-h800", 0, 7, 200e9},
	} {
		f := load(t, tc.name, 0)
		// Ideal fabric: strip efficiency and latency for the closed form.
		for i := range f.chans {
			f.chans[i].BytesPerS = f.chans[i].RawBytesPerS
		}
		src, dst := f.Topo.Accels[tc.a].Dies[0], f.Topo.Accels[tc.b].Dies[0]
		r, _ := f.route(f.Vertex(src), f.Vertex(dst))
		bytes := 1e9
		got := run(t, f, [][2]topology.NodeID{{src, dst}}, bytes)[0].Seconds()
		want := bytes/tc.bw + r.latency
		if !near(got, want, 1e-9) {
			t.Errorf("%s: %g s, want %g s (%.0f GB/s + %g s latency)", tc.name, got, want, tc.bw/1e9, r.latency)
		}
	}
}

// TestContention: flows sharing a bottleneck split it; two incasts into one
// GPU take twice as long as one.
func TestContention(t *testing.T) {
	f := load(t, "gb200-nvl72", 0)
	d := func(i int) topology.NodeID { return f.Topo.Accels[i].Dies[0] }
	one := run(t, f, [][2]topology.NodeID{{d(1), d(0)}}, 1e9)
	two := run(t, f, [][2]topology.NodeID{{d(1), d(0)}, {d(2), d(0)}}, 1e9)
	disjoint := run(t, f, [][2]topology.NodeID{{d(1), d(0)}, {d(2), d(3)}}, 1e9)
	lat := sim.Time(0)
	if r, _ := f.route(f.Vertex(d(1)), f.Vertex(d(0))); r != nil {
		lat = sim.FromSeconds(r.latency)
	}
	if !near((two[0]-lat).Seconds(), 2*(one[0]-lat).Seconds(), 1e-9) || two[0] != two[1] {
		t.Errorf("incast: %v, want twice %v", two, one)
	}
	if disjoint[0] != one[0] || disjoint[1] != one[0] {
		t.Errorf("disjoint flows interfere: %v vs %v", disjoint, one)
	}
}

// TestMaxMinStaggered: a short flow and a long flow share a link; when the
// short one finishes the long one speeds up to the full link.
func TestMaxMinStaggered(t *testing.T) {
	f := load(t, "hgx-h100", 0)
	for i := range f.chans {
		f.chans[i].BytesPerS = f.chans[i].RawBytesPerS
		f.chans[i].LatencyS = 0
	}
	for i := range f.switchLat {
		f.switchLat[i] = 0
	}
	f.routes = nil
	d := func(i int) topology.NodeID { return f.Topo.Accels[i].Dies[0] }
	got := run(t, f, [][2]topology.NodeID{{d(1), d(0)}, {d(2), d(0)}}, 0)
	_ = got
	s := sim.New()
	n := New(f, s)
	var tShort, tLong sim.Time
	n.Start(f.Vertex(d(1)), f.Vertex(d(0)), 450e9, nil, func(now sim.Time) { tShort = now }) // 1 s alone
	n.Start(f.Vertex(d(2)), f.Vertex(d(0)), 1350e9, nil, func(now sim.Time) { tLong = now }) // 3 s alone
	s.Run()
	// Shared: both at 225 GB/s; short done at 2 s, long has 900 GB left
	// at 450 GB/s: 2 s more.
	if !near(tShort.Seconds(), 2, 1e-9) || !near(tLong.Seconds(), 4, 1e-9) {
		t.Errorf("short %v long %v, want 2s and 4s", tShort, tLong)
	}
}

// TestIncrementalMatchesReference: on random flow sets, the rates the
// incremental solver leaves after every event equal a full recomputation.
func TestIncrementalMatchesReference(t *testing.T) {
	for _, name := range []string{"cm384", "tpu-v5p-cube", "gb200-nvl72"} {
		domains := 0
		if name == "gb200-nvl72" {
			domains = 3
		}
		f := load(t, name, domains)
		r := rand.New(rand.NewPCG(7, uint64(len(name))))
		dies := f.Topo.Dies()
		s := sim.New()
		n := New(f, s)
		checks := 0
		check := func(now sim.Time) {
			var live []FlowID
			for id := range n.flows {
				if n.flows[id].live && n.flows[id].remaining > 0 {
					live = append(live, FlowID(id))
				}
			}
			want := referenceRates(n, live)
			for i, id := range live {
				if !near(n.flows[id].rate, want[i], 1e-6) {
					t.Fatalf("%s at %v: flow %d rate %g, reference %g", name, now, id, n.flows[id].rate, want[i])
				}
			}
			checks += len(live)
		}
		for i := range 60 {
			a, b := dies[r.IntN(len(dies))], dies[r.IntN(len(dies))]
			if a == b {
				continue
			}
			at := sim.Time(r.IntN(20)) * sim.Microsecond
			bytes := float64(1+r.IntN(100)) * 1e5
			s.Schedule(at, func(sim.Time) {
				n.Start(f.Vertex(a), f.Vertex(b), bytes, nil, func(now sim.Time) {})
			})
			_ = i
		}
		// Check after the solves of every timestamp: schedule checks at
		// many instants (they run after same-time solves that precede them).
		for k := range 400 {
			s.Schedule(sim.Time(k)*sim.Microsecond/4+1, check)
		}
		s.Run()
		if checks < 100 {
			t.Fatalf("%s: only %d flow rates compared", name, checks)
		}
		t.Logf("%s: %d flow rates compared, %d solves", name, checks, n.Solves)
	}
}

// referenceRates is the obvious max-min solver: recompute every live flow
// from scratch, freezing the flows of the tightest channel each round.
func referenceRates(n *Network, live []FlowID) []float64 {
	nc := len(n.Fabric.chans)
	rem := make([]float64, nc)
	for c := range rem {
		rem[c] = n.Fabric.chans[c].BytesPerS
	}
	rates := make([]float64, len(live))
	frozen := make([]bool, len(live))
	level := 0.0
	for {
		wsum := make([]float64, nc)
		any := false
		for i, id := range live {
			if frozen[i] {
				continue
			}
			any = true
			for _, s := range n.flows[id].route.shares {
				wsum[s.ch] += s.frac
			}
		}
		if !any {
			return rates
		}
		best, bc := math.Inf(1), -1
		for c := range nc {
			if wsum[c] > 1e-12 {
				if d := rem[c] / wsum[c]; d < best {
					best, bc = d, c
				}
			}
		}
		level += best
		for c := range nc {
			rem[c] -= best * wsum[c]
		}
		for i, id := range live {
			if frozen[i] {
				continue
			}
			for _, s := range n.flows[id].route.shares {
				if int(s.ch) == bc || rem[s.ch] <= 1e-9*n.Fabric.chans[s.ch].BytesPerS {
					frozen[i] = true
					rates[i] = level
					break
				}
			}
		}
	}
}
