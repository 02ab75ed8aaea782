package collective

import (
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// TestMeshCycles: the search finds ⌊(n-1)/2⌋ edge-disjoint Hamiltonian
// cycles of K_n for every board size up to maxMeshRanks.
func TestMeshCycles(t *testing.T) {
	for n := 3; n <= maxMeshRanks; n++ {
		cycles := hamiltonianCycles(n)
		if n%2 == 1 {
			cycles = walecki(n)
		}
		if len(cycles) != (n-1)/2 {
			t.Errorf("K%d: %d cycles, want %d", n, len(cycles), (n-1)/2)
		}
		used := map[[2]int]bool{}
		for _, c := range cycles {
			seen := map[int]bool{}
			for i, u := range c {
				v := c[(i+1)%len(c)]
				e := [2]int{min(u, v), max(u, v)}
				if used[e] {
					t.Errorf("K%d: edge %v in two cycles", n, e)
				}
				used[e] = true
				seen[u] = true
			}
			if len(c) != n || len(seen) != n {
				t.Errorf("K%d: cycle %v is not Hamiltonian", n, c)
			}
		}
	}
}

// TestMeshRings: on an 8-GPU MI355X board (each GPU linked to its seven
// peers) a ring allreduce runs 6 directed rings, 2 on each of 3
// edge-disjoint Hamiltonian cycles, so 6 of a GPU's 7 links carry it in
// each direction: its bus bandwidth reaches 6 links' rate (within the
// per-step latency, 4% at 1 GiB), where one ring in rank order got one.
func TestMeshRings(t *testing.T) {
	top, err := topology.Load("mi355x-8", 1)
	if err != nil {
		t.Fatal(err)
	}
	f := network.NewFabric(top)
	g, err := NewGroup(f, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	chs := meshRings(g)
	if len(chs) != 6 {
		t.Fatalf("%d mesh rings, want 6", len(chs))
	}
	link := 0.0
	for _, ch := range f.Channels() {
		if ch.From == g.verts[0] && ch.To == g.verts[1] {
			link = ch.BytesPerS
		}
	}
	r, err := runTuned(g, AllReduce, Ring, 1<<30, Options{Protocol: Simple}, false)
	if err != nil {
		t.Fatal(err)
	}
	bound := 6 * link
	if r.BusBW > bound*(1+1e-9) || r.BusBW < 0.96*bound {
		t.Errorf("ring allreduce on the mesh: busbw %.1f GB/s, want near 6 links' %.1f GB/s", r.BusBW/1e9, bound/1e9)
	}
	// A group on the NVSwitch of an HGX H100 is no mesh: one ring.
	h, err := topology.Load("hgx-h100", 1)
	if err != nil {
		t.Fatal(err)
	}
	gh, err := NewGroup(network.NewFabric(h), Placement{})
	if err != nil {
		t.Fatal(err)
	}
	if chs := meshRings(gh); chs != nil {
		t.Errorf("HGX H100: %d mesh rings, want none (a switched fabric)", len(chs))
	}
}
