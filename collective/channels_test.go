package collective

import (
	"math"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// nicRate is the slowest NIC-to-switch channel of f: one NIC's rate out.
func nicRate(t *testing.T, f *network.Fabric) float64 {
	t.Helper()
	rate := math.Inf(1)
	for _, ch := range f.Channels() {
		if f.Topo.Nodes[f.Members(ch.From)[0]].Kind == topology.KindNIC {
			rate = math.Min(rate, ch.BytesPerS)
		}
	}
	if math.IsInf(rate, 1) {
		t.Fatal("no NIC")
	}
	return rate
}

// TestRingRails: across 2 to 16 HGX H100 nodes a ring allreduce of 1 GiB
// runs one channel per NIC, as NCCL's does, so its bus bandwidth reaches
// toward the 8-rail bound (8 NICs' rate: busbw counts each rank's
// 2(n-1)/n·S, and a node's 8 ranks send it out over its 8 NICs) and never
// passes it, far above the one NIC a single ring in rank order leaves a
// node by.
func TestRingRails(t *testing.T) {
	for _, nodes := range []int{2, 4, 8, 16} {
		top, err := topology.Load("hgx-h100", nodes)
		if err != nil {
			t.Fatal(err)
		}
		f := network.NewFabric(top)
		g, err := NewGroup(f, Placement{})
		if err != nil {
			t.Fatal(err)
		}
		if chs := crossRings(g); len(chs) != 8 {
			t.Fatalf("%d nodes: %d ring channels, want one per NIC (8)", nodes, len(chs))
		}
		r, err := Run(g, AllReduce, Ring, 1<<30, Options{Protocol: Simple}, false)
		if err != nil {
			t.Fatal(err)
		}
		nic := nicRate(t, f)
		bound := 8 * nic
		t.Logf("%d nodes: busbw %.1f GB/s, 8-rail bound %.1f GB/s", nodes, r.BusBW/1e9, bound/1e9)
		if r.BusBW > bound*(1+1e-9) || r.BusBW < 0.7*bound || r.BusBW < 5*nic {
			t.Errorf("%d nodes: busbw %.1f GB/s; want within the 8-rail bound %.1f GB/s, near it and far above one NIC's %.1f GB/s",
				nodes, r.BusBW/1e9, bound/1e9, nic/1e9)
		}
	}
}

// TestRingChannelShape: each channel enters a node at the rank beside
// its NIC, visits the node's ranks from there in order, and forwards
// its last rank's send through the entry rank (PXN); together the
// channels carry the whole buffer, and a group within one domain, or of
// one rank per domain, keeps the single ring in rank order.
func TestRingChannelShape(t *testing.T) {
	top, err := topology.Load("hgx-h100", 3)
	if err != nil {
		t.Fatal(err)
	}
	f := network.NewFabric(top)
	g, err := NewGroup(f, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	chs := crossRings(g)
	share := 0.0
	for c, ch := range chs {
		share += ch.share
		for i, r := range ch.order {
			node, j := i/8, i%8
			if want := node*8 + (c+j)%8; r != want {
				t.Fatalf("channel %d position %d: rank %d, want %d", c, i, r, want)
			}
			want := network.Vertex(-1)
			if j == 7 {
				want = g.verts[node*8+c]
			}
			if ch.via[i] != want {
				t.Errorf("channel %d position %d: via %d, want %d", c, i, ch.via[i], want)
			}
		}
	}
	if math.Abs(share-1) > 1e-12 {
		t.Errorf("shares sum to %v", share)
	}
	for _, pl := range []Placement{{Ranks: 8}, {PerServer: true}} {
		g, err := NewGroup(f, pl)
		if err != nil {
			t.Fatal(err)
		}
		if chs := crossRings(g); chs != nil {
			t.Errorf("%+v: %d channels, want the single ring", pl, len(chs))
		}
	}
}
