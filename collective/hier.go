package collective

// Hierarchical (hier): the ranks split into d scale-up domains of l ranks
// each (n = d·l); an operation runs as rings in levels: within every
// domain (d rings of l ranks), across domains between the ranks of one
// local index (l rings of d ranks), and within domains again. Under HCCL
// (Ascend) the first level is the server rather than the domain, as
// HCCL's hierarchical algorithms split a SuperPoD (Group.level).
//
//	allreduce      intra reduce-scatter, l-1 steps of S/l; inter
//	               allreduce, 2(d-1) steps of S/(l·d); intra allgather,
//	               l-1 steps of S/l: 2(l-1)+2(d-1) steps
//	reducescatter  intra l-1 steps of S/l, inter d-1 of S/(l·d):
//	               (l-1)+(d-1) steps
//	allgather      inter d-1 steps of S/n, intra l-1 of S/l:
//	               (d-1)+(l-1) steps
//
// The buffer goes through the levels in s slices (s = chunks(S/l), at
// most 16, at most 64 over the longest level's steps, and within
// hierTransferBudget), pipelined so the levels work at once; a level's
// ring of slice k moves each block in c = chunks(block/s) chunks. A slice
// costs, per level of t steps, n·t·c transfers plus up to two joins:
// about s·Σ n·t·c transfers. The step counts above are one slice's; a
// slice waits for the one before it to leave each level, so with several
// slices the plan's longest chain is longer.

import (
	"fmt"

	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/sim"
)

// hierTransferBudget bounds the transfers of a pipelined hier plan (its
// slices are its pipeline depth).
const hierTransferBudget = 2 << 20

// hierSliceSteps bounds the slices of a hier plan by its longest level:
// slices x steps of that level stays within it.
const hierSliceSteps = 64

// hier runs an operation in levels: within each scale-up domain, across
// domains between ranks of the same local index, and within domains again.
func (p *Plan) hier(g *Group, op Op, bytes float64, o Options) error {
	var domains [][]int
	index := map[int32]int{}
	for r := range g.Size() {
		d := g.level(r)
		k, ok := index[d]
		if !ok {
			k = len(domains)
			index[d] = k
			domains = append(domains, nil)
		}
		domains[k] = append(domains[k], r)
	}
	if len(domains) < 2 {
		if g.hccl {
			return field.Errorf("algorithm", "hier needs ranks in at least 2 servers; all %d ranks are in one (use ring or direct)", g.Size())
		}
		return field.Errorf("algorithm", "hier needs ranks in at least 2 scale-up domains; all %d ranks are in one (use ring, tree or nvls, or more scale-up domains: {domains})", g.Size())
	}
	local := len(domains[0])
	for _, d := range domains {
		if len(d) != local {
			return fmt.Errorf("hier needs the same number of ranks in every domain; got %d and %d", local, len(d))
		}
	}
	nd := len(domains)
	across := func(j int) []int {
		r := make([]int, nd)
		for k, d := range domains {
			r[k] = d[j]
		}
		return r
	}
	// The buffer goes through the levels in slices, pipelined as NCCL's
	// channels pipeline a multi-node ring: slice k enters a level once it
	// has left the previous one and slice k-1 has left this one, so the
	// scale-up and scale-out levels work at once. Each level's rings move a
	// slice in one chunk. The slice count follows the chunk size, bounded
	// by a budget of transfers.
	l := float64(local)
	// A level: bytes per rank per step (block) for the whole buffer.
	type level = struct {
		across bool
		steps  int
		block  float64
	}
	var levels []level
	switch op {
	case AllReduce:
		levels = []level{{false, local - 1, bytes / l}, {true, 2 * (nd - 1), bytes / l / float64(nd)}, {false, local - 1, bytes / l}}
	case ReduceScatter:
		levels = []level{{false, local - 1, bytes / l}, {true, nd - 1, bytes / l / float64(nd)}}
	case AllGather:
		levels = []level{{true, nd - 1, bytes / float64(g.Size())}, {false, local - 1, bytes / l}}
	}
	perSlice := 0
	for _, lv := range levels {
		perSlice += g.Size() * lv.steps
	}
	// Each slice pays every level's per-step latency again, so a level of
	// many steps (a ring over many domains) takes fewer slices: at most
	// hierSliceSteps steps of the longest level over all slices.
	maxSteps := 1
	for _, lv := range levels {
		maxSteps = max(maxSteps, lv.steps)
	}
	slices := o.chunks(bytes / l)
	slices = max(1, min(slices, 16, hierSliceSteps/maxSteps, hierTransferBudget/max(perSlice, 1)))
	// Room for every slice at once, when the plan fits its limit:
	// reserving ring by ring grows the arrays by doubling, copying what
	// they hold each time and leaving up to twice the room needed. A
	// level adds its rings' transfers and two joins, the end join
	// waiting for every rank's last transfer.
	count, deps := 0, 0
	for _, lv := range levels {
		rings, n := len(domains), local
		if lv.across {
			rings, n = local, nd
		}
		if n >= 2 && lv.steps >= 1 {
			c := rings * n * lv.steps * o.chunks(lv.block/float64(slices))
			count, deps = count+c, deps+c
		}
		count, deps = count+2, deps+2+g.Size()
	}
	if total := int64(count) * int64(slices); total <= int64(p.limit()-p.count()) {
		p.reserve(int(total), deps*slices)
	}
	prev := make([]int32, len(levels)) // each level's previous slice, joined
	for i := range prev {
		prev[i] = -1
	}
	for range slices {
		entered := int32(-1) // this slice left the previous level
		for li, lv := range levels {
			var gates []int32
			for _, d := range []int32{entered, prev[li]} {
				if d >= 0 {
					gates = append(gates, d)
				}
			}
			gate := int32(-1)
			if len(gates) > 0 {
				gate = p.join(gates)
			}
			var ends []int32
			block := lv.block / float64(slices)
			chunks := o.chunks(block)
			if lv.across {
				for j := range local {
					ends = append(ends, p.ring(g, across(j), lv.steps, block, chunks, gate)...)
				}
			} else {
				for _, d := range domains {
					ends = append(ends, p.ring(g, d, lv.steps, block, chunks, gate)...)
				}
			}
			done := p.join(ends)
			prev[li], entered = done, done
		}
	}
	if p.wanted > int64(p.count()) {
		p.hierChain(g, levels, slices)
	}
	return nil
}

// level is the first level's group of rank r: its scale-up domain, or
// under HCCL its server, as HCCL's hierarchical algorithms split a
// communicator into servers (level 0, Mesh or Ring over the server's
// links) and the ranks of one index across servers (level 1) (Huawei
// HCCL User Guide, CANN 9.0.0, "Algorithm Overview", hcclug_000114).
func (g *Group) level(r int) int32 {
	if !g.hccl {
		return g.domain[r]
	}
	t := g.Fabric.Topo
	return t.Accels[t.Nodes[g.Dies[r]].Index].Server
}

// hierChain records, for a hier plan that tooMany refused in part, the
// chain of software latencies its levels hold (Plan.unbuiltChain), which
// a ring skipped behind a gate does not record: a level's ring of t steps
// is a chain of t transfers (step k's first chunk waits for step k-1's
// from the predecessor), each paying its sender's ring hop latency, after
// its gate, which waits for this slice's previous level and this level's
// previous slice. So level li of slice k ends no sooner than
// max(end(k, li-1), end(k-1, li)) + steps(li)·least, least the smallest
// ring hop latency of any rank. Without it a refused hier over thousands
// of domains is bounded by its bytes alone and Auto cannot rule it out,
// though its ring across domains is 2(d-1) hops long.
func (p *Plan) hierChain(g *Group, levels []struct {
	across bool
	steps  int
	block  float64
}, slices int) {
	if g.Size() == 0 {
		return
	}
	least := g.ringHop(0)
	for r := range g.Size() {
		least = min(least, g.ringHop(r))
	}
	end := make([]sim.Time, len(levels)) // the previous slice's, then this one's
	for range slices {
		entered := sim.Time(0)
		for li, lv := range levels {
			end[li] = max(entered, end[li]) + sim.Time(lv.steps)*least
			entered = end[li]
		}
	}
	p.unbuiltChain = max(p.unbuiltChain, end[len(levels)-1])
}
