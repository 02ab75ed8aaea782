package collective

import (
	"sync"

	"github.com/cardsea/cardsea/network"
)

// PXN for point-to-point sends across scale-up domains. NCCL's alltoall
// and sendrecv are grouped send/recv, and a send to a rank in another
// domain leaves through the NIC on the destination's rail: with
// NCCL_P2P_PXN_LEVEL at its default of 2, ncclTopoGetNetDev (NVIDIA/nccl
// v2.29.2, src/graph/search.cc) picks, for a peer, the local NIC of the
// local GPU with the peer's device index, and, where that GPU is
// NVLink-connected to the sender and close to the NIC, makes it the
// proxy: the bytes cross the scale-up fabric to that GPU and leave
// through its NIC (PATH_PXN). The receiver takes its own local NIC
// (src/transport/net.cc, recvSetup passes its own rank as the peer). So
// every byte of an alltoall crosses the network on its destination's
// rail, never between rails, as on the largest clusters, whose rails are
// separate network planes and have no path between them at all.
//
// Here the proxy of a send from rank i to rank j in another domain is
// the rank in i's server (NCCL's topology is a host's) whose die has a
// NIC on the rail of j's die's first NIC; none where i's own die has it,
// where no rank of the group has it (NCCL finds no local rank for the
// device), or where that rank is in another domain. HCCL has no PXN
// (it is NCCL's), and MoE dispatch and combine run their own kernels'
// routes. Cost: one pass over the ranks and their NICs, once per group.

// pxnTable holds, per group, what pxnVia reads, found on first use and
// shared by the group's copies (Group.with).
type pxnTable struct {
	once   sync.Once
	server []int32            // rank -> server
	rail   []int32            // rank -> rail of its die's first NIC, -1 none
	rails  [][]int32          // rank -> every rail its die has a NIC on
	proxy  map[[2]int32]int32 // (server, rail) -> the first rank there
}

// pxnTable returns g's PXN table, building it on first use.
func (g *Group) pxnTable() *pxnTable {
	x := g.pxn
	if x == nil {
		x = &pxnTable{}
	}
	x.once.Do(func() {
		t := g.Fabric.Topo
		n := g.Size()
		x.server = make([]int32, n)
		x.rail = make([]int32, n)
		x.rails = make([][]int32, n)
		x.proxy = map[[2]int32]int32{}
		for r, d := range g.Dies {
			node := t.Nodes[d]
			acc := &t.Accels[node.Index]
			x.server[r] = acc.Server
			x.rail[r] = -1
			for _, ni := range acc.NICs {
				nic := t.NICs[ni]
				if nic.Die != node.Die {
					continue
				}
				if x.rail[r] < 0 {
					x.rail[r] = nic.Rail
				}
				x.rails[r] = append(x.rails[r], nic.Rail)
				k := [2]int32{acc.Server, nic.Rail}
				if _, ok := x.proxy[k]; !ok {
					x.proxy[k] = int32(r)
				}
			}
		}
	})
	return x
}

// pxnVia is the vertex a point-to-point send of op from rank i to rank j
// is forwarded through (see above), or -1 for a send straight from i.
func (g *Group) pxnVia(op Op, i, j int) network.Vertex {
	if (op != AllToAll && op != SendRecv) || !g.nccl || g.hccl || g.domain[i] == g.domain[j] {
		return -1
	}
	x := g.pxnTable()
	r := x.rail[j]
	if r < 0 {
		return -1
	}
	for _, own := range x.rails[i] {
		if own == r {
			return -1
		}
	}
	k, ok := x.proxy[[2]int32{x.server[i], r}]
	if !ok || int(k) == i || g.domain[k] != g.domain[i] {
		return -1
	}
	return g.verts[k]
}
