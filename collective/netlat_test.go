package collective

import (
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// withoutLag runs job's plan with its network lag taken off: the same
// transfers, routes without NCCL's proxy.
func withoutLag(t *testing.T, j Job) (with, without Result) {
	t.Helper()
	f := j.Group.Fabric
	for _, lag := range []bool{true, false} {
		p, err := compileJob(j, false)
		if err != nil {
			t.Fatal(err)
		}
		if !lag {
			p.netLag = 0
		}
		rs, err := runPlans(f, []Job{j}, []*Plan{p}, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if lag {
			with = rs[0]
		} else {
			without = rs[0]
		}
	}
	return with, without
}

// TestNetLag: a step across scale-up domains pays NCCL's network share,
// as a lag the receiver waits for. A small allreduce across two HGX H100
// nodes is latency-bound: its ring crosses between the nodes 2·(16-1)/8
// times or more on its longest chain, each crossing NCCL's NET less NVLINK
// ring latency (2.1 us with LL), so it slows by at least that much; a
// large one hides the lag behind its bytes (NCCL's 8 steps in flight), so
// it stays within 2%. Within one domain, and for MoE dispatch (DeepEP
// posts from the GPU), nothing changes.
func TestNetLag(t *testing.T) {
	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		t.Fatal(err)
	}
	f := network.NewFabric(top)
	g, err := NewGroup(f, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	small, smallFree := withoutLag(t, Job{Group: g, Op: AllReduce, Algorithm: Ring, Bytes: 8, Options: Options{Protocol: LL}})
	if d, want := small.TimeS-smallFree.TimeS, 3*netRingLL.Seconds(); d < want {
		t.Errorf("8 B ring across 2 nodes: %.2f us with the lag, %.2f us without: %.2f us more, want at least %.2f", small.TimeS*1e6, smallFree.TimeS*1e6, d*1e6, want*1e6)
	}
	tree, treeFree := withoutLag(t, Job{Group: g, Op: AllReduce, Algorithm: Tree, Bytes: 8, Options: Options{Protocol: LL}})
	if d, want := tree.TimeS-treeFree.TimeS, 2*netTreeLL.Seconds(); d < want*(1-1e-9) {
		t.Errorf("8 B tree across 2 nodes: %.2f us more with the lag, want at least %.2f (up and down)", d*1e6, want*1e6)
	}
	big, bigFree := withoutLag(t, Job{Group: g, Op: AllReduce, Algorithm: Ring, Bytes: 1 << 30, Options: Options{Protocol: Simple}})
	if r := big.TimeS / bigFree.TimeS; r < 1 || r > 1.02 {
		t.Errorf("1 GiB ring across 2 nodes: %.1f us with the lag, %.1f without: %.4fx, want 1 to 1.02", big.TimeS*1e6, bigFree.TimeS*1e6, r)
	}
	one, err := NewGroup(f, Placement{Ranks: 8})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := withoutLag(t, Job{Group: one, Op: AllReduce, Algorithm: Ring, Bytes: 8, Options: Options{Protocol: LL}}); a.TimeS != b.TimeS {
		t.Errorf("within one node: %g s with the lag, %g s without; want the same", a.TimeS, b.TimeS)
	}
	p, err := Compile(g, MoEDispatch, Direct, 1<<20, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.netLag != 0 {
		t.Errorf("MoE dispatch pays a network lag of %v; DeepEP posts from the GPU, want none", p.netLag)
	}
	if p, err := Compile(g, AllReduce, Ring, 1<<20, Options{Protocol: Simple}); err != nil || p.netLag != netRingSimple {
		t.Errorf("ring Simple across nodes: lag %v (%v), want %v", p.netLag, err, netRingSimple)
	}
}

// TestAutoAcrossDomains: across scale-up domains Auto takes only what
// NCCL runs there, never a one-shot or halving-doubling allreduce; within
// one domain it still tries them.
func TestAutoAcrossDomains(t *testing.T) {
	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		t.Fatal(err)
	}
	f := network.NewFabric(top)
	for _, ranks := range []int{8, 16} {
		g, err := NewGroup(f, Placement{Ranks: ranks})
		if err != nil {
			t.Fatal(err)
		}
		r, err := runTuned(g, AllReduce, Auto, 8, Options{}, false)
		if err != nil {
			t.Fatal(err)
		}
		across := r.Algorithm == Direct || r.Algorithm == HalvDoub
		if ranks == 16 && across {
			t.Errorf("16 ranks on 2 nodes: auto chose %s, which NCCL does not run across nodes", r.Algorithm)
		}
		if ranks == 8 && !across {
			t.Logf("8 ranks in one node: auto chose %s", r.Algorithm)
		}
	}
}
