package collective

import (
	"errors"
	"math"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// ideal builds a switched fabric of n accelerators with one link of bw
// bytes/s per direction each to one non-blocking switch, no hop latency,
// full efficiency, and the given software costs.
func ideal(t *testing.T, n int, bw, alpha, overhead float64, reduce bool) *network.Fabric {
	t.Helper()
	acc := &topology.AcceleratorSpec{Name: "x", Dies: 1, MaxW: 1, StepLatencyS: alpha, OpOverheadS: overhead}
	top, err := topology.Build(topology.ClusterSpec{Name: "ideal", Domains: 1, Domain: topology.DomainSpec{
		Accel: acc, Servers: 1, AccelsPerServer: n,
		Fabric: &topology.SwitchedFabric{Switch: &topology.SwitchSpec{Name: "sw", Reduce: reduce}, Planes: 1, Lanes: []int{1},
			Link: topology.LinkSpec{Class: "l", LaneBytesPerS: bw, Optics: -1}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return network.NewFabric(top)
}

func group(t *testing.T, f *network.Fabric, ranks int) *Group {
	t.Helper()
	g, err := NewGroup(f, Placement{Ranks: ranks})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

// exact allows the rounding of each of steps transfers up to a whole picosecond.
func exact(got, want float64, steps int) bool {
	return got >= want-1e-15 && got-want <= float64(steps+1)*1e-12
}

// TestClosedForms: on an ideal fabric the simulated times equal the
// textbook alpha-beta formulas exactly (to the picosecond rounding).
func TestClosedForms(t *testing.T) {
	const bw, alpha, over = 100e9, 2e-6, 5e-6
	for _, n := range []int{2, 3, 8, 72} {
		f := ideal(t, n, bw, alpha, over, true)
		g := group(t, f, n)
		N := float64(n)
		S := 64e6
		for _, tc := range []struct {
			op   Op
			algo Algorithm
			want float64
		}{
			{AllReduce, Ring, over + 2*(N-1)*alpha + 2*(N-1)/N*S/bw},
			{AllGather, Ring, over + (N-1)*alpha + (N-1)/N*S/bw},
			{ReduceScatter, Ring, over + (N-1)*alpha + (N-1)/N*S/bw},
			{AllReduce, Direct, over + alpha + (N-1)*S/bw},
			{AllToAll, Direct, over + alpha + (N-1)/N*S/bw},
			{SendRecv, Direct, over + alpha + S/bw},
		} {
			r, err := runTuned(g, tc.op, tc.algo, S, Options{Chunks: 1}, false)
			if err != nil {
				t.Fatal(err)
			}
			if !exact(r.TimeS, tc.want, 2*n) {
				t.Errorf("n=%d %s %s: %.12g s, want %.12g s", n, tc.op, tc.algo, r.TimeS, tc.want)
			}
		}
		// NVLS: S up and S down, pipelined in many chunks: S/B plus one
		// chunk of pipeline fill and one alpha.
		const C = 1000
		r, err := runTuned(g, AllReduce, NVLS, S, Options{Chunks: C}, false)
		if err != nil {
			t.Fatal(err)
		}
		want := over + alpha + S/bw + S/C/bw
		if !exact(r.TimeS, want, 2*C) {
			t.Errorf("n=%d nvls: %.12g s, want %.12g s", n, r.TimeS, want)
		}
	}
}

// TestNVLSReduceLatency: a reducing switch's reduce_latency replaces a
// smaller op_overhead for NVLS (and only NVLS), and on the H100 preset it
// makes a 1 KiB NVLS allreduce cost NCCL's 25 us, so auto picks another
// algorithm there while NVLS still wins at 1 GiB.
func TestNVLSReduceLatency(t *testing.T) {
	const n, bw, alpha, over, lat = 8, 100e9, 2e-6, 5e-6, 25e-6
	f := ideal(t, n, bw, alpha, over, true)
	for _, sw := range f.Topo.Switches {
		sw.Spec.ReduceLatencyS = lat
	}
	g := group(t, f, n)
	const S, C = 64e6, 1000
	r, err := runTuned(g, AllReduce, NVLS, S, Options{Chunks: C}, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := lat + alpha + S/bw + S/C/bw; !exact(r.TimeS, want, 2*C) {
		t.Errorf("nvls with reduce_latency: %.12g s, want %.12g s", r.TimeS, want)
	}
	r, err = runTuned(g, AllReduce, Ring, S, Options{Chunks: 1}, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := over + 2*(n-1)*alpha + 2*(n-1)/float64(n)*S/bw; !exact(r.TimeS, want, 2*n) {
		t.Errorf("ring must keep op_overhead: %.12g s, want %.12g s", r.TimeS, want)
	}

	top, err := topology.Load("hgx-h100", 0)
	if err != nil {
		t.Fatal(err)
	}
	h := group(t, network.NewFabric(top), 8)
	small, err := runTuned(h, AllReduce, NVLS, 1024, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if small.TimeS < 25e-6 {
		t.Errorf("hgx-h100 1 KiB nvls %.3g s, want at least NCCL's 25 us", small.TimeS)
	}
	for _, tc := range []struct {
		bytes float64
		nvls  bool
	}{{1024, false}, {1 << 30, true}} {
		r, err := runTuned(h, AllReduce, Auto, tc.bytes, Options{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if (r.Algorithm == NVLS) != tc.nvls {
			t.Errorf("hgx-h100 auto allreduce of %g B picked %s", tc.bytes, r.Algorithm)
		}
	}
}

// TestBusBW: ring busbw on an ideal fabric with no latency equals the link
// rate, whatever the rank count.
func TestBusBW(t *testing.T) {
	for _, n := range []int{4, 16} {
		f := ideal(t, n, 50e9, 0, 0, false)
		r, err := runTuned(group(t, f, n), AllReduce, Ring, 1<<30, Options{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.BusBW-50e9) > 1e-6*50e9 {
			t.Errorf("n=%d busbw %g, want 50e9", n, r.BusBW)
		}
	}
}

// TestContention: two allreduces on the same ranks take twice as long as
// one; on disjoint ranks of a non-blocking switch they do not interfere.
func TestContention(t *testing.T) {
	f := ideal(t, 8, 100e9, 0, 0, false)
	all := group(t, f, 8)
	one, err := runJobsTogether(f, []Job{{Group: all, Op: AllReduce, Algorithm: Ring, Bytes: 1e9}}, false)
	if err != nil {
		t.Fatal(err)
	}
	two, err := runJobsTogether(f, []Job{
		{Group: all, Op: AllReduce, Algorithm: Ring, Bytes: 1e9},
		{Group: all, Op: AllReduce, Algorithm: Ring, Bytes: 1e9}}, false)

	if err != nil {
		t.Fatal(err)
	}
	if !near(two[0].TimeS, 2*one[0].TimeS) || !near(two[1].TimeS, 2*one[0].TimeS) {
		t.Errorf("shared: %g and %g s, want 2 x %g", two[0].TimeS, two[1].TimeS, one[0].TimeS)
	}
	a, _ := NewGroup(f, Placement{List: []int{0, 1, 2, 3}})
	b, _ := NewGroup(f, Placement{List: []int{4, 5, 6, 7}})
	alone, _ := runJobsTogether(f, []Job{{Group: a, Op: AllReduce, Algorithm: Ring, Bytes: 1e9}}, false)
	both, _ := runJobsTogether(f, []Job{
		{Group: a, Op: AllReduce, Algorithm: Ring, Bytes: 1e9},
		{Group: b, Op: AllReduce, Algorithm: Ring, Bytes: 1e9}}, false)

	if !near(both[0].TimeS, alone[0].TimeS) {
		t.Errorf("disjoint: %g s, alone %g s", both[0].TimeS, alone[0].TimeS)
	}
}

// oversubscribed builds 32 single-accelerator domains, one 50 GB/s NIC
// each, four per leaf of a leaf/spine scale-out whose leaves are over:1
// oversubscribed.
func oversubscribed(t *testing.T, over float64) *network.Fabric {
	t.Helper()
	acc := &topology.AcceleratorSpec{Name: "x", Dies: 1, MaxW: 1}
	leaf := &topology.SwitchSpec{Name: "leaf", Ports: 64}
	top, err := topology.Build(topology.ClusterSpec{Name: "so", Domains: 32,
		Domain: topology.DomainSpec{Accel: acc, Servers: 1, AccelsPerServer: 1, NICsPerAccel: 1,
			NIC:    &topology.NICSpec{Name: "nic", Ports: 1, PortBytesPerS: 50e9, Optics: -1},
			Fabric: &topology.RingFabric{Link: topology.LinkSpec{Class: "none", LaneBytesPerS: 1, Optics: -1}}},
		ScaleOut: &topology.ScaleOutSpec{Leaf: leaf, Spine: leaf, LeafDownPorts: 4, Oversubscription: over,
			NICLink: topology.LinkSpec{Class: "nic", LaneBytesPerS: 50e9, Optics: -1},
			Uplink:  topology.LinkSpec{Class: "up", LaneBytesPerS: 50e9, Optics: -1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return network.NewFabric(top)
}

// TestOversubscribedAllToAll: an alltoall of 32 ranks, one per domain,
// four per leaf, over a 2:1 oversubscribed scale-out. Of each rank's 31
// peers 28 sit behind other leaves; non-blocking, the NICs bound the time;
// at 2:1 the leaf uplinks carry 28/31 of the NIC load on half the
// capacity, so the time grows by exactly 2 x 28/31 (approaching 2 as the
// network grows).
func TestOversubscribedAllToAll(t *testing.T) {
	build := func(over float64) *network.Fabric { return oversubscribed(t, over) }
	time := func(f *network.Fabric) float64 {
		g, err := NewGroup(f, Placement{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := runTuned(g, AllToAll, Direct, 32e9, Options{}, false)
		if err != nil {
			t.Fatal(err)
		}
		return r.TimeS
	}
	full, half := time(build(1)), time(build(2))
	// The bytes scale exactly; the fixed latencies (NCCL's proxy lag
	// across domains among them, tens of us on 0.6 s) do not.
	if want := 2 * 28.0 / 31; math.Abs(half/full-want) > 1e-4 {
		t.Errorf("2:1 oversubscribed alltoall %g s vs non-blocking %g s: ratio %.6f, want %.6f", half, full, half/full, want)
	}
}

func TestCompileErrors(t *testing.T) {
	f := ideal(t, 6, 1e9, 0, 0, false)
	g := group(t, f, 6)
	for _, tc := range []struct {
		op   Op
		algo Algorithm
		want string
	}{
		{AllReduce, NVLS, "reduce in the network"},
		{AllReduce, HalvDoub, "power-of-two"},
		{AllReduce, Hier, "at least 2 scale-up domains"},
		{AllToAll, Ring, "has no ring algorithm"},
	} {
		_, err := Compile(g, tc.op, tc.algo, 1e6, Options{})
		if err == nil || !contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want %q", tc.op, tc.algo, err, tc.want)
		}
	}
	if _, err := NewGroup(f, Placement{Ranks: 7}); err == nil || !contains(err.Error(), "6 accelerator dies") {
		t.Errorf("too many ranks: %v", err)
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0))
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestAllAlgorithmsRun runs every op and algorithm on real presets and
// checks basic sanity: positive times, busbw below the per-rank capacity.
func TestAllAlgorithmsRun(t *testing.T) {
	for _, name := range []string{"hgx-h100", "cm384", "tpu-v5p-cube"} {
		top, err := topology.Load(name, 2)
		if err != nil {
			t.Fatal(err)
		}
		f := network.NewFabric(top)
		g, err := NewGroup(f, Placement{Ranks: 16})
		if err != nil {
			t.Fatal(err)
		}
		if name == "hgx-h100" {
			g, _ = NewGroup(f, Placement{}) // both domains
		}
		for _, op := range Ops {
			if op == MoEDispatch || op == MoECombine {
				continue
			}
			for _, a := range AlgorithmsFor(op) {
				if _, err := Compile(g, op, a, 1<<24, Options{}); err != nil {
					continue
				}
				r, err := runTuned(g, op, a, 1<<24, Options{}, false)
				if err != nil {
					t.Fatalf("%s %s %s: %v", name, op, a, err)
				}
				if r.TimeS <= 0 || math.IsNaN(r.BusBW) {
					t.Errorf("%s %s %s: time %g busbw %g", name, op, a, r.TimeS, r.BusBW)
				}
			}
		}
	}
}

// TestTooLarge: a plan past MaxTransfers is refused with its size, before
// it is built, and Auto refuses rather than choose among the plans that fit.
func TestTooLarge(t *testing.T) {
	defer func(m int) { MaxTransfers = m }(MaxTransfers)
	MaxTransfers = 100
	g := group(t, ideal(t, 8, 1e9, 0, 0, false), 8)
	for _, tc := range []struct {
		op    Op
		algo  Algorithm
		wants int64
	}{
		{AllReduce, Ring, 8 * 14},
		{AllToAll, Direct, 8 * 7},
		{AllToAll, Pairwise, 8 * 7},
	} {
		MaxTransfers = int(tc.wants) - 1
		_, err := Compile(g, tc.op, tc.algo, 1e6, Options{})
		var big *TooLargeError
		if !errors.As(err, &big) || big.Transfers != tc.wants {
			t.Errorf("%s %s: %v, want a TooLargeError of %d transfers", tc.op, tc.algo, err, tc.wants)
			continue
		}
		MaxTransfers = int(tc.wants)
		p, err := Compile(g, tc.op, tc.algo, 1e6, Options{})
		if err != nil || p.Transfers() != int(tc.wants) {
			t.Errorf("%s %s at the limit: %v", tc.op, tc.algo, err)
		}
	}
	MaxTransfers = 20
	if _, err := runTuned(g, AllReduce, Auto, 1e6, Options{}, false); err == nil || !contains(err.Error(), "algorithm: auto cannot compare every algorithm") {
		t.Errorf("auto past the limit: %v", err)
	}
}
