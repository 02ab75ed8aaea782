package study

import (
	"math"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/topology"
)

// busbw runs spec at one size on preset with domains and returns the
// bus bandwidth and the algorithm chosen.
func busbw(t *testing.T, preset string, domains int, spec CollectiveSpec) (float64, string) {
	t.Helper()
	return busbwOn(t, preset, domains, "", spec)
}

// busbwOn is busbw with the scale-out network on transport ("": the
// preset's).
func busbwOn(t *testing.T, preset string, domains int, transport string, spec CollectiveSpec) (float64, string) {
	t.Helper()
	job, err := spec.Compile()
	if err != nil {
		t.Fatal(err)
	}
	top, err := topology.LoadOpts(preset, topology.LoadOptions{Domains: domains, Transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	gs, err := job.Place(job.Fabric(top))
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := job.Run(gs, job.Sizes[0], false)
	if err != nil {
		t.Fatal(err)
	}
	return r.BusBW, string(r.Algorithm)
}

// TestNCCLKnobs: each NCCL setting a published run names moves the result
// the way it moves NCCL's. NCCL_MAX_NCHANNELS=4 on two HGX H100 nodes
// leaves half the NICs idle: a ring's bus bandwidth falls to about half.
// NCCL_MNNVL_ENABLE=0 on two NVL72 trays sends their traffic over the
// trays' four NICs, far below NVLink. NCCL_P2P_DISABLE=1 within one HGX
// node does the same with its eight. NCCL_ALGO and NCCL_PROTO values cardsea
// does not run are refused with what to run instead.
func TestNCCLKnobs(t *testing.T) {
	ring := CollectiveSpec{Op: "allreduce", Sizes: "1GiB", Algorithm: "ring", Protocol: "simple"}
	full, _ := busbw(t, "hgx-h100", 2, ring)
	four := ring
	four.Channels = 4
	half, _ := busbw(t, "hgx-h100", 2, four)
	if r := half / full; r < 0.4 || r > 0.6 {
		t.Errorf("channels 4 of 8 NICs: busbw %.1f GB/s against %.1f with every NIC: %.2fx, want about half", half/1e9, full/1e9, r)
	}

	trays := CollectiveSpec{Op: "allreduce", Sizes: "1GiB", Ranks: 8}
	nvlink, algo := busbw(t, "gb200-nvl72", 2, trays)
	// Ring, as published network runs force it (NCCL_ALGO=Ring): on two
	// nodes a tree's busbw passes the network's (nccl issue 946).
	trays.MNNVLDisable, trays.Algorithm = true, "ring"
	ib, algoIB := busbw(t, "gb200-nvl72", 2, trays)
	// Two trays of 4 GPUs, each GPU one 400G NIC: the ring's bound is 4
	// NICs' rate, 4 x 46 GB/s.
	if ib > 4*50e9 || ib < 0.6*4*46e9 || ib > nvlink/2 {
		t.Errorf("mnnvl_disable, 8 GPUs on 2 trays: busbw %.1f GB/s (%s) against %.1f over NVLink (%s); want near 4 NICs' 184 GB/s", ib/1e9, algoIB, nvlink/1e9, algo)
	}

	node := CollectiveSpec{Op: "allreduce", Sizes: "1GiB", Ranks: 8}
	nv, _ := busbw(t, "hgx-h100", 2, node)
	node.P2PDisable, node.Algorithm = true, "ring"
	net, _ := busbw(t, "hgx-h100", 2, node)
	if net > 50e9 || net < 0.6*46e9 || net > nv/4 {
		t.Errorf("p2p_disable within one HGX node: busbw %.1f GB/s against %.1f over NVLink; want near one NIC's 46 GB/s", net/1e9, nv/1e9)
	}

	for _, tc := range []struct {
		spec CollectiveSpec
		want string
	}{
		{CollectiveSpec{Algorithm: "NVLSTree"}, "hier runs the same levels"},
		{CollectiveSpec{Algorithm: "CollNetDirect"}, "SHARP"},
		{CollectiveSpec{Protocol: "LL256"}, "want auto, ll, ll128 or simple"},
		{CollectiveSpec{Channels: -1}, "channels"},
		{CollectiveSpec{MNNVLDisable: true, P2PDisable: true}, "give one"},
	} {
		if _, err := tc.spec.Compile(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one that says %q", tc.spec, err, tc.want)
		}
	}
	if _, err := (CollectiveSpec{Protocol: "LL128"}).Compile(); err != nil {
		t.Errorf("protocol LL128 (NCCL_PROTO's spelling): %v", err)
	}
	job, err := CollectiveSpec{MNNVLDisable: true}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	top, err := topology.Load("gb200-nvl72", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := job.Place(job.Fabric(top)); err == nil || !strings.Contains(err.Error(), "domains") {
		t.Errorf("mnnvl_disable on one NVL72: %v, want an error naming domains", err)
	}
}

// TestRoCE: the same two HGX H100 nodes on RoCE run a ring allreduce
// bound by their NICs 1.3% slower than on InfiniBand (RoCE's frames carry
// 82 header bytes per 4 KiB against 26), and a small one, latency-bound,
// no slower (the proxy and the switches are the same).
func TestRoCE(t *testing.T) {
	ring := CollectiveSpec{Op: "allreduce", Sizes: "8GiB", Algorithm: "ring", Protocol: "simple"}
	ib, _ := busbwOn(t, "hgx-h100", 2, "infiniband", ring)
	roce, _ := busbwOn(t, "hgx-h100", 2, "roce", ring)
	want := (4096.0 / 4178) / (4096.0 / 4122)
	if r := roce / ib; r > 1-0.005 || r < want-0.005 {
		t.Errorf("8 GiB ring: RoCE %.1f GB/s, InfiniBand %.1f: %.4fx, want about %.4f", roce/1e9, ib/1e9, r, want)
	}
	small := CollectiveSpec{Op: "allreduce", Sizes: "8", Algorithm: "ring"}
	a, _ := busbwOn(t, "hgx-h100", 2, "infiniband", small)
	b, _ := busbwOn(t, "hgx-h100", 2, "roce", small)
	if math.Abs(b/a-1) > 1e-3 {
		t.Errorf("8 B ring: RoCE %.3g B/s against InfiniBand %.3g; want the same within 0.1%%", b, a)
	}
}
