package collective

import (
	"math"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// railPlanes builds 9 domains of one server of two accelerators on a
// 100 GB/s switch, one 50 GB/s NIC each, on 4-port leaves of 2 NICs:
// too many leaves for one three-tier tree of 4-port switches, so each
// rail is a network plane of its own and no path joins the rails
// (topology's TestScaleOutThreeTier).
func railPlanes(t *testing.T) *network.Fabric {
	t.Helper()
	acc := &topology.AcceleratorSpec{Name: "x", Dies: 1, MaxW: 1}
	ib := &topology.SwitchSpec{Name: "ib", Ports: 4, PortBytesPerS: 50e9}
	top, err := topology.Build(topology.ClusterSpec{Name: "planes", Domains: 9,
		Domain: topology.DomainSpec{Accel: acc, Servers: 1, AccelsPerServer: 2, NICsPerAccel: 1,
			NIC: &topology.NICSpec{Name: "nic", Ports: 1, PortBytesPerS: 50e9, Optics: -1},
			Fabric: &topology.SwitchedFabric{Switch: &topology.SwitchSpec{Name: "nvs"}, Planes: 1, Lanes: []int{1},
				Link: topology.LinkSpec{Class: "a-s", LaneBytesPerS: 100e9, Optics: -1}}},
		ScaleOut: &topology.ScaleOutSpec{Leaf: ib, Spine: ib, LeafDownPorts: 2, Oversubscription: 1,
			NICLink: topology.LinkSpec{Class: "nic", LaneBytesPerS: 50e9, Optics: -1},
			Uplink:  topology.LinkSpec{Class: "up", LaneBytesPerS: 50e9, Optics: -1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return network.NewFabric(top)
}

// TestPXN: NCCL's alltoall sends across domains leave on the
// destination's rail, forwarded over the scale-up fabric to the rank
// beside that rail's NIC (pxn.go). On rails that are separate planes
// there is no other way: without PXN the plan has no route. Each NIC
// then carries its own rank's 8 sends on its rail and its neighbour's 8
// forwarded ones, 16 shares of S/n out and 16 in, and the time is that
// over the NIC's 50 GB/s, up to the step latencies.
func TestPXN(t *testing.T) {
	defer func(on bool, least int) { orbiting, orbitMinRanks = on, least }(orbiting, orbitMinRanks)
	f := railPlanes(t)
	g, err := NewGroup(f, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	n := g.Size()
	gs := g.with(Simple, AllToAll)
	for i := range n {
		for j := range n {
			via := gs.pxnVia(AllToAll, i, j)
			cross := i/2 != j/2 && i%2 != j%2 // another domain, the other rail
			switch {
			case cross && via != g.verts[i^1]:
				t.Fatalf("send %d -> %d forwarded via %d, want rank %d's vertex %d", i, j, via, i^1, g.verts[i^1])
			case !cross && via != -1:
				t.Fatalf("send %d -> %d forwarded via %d, want none", i, j, via)
			}
		}
	}
	if v := g.with(Simple, MoEDispatch).pxnVia(MoEDispatch, 0, 3); v != -1 {
		t.Errorf("MoE dispatch forwarded via %d: its kernels route their own way", v)
	}
	const bytes = 18 * 1e9 // S/n = 1 GB a pair
	bound := 16 * 1e9 / 50e9
	for _, orbit := range []bool{true, false} {
		orbiting, orbitMinRanks = orbit, 2
		for _, algo := range []Algorithm{Direct, Pairwise} {
			r, err := runTuned(g, AllToAll, algo, bytes, Options{Protocol: Simple}, false)
			if err != nil {
				t.Fatalf("%s (orbit %v): %v", algo, orbit, err)
			}
			if algo == Direct && (r.TimeS < bound || r.TimeS > bound*1.001) {
				t.Errorf("direct alltoall (orbit %v) %.6f s, want the NICs' %.6f s", orbit, r.TimeS, bound)
			}
			if math.IsNaN(r.TimeS) || r.TimeS < bound {
				t.Errorf("%s alltoall (orbit %v) %.6f s, under the NICs' bound %.6f s", algo, orbit, r.TimeS, bound)
			}
		}
	}
}
