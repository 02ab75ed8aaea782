package fidelity

import (
	"fmt"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/validation"
)

// Bytes per token per destination, as each source's own benchmark counts
// them.
const (
	hiddenDSV3 = 7168
	// fp8Normal is DeepEP's normal-kernel FP8 token: 7168 B of payload and
	// a 4-byte scale per 128 elements (test_internode.py's FP8 factor
	// (1 + 4/128) / 2 of the BF16 bytes).
	fp8Normal = hiddenDSV3 + hiddenDSV3/128*4
	// fp8LowLatency is DeepEP's low-latency message: the FP8 token plus
	// 16 bytes of metadata (test_low_latency.py num_fp8_bytes).
	fp8LowLatency = fp8Normal + 16
	// bf16Token is a BF16 token (combine everywhere; dispatch in C22).
	bf16Token = 2 * hiddenDSV3
	// int8Ascend is CloudMatrix's INT8 token: 7 KB of payload and 512 B of
	// scales, 7.5 KB (arXiv 2506.12708 §5); also used for DeepEP-Ascend's
	// INT8 dispatch, whose README does not give its message size.
	int8Ascend = 7*1024 + 512
	// dsv3Experts and dsv3TopK are DeepSeek-V3's routed experts.
	dsv3Experts = 256
	dsv3TopK    = 8
)

// moeCase maps a MoE dispatch/combine case onto its preset:
//
//   - C19, DeepEP normal kernels (4096 tokens per rank): EP8 on one
//     hgx-h800 over NVLink; EP16/32/64 on 2/4/8 hgx-h800 nodes of 8 GPUs,
//     where DeepEP sends each token once per destination node over RDMA (to
//     the GPU of the same local index) and forwards it inside the node over
//     NVLink, the two stages pipelined: both run at once, as two jobs on one
//     network. The metric is DeepEP's "bottleneck bandwidth" as
//     tests/test_intranode.py and test_internode.py compute it, a logical
//     figure that counts a rank's own share too: intranode, the bytes a rank
//     receives (its own tokens included) over the time; internode, the
//     (token, node) pairs a rank sends, its own node included, times the
//     FP8 token, over the time. Routing is uniform over experts within
//     min(nodes, 4) groups chosen uniformly (the test's top-4-groups
//     gating).
//   - C20, DeepEP low-latency kernels (128 tokens): EP ranks on whole
//     hgx-h800 nodes of 8 GPUs. Peers in the same node are reached over
//     NVLink, as DeepEP's allow_nvlink_for_low_latency_mode (default true)
//     does, and the measurements need it: EP8's 98 GB/s is twice what one
//     400G NIC carries, so "pure RDMA" cannot mean every byte crosses a
//     NIC. Peers on other nodes are reached over InfiniBand. The
//     low-latency kernels send one message per (token, expert), not per
//     rank (test_low_latency.py counts bytes per selection, receive buffers
//     are per local expert), so rank i sends rank j 128 · 8/EP messages.
//   - C22, TensorRT-LLM one-sided alltoall on GB200 NVL72: EP ranks of one
//     NVL72, BS tokens per rank, BF16 both ways, once per destination rank.
//   - C24, CANN fused ops on CloudMatrix384: one rank per die, the first EP
//     dies, 128 tokens, 256 routed experts, once per destination rank.
//   - C25, DeepEP-Ascend normal kernels on CloudMatrix384: as C24 with 4096
//     tokens; the metric as C19's intranode one (a rank's received bytes,
//     its own included, over the time), UB being the only medium.
func moeCase(c *validation.CollectiveCase, name string) ([]Row, error) {
	switch c.ID {
	case "C19":
		return deepEPNormal(c, name)
	case "C20":
		return deepEPLowLatency(c, name)
	case "C22":
		return moeLatency(c, name, func(p validation.Point) collective.MoE {
			return collective.MoE{TokensPerRank: p.BatchSize, Hidden: hiddenDSV3, TopK: dsv3TopK, Experts: dsv3Experts,
				DispatchBytesPerToken: bf16Token, CombineBytesPerToken: bf16Token}
		})
	case "C24":
		return moeLatency(c, name, func(validation.Point) collective.MoE {
			return collective.MoE{TokensPerRank: 128, Hidden: hiddenDSV3, TopK: dsv3TopK, Experts: dsv3Experts,
				DispatchBytesPerToken: int8Ascend, CombineBytesPerToken: bf16Token}
		})
	case "C25":
		return deepEPAscend(c, name)
	}
	return []Row{{Case: c.ID, Preset: name, Point: "moe dispatch/combine", Status: "pending: no mapping for this MoE case"}}, nil
}

// pair returns a point's dispatch and combine figures.
func pair(c *validation.CollectiveCase, p validation.Point) (float64, float64, error) {
	d, cb, ok := p.Pair()
	if !ok || p.EP < 2 {
		return 0, 0, fmt.Errorf("point %s (line %d): want EP and a [dispatch, combine] pair", p.Key, p.Line)
	}
	return d, cb, nil
}

// addPair appends the dispatch and combine rows of one point.
func addPair(rows []Row, c *validation.CollectiveCase, name, label, unit string, measured, simulated [2]float64) []Row {
	for k, phase := range [2]string{"dispatch", "combine"} {
		r := Row{Case: c.ID, Preset: name, Point: phase + " " + label, Unit: unit,
			Measured: measured[k], Simulated: simulated[k], Tolerance: c.Tolerance.For(0)}
		pass(&r)
		rows = append(rows, r)
	}
	return rows
}

// moeLatency compares dispatch and combine latency per point on the
// case's preset (one scale-up domain), one rank per die, in die order.
func moeLatency(c *validation.CollectiveCase, name string, workload func(validation.Point) collective.MoE) ([]Row, error) {
	e, err := load(name, 0)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, p := range c.Points {
		d, cb, err := pair(c, p)
		if err != nil {
			return nil, err
		}
		g, err := e.group(p.EP)
		if err != nil {
			return nil, err
		}
		m := workload(p)
		var sim [2]float64
		for k, combine := range [2]bool{false, true} {
			out, err := collective.Execute(g.Fabric, collective.Request{Jobs: []collective.Job{collective.MoEJob(g, m, combine)}, Tune: true})
			if err != nil {
				return nil, err
			}
			r := out.Results[0]
			sim[k] = r.TimeS * 1e6
		}
		rows = addPair(rows, c, name, p.Key, "us", [2]float64{d, cb}, sim)
	}
	return rows, nil
}

// uniform is a traffic matrix with b bytes between every pair of distinct ranks.
func uniform(n int, b float64) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
		for j := range m[i] {
			if i != j {
				m[i][j] = b
			}
		}
	}
	return m
}

// runMatrices runs one job per matrix at once on g's fabric and returns
// the time of the slowest; each job pays the MoE kernel overhead
// (moe_overhead, else op_overhead). The jobs use the compile default
// protocol (bulk, full payload), which is also what collective.Run's
// protocol choice picks for these megabyte-per-rank matrices.
func runMatrices(g *collective.Group, op collective.Op, mats ...[][]float64) (float64, error) {
	jobs := make([]collective.Job, len(mats))
	for i, m := range mats {
		jobs[i] = collective.Job{Group: g, Op: op, Algorithm: collective.Direct, Bytes: collective.RowBytes(m), Options: collective.Options{Matrix: m}}
	}
	out, err := collective.Execute(g.Fabric, collective.Request{Jobs: jobs})
	if err != nil {
		return 0, err
	}
	rs := out.Results
	t := 0.0
	for _, r := range rs {
		t = max(t, r.TimeS)
	}
	return t, nil
}

// deepEPLowLatency is C20: per-(token, expert) messages, whole nodes.
func deepEPLowLatency(c *validation.CollectiveCase, name string) ([]Row, error) {
	const tokens = 128
	var rows []Row
	for _, p := range c.Points {
		d, cb, err := pair(c, p)
		if err != nil {
			return nil, err
		}
		const local = 8 // GPUs per hgx-h800 node
		e, err := load(name, (p.EP+local-1)/local)
		if err != nil {
			return nil, err
		}
		g, err := collective.NewGroup(e.fab, collective.Placement{Ranks: p.EP})
		if err != nil {
			return nil, err
		}
		perPair := float64(tokens) * dsv3TopK / float64(p.EP) // messages rank i sends rank j
		var sim [2]float64
		for k, b := range [2]float64{fp8LowLatency, bf16Token} {
			op := [2]collective.Op{collective.MoEDispatch, collective.MoECombine}[k]
			t, err := runMatrices(g, op, uniform(p.EP, perPair*b))
			if err != nil {
				return nil, err
			}
			sim[k] = t * 1e6
		}
		rows = addPair(rows, c, name, p.Key, "us", [2]float64{d, cb}, sim)
	}
	return rows, nil
}

// deepEPNormal is C19.
func deepEPNormal(c *validation.CollectiveCase, name string) ([]Row, error) {
	const tokens = 4096
	var rows []Row
	for _, p := range c.Points {
		d, cb, err := pair(c, p)
		if err != nil {
			return nil, err
		}
		const local = 8 // GPUs per hgx-h800 node
		if p.EP%local != 0 || dsv3Experts%p.EP != 0 {
			return nil, fmt.Errorf("point %s: EP%d is not whole hgx-h800 nodes", p.Key, p.EP)
		}
		nodes := p.EP / local
		e, err := load(name, nodes)
		if err != nil {
			return nil, err
		}
		g, err := e.group(p.EP)
		if err != nil {
			return nil, err
		}
		if err := checkNodes(e, g, local); err != nil {
			return nil, err
		}
		// Group-limited gating: min(nodes, 4) nodes chosen uniformly, then
		// TopK experts uniformly among theirs; each token goes once per
		// destination node and is forwarded inside it (DomainDedup).
		m := collective.MoE{TokensPerRank: tokens, Hidden: hiddenDSV3, TopK: dsv3TopK, Experts: dsv3Experts,
			DispatchBytesPerToken: fp8Normal, CombineBytesPerToken: bf16Token,
			Groups: nodes, TopKGroups: min(nodes, 4), DomainDedup: true}
		pNode := m.Hit(0, dsv3Experts/nodes)
		pRank := m.Hit(0, dsv3Experts/p.EP)
		var sim [2]float64
		for k, b := range [2]float64{fp8Normal, bf16Token} {
			op := [2]collective.Op{collective.MoEDispatch, collective.MoECombine}[k]
			stages, err := m.Stages(g, k == 1)
			if err != nil {
				return nil, err
			}
			t, err := runMatrices(g, op, stages...)
			if err != nil {
				return nil, err
			}
			logical := float64(nodes) * tokens * pNode * b // (token, node) pairs, own node included
			if nodes == 1 {
				logical = float64(p.EP) * tokens * pRank * b // received, own tokens included
			}
			sim[k] = logical / t / 1e9
		}
		rows = addPair(rows, c, name, p.Key, "GB/s", [2]float64{d, cb}, sim)
	}
	return rows, nil
}

// checkNodes confirms that rank r sits in node r/local, the layout the
// C19 matrices assume.
func checkNodes(e *env, g *collective.Group, local int) error {
	for r, d := range g.Dies {
		a := e.top.Accels[e.top.Nodes[d].Index]
		if int(a.Domain) != r/local {
			return fmt.Errorf("rank %d is in domain %d, want %d", r, a.Domain, r/local)
		}
	}
	return nil
}

// deepEPAscend is C25.
func deepEPAscend(c *validation.CollectiveCase, name string) ([]Row, error) {
	const tokens = 4096
	e, err := load(name, 0)
	if err != nil {
		return nil, err
	}
	m := collective.MoE{TokensPerRank: tokens, Hidden: hiddenDSV3, TopK: dsv3TopK, Experts: dsv3Experts,
		DispatchBytesPerToken: int8Ascend, CombineBytesPerToken: bf16Token}
	var rows []Row
	for _, p := range c.Points {
		d, cb, err := pair(c, p)
		if err != nil {
			return nil, err
		}
		g, err := e.group(p.EP)
		if err != nil {
			return nil, err
		}
		pRank := collective.HitProbability(dsv3Experts, dsv3Experts/p.EP, dsv3TopK)
		var sim [2]float64
		for k, combine := range [2]bool{false, true} {
			out, err := collective.Execute(g.Fabric, collective.Request{Jobs: []collective.Job{collective.MoEJob(g, m, combine)}, Tune: true})
			if err != nil {
				return nil, err
			}
			r := out.Results[0]
			b := [2]float64{m.DispatchBytesPerToken, m.CombineBytesPerToken}[k]
			sim[k] = float64(p.EP) * tokens * pRank * b / r.TimeS / 1e9
		}
		rows = addPair(rows, c, name, p.Key, "GB/s", [2]float64{d, cb}, sim)
	}
	return rows, nil
}

// ubCase is C23, CloudMatrix384's UB microbenchmarks between two dies of
// different NPUs: intra-node (NPU 0 and NPU 1 of server 0) and inter-node
// (NPU 0 of servers 0 and 1).
//
// Bandwidth: one 256 MiB sendrecv, whose busbw is the die's UB rate. The
// model has one UB efficiency (fitted to reads), so reads and writes
// simulate alike.
//
// Latency: one 512 B transfer on an idle fabric, without op_overhead: a
// UB read or write is a one-sided memory-semantic access that the die
// issues itself, with no kernel launch or collective set-up to pay, so the
// simulated time is step_latency + the route's wire and switch latency +
// 512 B at the UB rate.
func ubCase(c *validation.CollectiveCase, name string) ([]Row, error) {
	e, err := load(name, 0)
	if err != nil {
		return nil, err
	}
	perServer := len(e.top.Dies()) / countServers(e)
	pairs := map[string][]int{
		"intra_node": {0, e.top.Accels[0].Spec.Dies},
		"inter_node": {0, perServer},
	}
	run := func(where string, bytes float64, overhead bool) (collective.Result, float64, error) {
		g, err := collective.NewGroup(e.fab, collective.Placement{List: pairs[where]})
		if err != nil {
			return collective.Result{}, 0, err
		}
		if overhead {
			out, err := collective.Execute(g.Fabric, collective.One(g, collective.SendRecv, collective.Direct, bytes, collective.Options{}))
			if err != nil {
				return collective.Result{}, 0, err
			}
			return out.Results[0], out.Results[0].TimeS, nil
		}
		t, err := idleTime(e, g, bytes)
		return collective.Result{}, t, err
	}
	var rows []Row
	for _, p := range c.Points {
		row := Row{Case: c.ID, Preset: name, Point: p.Group + " " + p.Key, Measured: p.Value(), Tolerance: c.Tolerance.For(0)}
		switch p.Group {
		case "npu_read_GBps", "npu_write_GBps":
			r, _, err := run(p.Key, 256<<20, true)
			if err != nil {
				return nil, err
			}
			row.Unit, row.Simulated = "GB/s", r.BusBW/1e9
		case "latency_512B_us":
			where := "intra_node"
			if len(p.Key) >= 10 && p.Key[:10] == "inter_node" {
				where = "inter_node"
			}
			_, t, err := run(where, 512, false)
			if err != nil {
				return nil, err
			}
			row.Unit, row.Simulated = "us", t*1e6
		default:
			row.Status = "pending: no mapping for this point"
		}
		pass(&row)
		rows = append(rows, row)
	}
	return rows, nil
}

func countServers(e *env) int {
	seen := map[int32]bool{}
	for _, a := range e.top.Accels {
		seen[a.Server] = true
	}
	return len(seen)
}

// idleTime is the time of a sendrecv of bytes on g without the operation
// overhead: collective.Run (which picks the faster protocol, the
// low-latency one for a small message) less op_overhead, a pure delay
// before the first transfer, so the difference is exact.
func idleTime(e *env, g *collective.Group, bytes float64) (float64, error) {
	out, err := collective.Execute(g.Fabric, collective.One(g, collective.SendRecv, collective.Direct, bytes, collective.Options{}))
	if err != nil {
		return 0, err
	}
	r := out.Results[0]
	over := 0.0
	for _, d := range g.Dies {
		over = max(over, e.top.Accels[e.top.Nodes[d].Index].Spec.OpOverheadS)
	}
	return r.TimeS - over, nil
}
