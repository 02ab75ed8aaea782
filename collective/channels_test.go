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
		r, err := runTuned(g, AllReduce, Ring, 1<<30, Options{Protocol: Simple}, false)
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

// TestDoubleBinaryTree: the trees of domains are NCCL's: the first is
// the binary tree of trees.cc's illustration (14 nodes), the second its
// mirror (even counts) or its shift by one (odd), and both span every
// node from one root.
func TestDoubleBinaryTree(t *testing.T) {
	want := []int{-1, 2, 4, 2, 8, 6, 4, 6, 0, 10, 12, 10, 8, 12}
	for r, w := range want {
		if got := dtreeParent(0, r, 14); got != w {
			t.Errorf("14 nodes: node %d's parent %d, want %d", r, got, w)
		}
		if got, m := dtreeParent(1, 13-r, 14), w; (m < 0 && got != -1) || (m >= 0 && got != 13-m) {
			t.Errorf("14 nodes, second tree: node %d's parent %d, want the mirror of %d", 13-r, got, m)
		}
	}
	for d := 1; d <= 40; d++ {
		for tr := range 2 {
			roots := 0
			for r := range d {
				u, hops := r, 0
				for dtreeParent(tr, u, d) >= 0 && hops <= d {
					u, hops = dtreeParent(tr, u, d), hops+1
				}
				if hops > d {
					t.Fatalf("%d nodes, tree %d: node %d never reaches a root", d, tr, r)
				}
				if dtreeParent(tr, r, d) < 0 {
					roots++
				}
			}
			if roots != 1 {
				t.Errorf("%d nodes, tree %d: %d roots", d, tr, roots)
			}
		}
	}
	if got := dtreeParent(1, 1, 5); got != -1 {
		t.Errorf("5 nodes: the shifted tree's root is node %d's, want node 1", got)
	}
}

// TestTreeRails: a tree allreduce across 2 to 16 HGX H100 nodes runs one
// pair of trees per NIC, parents before children, and its bus bandwidth
// is far above one NIC's rate.
func TestTreeRails(t *testing.T) {
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
		trees := crossTrees(g)
		if len(trees) != 16 {
			t.Fatalf("%d nodes: %d trees, want two per NIC (16)", nodes, len(trees))
		}
		for _, tc := range trees {
			for i := 1; i < len(tc.order); i++ {
				if tc.parent[i] >= i {
					t.Fatalf("%d nodes: position %d's parent %d comes after it", nodes, i, tc.parent[i])
				}
			}
		}
		r, err := runTuned(g, AllReduce, Tree, 1<<30, Options{Protocol: Simple}, false)
		if err != nil {
			t.Fatal(err)
		}
		nic := nicRate(t, f)
		t.Logf("%d nodes: tree busbw %.1f GB/s, one NIC %.1f GB/s", nodes, r.BusBW/1e9, nic/1e9)
		if r.BusBW < 4*nic {
			t.Errorf("%d nodes: tree busbw %.1f GB/s; want far above one NIC's %.1f GB/s", nodes, r.BusBW/1e9, nic/1e9)
		}
	}
}

// TestRingChannelsFault: a NIC a fault cuts off carries no channel in any
// domain; the other NICs' channels still run.
func TestRingChannelsFault(t *testing.T) {
	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := topology.ParseFaults([]string{"link:d1.acc11.nic0-leaf.r3.3"})
	if err != nil {
		t.Fatal(err)
	}
	if top, err = top.WithFaults(fs); err != nil {
		t.Fatal(err)
	}
	g, err := NewGroup(network.NewFabric(top), Placement{})
	if err != nil {
		t.Fatal(err)
	}
	chs := crossRings(g)
	if len(chs) != 7 {
		t.Fatalf("%d channels, want 7 (rail 3 cut)", len(chs))
	}
	for _, ch := range chs {
		if ch.order[0] == 3 {
			t.Errorf("a channel enters at rank 3, whose rail is cut in domain 1")
		}
	}
	for _, a := range []Algorithm{Ring, Tree} {
		if _, err := runTuned(g, AllReduce, a, 64<<20, Options{Protocol: Simple}, false); err != nil {
			t.Errorf("%s: %v", a, err)
		}
	}
}

// TestChainRails: across HGX H100 nodes a ring broadcast and reduce run
// a chain per channel, so they too leave each node by every NIC: their
// bus bandwidth is far above one NIC's rate and within the 8 NICs'.
func TestChainRails(t *testing.T) {
	top, err := topology.Load("hgx-h100", 4)
	if err != nil {
		t.Fatal(err)
	}
	f := network.NewFabric(top)
	g, err := NewGroup(f, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	ch := crossRings(g)[2]
	for _, toRoot := range []bool{false, true} {
		order, via := ch.chainFrom(0, toRoot)
		end := order[len(order)-1]
		if (!toRoot && order[0] != 0) || (toRoot && end != 0) {
			t.Errorf("toRoot %v: chain %v does not start (or end) at the root", toRoot, order[:3])
		}
		for i := range len(order) - 1 {
			// Hop i is the ring's hop from order[i].
			for p, r := range ch.order {
				if r == order[i] && (ch.order[(p+1)%len(ch.order)] != order[i+1] || ch.via[p] != via[i]) {
					t.Fatalf("toRoot %v: hop %d (%d -> %d) is not the ring's", toRoot, i, order[i], order[i+1])
				}
			}
		}
	}
	nic := nicRate(t, f)
	for _, op := range []Op{Broadcast, Reduce} {
		r, err := runTuned(g, op, Ring, 1<<30, Options{Protocol: Simple}, false)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: busbw %.1f GB/s", op, r.BusBW/1e9)
		if r.BusBW < 4*nic || r.BusBW > 8*nic*(1+1e-9) {
			t.Errorf("%s: busbw %.1f GB/s; want far above one NIC's %.1f GB/s and within 8", op, r.BusBW/1e9, nic/1e9)
		}
	}
}
