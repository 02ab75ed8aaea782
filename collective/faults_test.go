package collective

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// faulted loads a preset and returns it healthy and with the faults.
func faulted(t *testing.T, name string, specs ...string) (healthy, broken *topology.Topology) {
	t.Helper()
	top, err := topology.Load(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := topology.ParseFaults(specs)
	if err != nil {
		t.Fatal(err)
	}
	ft, err := top.WithFaults(fs)
	if err != nil {
		t.Fatal(err)
	}
	return top, ft
}

// busbwRatio runs op on both topologies and returns faulty over healthy
// bus bandwidth.
func busbwRatio(t *testing.T, healthy, broken *topology.Topology, p Placement, op Op, algo Algorithm, bytes float64) float64 {
	t.Helper()
	var bw [2]float64
	for i, top := range []*topology.Topology{healthy, broken} {
		g, err := NewGroup(network.NewFabric(top), p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := runTuned(g, op, algo, bytes, Options{ChunkBytes: 4 << 20}, false)
		if err != nil {
			t.Fatal(err)
		}
		bw[i] = r.BusBW
	}
	return bw[1] / bw[0]
}

// TestFaultNVL72Plane: with one of 18 NVSwitch planes out, a GPU pair and
// the whole-rack allreduce keep 17/18 of their bandwidth (to the fixed
// latencies' share) where the links limit them. NCCL's copy rate
// (nccltune.go) holds a GPU pair's send below 17/18 of its NVLink 5
// rate, so with it the pair loses nothing; the link model is checked
// with it off.
func TestFaultNVL72Plane(t *testing.T) {
	h, f := faulted(t, "gb200-nvl72", "plane:3")
	if r := busbwRatio(t, h, f, Placement{List: []int{0, 1}}, SendRecv, Auto, 1<<30); math.Abs(r-1) > 1e-9 {
		t.Errorf("GPU pair keeps %.4f of its bandwidth with a plane out, want 1: its copy rate, not the links, limits it", r)
	}
	copyLimits = false
	defer func() { copyLimits = true }()
	if r := busbwRatio(t, h, f, Placement{List: []int{0, 1}}, SendRecv, Auto, 1<<30); math.Abs(r-17.0/18) > 0.002 {
		t.Errorf("GPU pair keeps %.4f of its bandwidth with a plane out, want 17/18 = %.4f", r, 17.0/18)
	}
	if r := busbwRatio(t, h, f, Placement{}, AllReduce, Auto, 1<<30); math.Abs(r-17.0/18) > 0.005 {
		t.Errorf("allreduce keeps %.4f of its busbw with a plane out, want about 17/18 = %.4f", r, 17.0/18)
	}
}

// TestFaultCM384Subplane: with the 16 L2 chips of one of 7 sub-planes out,
// dies in different servers keep 6/7 of their bandwidth.
func TestFaultCM384Subplane(t *testing.T) {
	h, f := faulted(t, "cm384", "switch:l2.sp3.*")
	// Die 0 (server 0) to die 16 (server 1).
	if r := busbwRatio(t, h, f, Placement{List: []int{0, 16}}, SendRecv, Auto, 1<<30); math.Abs(r-6.0/7) > 0.002 {
		t.Errorf("die pair across servers keeps %.4f, want 6/7 = %.4f", r, 6.0/7)
	}
	// Within a server the sub-plane's L1 chip still works: nothing lost.
	if r := busbwRatio(t, h, f, Placement{List: []int{0, 2}}, SendRecv, Auto, 1<<30); math.Abs(r-1) > 0.002 {
		t.Errorf("die pair within a server keeps %.4f, want 1", r)
	}
}

// TestFaultAccelShrinksGroup: a failed accelerator holds no rank; the
// group re-forms over the survivors.
func TestFaultAccelShrinksGroup(t *testing.T) {
	_, f := faulted(t, "gb200-nvl72", "accel:17")
	fab := network.NewFabric(f)
	g, err := NewGroup(fab, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	if g.Size() != 71 {
		t.Errorf("group of %d ranks, want 71", g.Size())
	}
	for _, d := range g.Dies {
		if f.Nodes[d].Index == 17 {
			t.Error("a rank sits on the failed accelerator")
		}
	}
	g, err = NewGroup(fab, Placement{Ranks: 20})
	if err != nil || g.Dies[17] != f.Accels[18].Dies[0] {
		t.Errorf("--ranks 20 should skip accelerator 17: %v", err)
	}
	if _, err := runTuned(g, AllReduce, Auto, 1<<20, Options{}, false); err != nil {
		t.Error(err)
	}
	if _, err := NewGroup(fab, Placement{Ranks: 72}); err == nil || !strings.Contains(err.Error(), "71 surviving") {
		t.Errorf("72 ranks on 71 survivors: %v", err)
	}
	_, c := faulted(t, "cm384", "accel:3")
	g, err = NewGroup(network.NewFabric(c), Placement{PerAccel: true})
	if err != nil || g.Size() != 383 {
		t.Errorf("per-accel group on cm384 without accelerator 3: %v", err)
	}
}

// TestFaultCutGroup: a rank whose links are all gone cannot be reached,
// and the error says the faults cut the group.
func TestFaultCutGroup(t *testing.T) {
	var specs []string
	for p := range 18 {
		specs = append(specs, fmt.Sprintf("link:acc5-sw%d", p))
	}
	_, f := faulted(t, "gb200-nvl72", specs...)
	g, err := NewGroup(network.NewFabric(f), Placement{Ranks: 8})
	if err != nil {
		t.Fatal(err)
	}
	_, err = runTuned(g, AllReduce, Ring, 1<<20, Options{}, false)
	if err == nil || !strings.Contains(err.Error(), "cut the group") || !strings.Contains(err.Error(), "no route") ||
		!strings.Contains(err.Error(), "acc5") {
		t.Errorf("cut-off rank: %v", err)
	}
	_, err = runTuned(g, AllReduce, Auto, 1<<20, Options{}, false)
	if err == nil || !strings.Contains(err.Error(), "cut the group") {
		t.Errorf("cut-off rank, auto: %v", err)
	}
}
