package collective

import (
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

func benchRun(b *testing.B, name string, domains int, pl Placement, op Op, algo Algorithm, bytes float64) {
	top, err := topology.Load(name, domains)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var r Result
	for b.Loop() {
		f := network.NewFabric(top)
		g, err := NewGroup(f, pl)
		if err != nil {
			b.Fatal(err)
		}
		r, err = runTuned(g, op, algo, bytes, Options{Protocol: Simple}, false)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Transfers), "transfers")
	b.ReportMetric(r.BusBW/1e9, "busbw_GB/s")
}

// 72-rank ring allreduce of 8 GiB on NVL72 with chunked pipelining.
func BenchmarkRingAllReduceNVL72_8GiB(b *testing.B) {
	benchRun(b, "gb200-nvl72", 0, Placement{}, AllReduce, Ring, 8<<30)
}

// 384-rank uniform alltoall of 1 GiB on CloudMatrix 384: 147,072 flows.
func BenchmarkAllToAllCM384_1GiB(b *testing.B) {
	benchRun(b, "cm384", 0, Placement{PerAccel: true}, AllToAll, Direct, 1<<30)
}

// 1,024-rank ring allreduce of 1 GiB over 128 HGX H100 nodes on a
// leaf/spine scale-out.
func BenchmarkRingAllReduceH100x128_1GiB(b *testing.B) {
	benchRun(b, "hgx-h100", 128, Placement{}, AllReduce, Ring, 1<<30)
}

// 1,024-rank hierarchical allreduce of 1 GiB over 128 HGX H100 nodes on a
// leaf/spine scale-out: rings within each node, across nodes, within again.
func BenchmarkHierAllReduceH100x128_1GiB(b *testing.B) {
	benchRun(b, "hgx-h100", 128, Placement{}, AllReduce, Hier, 1<<30)
}

// 1,024-rank allreduce of 1 GiB over 128 HGX H100 nodes with Auto, which
// prices every candidate algorithm before it simulates the one it picks.
func BenchmarkAutoAllReduceH100x128_1GiB(b *testing.B) {
	benchRun(b, "hgx-h100", 128, Placement{}, AllReduce, Auto, 1<<30)
}

// One MoE dispatch of a 4,096-token prefill (DeepSeek-V3 shape: 256
// experts, top 8, FP8 tokens) over 256 GPUs, 32 HGX H100 nodes: RunMoE
// prices both protocols before it simulates the faster.
func BenchmarkMoEDispatchH100x32(b *testing.B) {
	top, err := topology.Load("hgx-h100", 32)
	if err != nil {
		b.Fatal(err)
	}
	m := MoE{TokensPerRank: 4096, Hidden: 7168, TopK: 8, Experts: 256, DispatchBytesPerToken: 7392, CombineBytesPerToken: 14336}
	b.ReportAllocs()
	var r Result
	for b.Loop() {
		g, err := NewGroup(network.NewFabric(top), Placement{})
		if err != nil {
			b.Fatal(err)
		}
		if r, err = runMoEOne(g, m, false, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Transfers), "transfers")
}

// Uniform alltoall of 1 GiB over every die of CloudMatrix 384 (768 ranks,
// 589,056 flows) with auto algorithm and protocol, as the CLI runs it by
// default.
func BenchmarkAllToAllCM384Dies_1GiB(b *testing.B) {
	top, err := topology.Load("cm384", 0)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var r Result
	for b.Loop() {
		g, err := NewGroup(network.NewFabric(top), Placement{})
		if err != nil {
			b.Fatal(err)
		}
		if r, err = runTuned(g, AllToAll, Auto, 1<<30, Options{}, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Transfers), "transfers")
	b.ReportMetric(r.BusBW/1e9, "busbw_GB/s")
}

// 1,024-rank double binary tree allreduce of 1 GiB over 128 HGX H100
// nodes: 16 tree channels (two per NIC), what Auto picks there.
func BenchmarkTreeAllReduceH100x128_1GiB(b *testing.B) {
	benchRun(b, "hgx-h100", 128, Placement{}, AllReduce, Tree, 1<<30)
}

// The scale cases of issue #12, as 'cardsea collective --algo auto' runs
// them (the topology built, both protocols priced), each op a whole run:
// 'make bench-scale' runs them -benchtime 1x -count 5, and 'make
// bench-scale-cli' runs the same cases through the CLI.
func benchScale(b *testing.B, name string, domains int, op Op, bytes float64) {
	b.ReportAllocs()
	var r Result
	for b.Loop() {
		top, err := topology.Load(name, domains)
		if err != nil {
			b.Fatal(err)
		}
		g, err := NewGroup(network.NewFabric(top), Placement{})
		if err != nil {
			b.Fatal(err)
		}
		if r, err = runTuned(g, op, Auto, bytes, Options{}, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(r.Transfers), "transfers")
	b.ReportMetric(r.BusBW/1e9, "busbw_GB/s")
}

// 1,024 ranks, 128 x HGX H100 on leaf/spine: Auto takes the tree.
func BenchmarkScaleAllReduceH100x128_1GiB(b *testing.B) {
	benchScale(b, "hgx-h100", 128, AllReduce, 1<<30)
}

// 8,192 ranks, 1,024 x HGX H100 on leaf/spine: Auto takes the tree
// (ring, direct and the LL tree are too large to run and ruled out by
// their bounds).
func BenchmarkScaleAllReduceH100x1024_1GiB(b *testing.B) {
	benchScale(b, "hgx-h100", 1024, AllReduce, 1<<30)
}

// 16,384 GPUs, 2,048 x HGX H100 on a three-tier fat tree: Auto takes
// the tree, 8.4 M transfers, simulated whole past the pricing limit.
func BenchmarkScaleAllReduceH100x2048_1GiB(b *testing.B) {
	benchScale(b, "hgx-h100", 2048, AllReduce, 1<<30)
}

// 131,072 GPUs, 16,384 x HGX H100, a three-tier plane per rail: the tree,
// 67 M transfers (about 6 GB, 50 s on this machine's 2 cores).
func BenchmarkScaleAllReduceH100x16384_1GiB(b *testing.B) {
	benchScale(b, "hgx-h100", 16384, AllReduce, 1<<30)
}

// 1,152 ranks, 16 x GB200 NVL72 racks on InfiniBand.
func BenchmarkScaleAllReduceNVL72x16_1GiB(b *testing.B) {
	benchScale(b, "gb200-nvl72", 16, AllReduce, 1<<30)
}

// 8,192 NPUs of Atlas 950 SuperPoD in one UB domain: Auto takes hd (HCCL
// has no tree, so auto does not try one).
func BenchmarkScaleAllReduceAtlas950_1GiB(b *testing.B) {
	benchScale(b, "atlas-950", 0, AllReduce, 1<<30)
}
