package collective

import (
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// Channels across scale-up domains, as NCCL builds them. NCCL runs a ring
// (or tree) collective as several channels at once, each carrying its own
// part of the buffer; across nodes each channel leaves and enters a node
// through its own NIC, so a ring uses every rail. The facts below are
// from NCCL 2.30.7 (github.com/NVIDIA/nccl, src/graph/search.cc,
// connect.cc and init.cc):
//
//   - A node's inter-node ring channel is NET n -> GPU a -> GPU b -> ... ->
//     GPU x -> NET n (search.cc, "Search Patterns"): it enters through NIC
//     n at the GPU local to that NIC, visits every GPU of the node, and
//     the last GPU sends out through the same NIC n. The search tries
//     crossNic 0 (the exit NIC on the entry's rail) before it allows other
//     NICs, and widens the last GPU's path to the NIC up to PXN (NVLink to
//     the GPU beside the NIC, then that GPU's PCIe) before it does so
//     (ncclTopoCompute's loop: typeInter before crossNic). The last GPU's
//     send is therefore forwarded through the entry GPU.
//   - Channel c starts at NIC c of the node's NIC list (ncclTopoSearchRecNet:
//     nets[(nChannels + i) % netCount]), the list ordering the NICs GPU by
//     GPU (ncclTopoSelectNets); on NVSwitch systems the next GPU tried is
//     the next index, then the previous (ncclTopoSearchNextGpuSort): the
//     order within a node is the ring rotated to start at the entry GPU.
//   - connectRings joins node k's last GPU of channel c to node k+1's
//     first (connect.cc), so the channel's ring runs node after node.
//   - The ring search allows at most MAXCHANNELS/2 = 32 channels (init.cc)
//     and, with one channel per NIC at the NIC's full speed, stops when
//     every NIC carries one. ncclTopoDupChannels (search.cc) and
//     ncclTopoPostset (connect.cc) then copy the channels (16 on 8 NICs):
//     a copy follows its original's ranks and routes exactly, so under
//     max-min fairness it and its original are one ring carrying both
//     parts; channels here are the distinct rings.
//
// Within one domain, or where domains differ in size or have no NICs,
// the ring is the single ring over the ranks in order, as before: on a
// switched scale-up fabric every rotation loads the same ports. A NIC a
// fault has cut off (its link to the die or to the network, or its
// switch) carries no channel, in any domain, as NCCL's search would not
// find a path through it.

// maxRingChannels is NCCL's bound on ring channels from the graph search
// (init.cc: ringGraph->maxChannels = MAXCHANNELS/2).
const maxRingChannels = 32

// ringChannel is one channel's ring: order lists the group's ranks in
// ring order, via[i] (when via is not nil and via[i] >= 0) is the vertex
// that position i's send to position i+1 is forwarded through (PXN), and
// share is the fraction of the buffer the channel carries.
type ringChannel struct {
	order []int
	via   []network.Vertex
	share float64
}

// domainsOf lists the group's ranks by scale-up domain, domains in order
// of their first rank; ok is false unless there are at least two domains
// of the same size.
func domainsOf(g *Group) (domains [][]int, ok bool) {
	index := map[int32]int{}
	for r, d := range g.domain {
		k, seen := index[d]
		if !seen {
			k = len(domains)
			index[d] = k
			domains = append(domains, nil)
		}
		domains[k] = append(domains[k], r)
	}
	if len(domains) < 2 {
		return domains, false
	}
	for _, d := range domains {
		if len(d) != len(domains[0]) {
			return domains, false
		}
	}
	return domains, true
}

// nicsOf is how many working scale-out NICs rank r's die has: NICs
// linked to the die and to a switch (a fault can take out either link, or
// the switch).
func (g *Group) nicsOf(r int) int {
	t := g.Fabric.Topo
	die := g.Dies[r]
	acc := &t.Accels[t.Nodes[die].Index]
	n := 0
	for _, ni := range acc.NICs {
		node := t.NICs[ni].Node
		toDie, toSwitch := false, false
		for _, a := range t.Adjacent(node) {
			toDie = toDie || a.Peer == die
			toSwitch = toSwitch || t.Nodes[a.Peer].Kind == topology.KindSwitch
		}
		if toDie && toSwitch {
			n++
		}
	}
	return n
}

// crossEntries lists, for the channels across domains, the local index of
// each channel's entry rank (the rank beside its NIC) in channel order,
// and how many NICs (of the channels' count) each entry stands for: NCCL's
// NIC list, GPU by GPU, cut at maxRingChannels (or the group's channel
// bound, NCCL_MAX_NCHANNELS), with the channels that
// enter at one GPU (a GPU with several NICs) merged. A local index enters
// as many channels as the fewest working NICs it has in any domain, so
// that every channel has its NIC in every domain; nil when none has.
func crossEntries(g *Group, domains [][]int) (entry []int, weight []int) {
	l := len(domains[0])
	total := 0
	limit := maxRingChannels
	if g.channels > 0 {
		limit = min(g.channels, maxRingChannels)
	}
	for a := range l {
		per := g.nicsOf(domains[0][a])
		for _, d := range domains[1:] {
			per = min(per, g.nicsOf(d[a]))
		}
		take := min(per, limit-total)
		if take > 0 {
			entry, weight = append(entry, a), append(weight, take)
			total += take
		}
	}
	return entry, weight
}

// crossRings returns the ring channels of g across its scale-up domains
// (see above), or nil for one ring over the ranks in order.
func crossRings(g *Group) []ringChannel {
	domains, ok := domainsOf(g)
	if !ok || len(domains[0]) < 2 {
		// One rank per domain: every channel would join the same ranks
		// over the same routes.
		return nil
	}
	entry, weight := crossEntries(g, domains)
	if len(entry) == 0 {
		return nil
	}
	total := 0
	for _, w := range weight {
		total += w
	}
	l := len(domains[0])
	chs := make([]ringChannel, len(entry))
	for c, a := range entry {
		ch := ringChannel{order: make([]int, 0, g.Size()), via: make([]network.Vertex, 0, g.Size()), share: float64(weight[c]) / float64(total)}
		for _, d := range domains {
			for j := range l {
				ch.order = append(ch.order, d[(a+j)%l])
				v := network.Vertex(-1)
				if j == l-1 {
					// The last rank's send leaves by the entry rank's NIC.
					v = g.verts[d[a]]
				}
				ch.via = append(ch.via, v)
			}
		}
		chs[c] = ch
	}
	return chs
}

// Trees across domains, as NCCL's (NCCL 2.30.7: src/graph/search.cc,
// connect.cc, trees.cc). NCCL's tree channels are as many as its ring
// channels (init.cc: the tree search's channel bounds are the ring's) and
// use the same NICs; within a node a channel is a chain NET n -> GPU a ->
// GPU b -> ... -> GPU x (search.cc, "Search Patterns"; ncclTopoPreset in
// connect.cc links each GPU to the one before and after it), and across
// nodes the chain heads form a double binary tree of the nodes
// (connectTrees, ncclGetDtree in trees.cc), each search channel running
// as two channels, one on each tree. The first tree of d nodes is
// NCCL's binary tree over node indices: node 0 is the root, and node r
// hangs under r with its lowest set bit cleared and the next bit up set,
// or, when that passes the last node, with the bit only cleared. The
// second tree mirrors the first (node r as d-1-r) when d is even and
// shifts it by one node (r as r-1) when d is odd. The balanced-tree search
// NCCL tries first on Hopper and later puts a head's children on the
// chain's second GPU, which reaches the same NIC through PXN; here every
// tree link across nodes is at the chain head, on its own NIC: the NIC
// carries the same bytes, the head does its children's work.

// treeChannel is one tree over every rank of a group: position 0 is the
// root, position i holds rank order[i], its parent is at parent[i] (-1
// for the root) and its children at children[i], parents before
// children; share is the fraction of the buffer the tree carries.
type treeChannel struct {
	order, parent []int
	children      [][]int
	share         float64
}

// btreeParent is node r's parent in NCCL's binary tree over d nodes, or
// -1 for the root (node 0).
func btreeParent(r, d int) int {
	if r == 0 {
		return -1
	}
	bit := r & -r
	up := (r ^ bit) | bit<<1
	if up >= d {
		up = r ^ bit
	}
	return up
}

// dtreeParent is node r's parent in tree t (0 or 1) of NCCL's double
// binary tree over d nodes, or -1 for that tree's root.
func dtreeParent(t, r, d int) int {
	if t == 0 {
		return btreeParent(r, d)
	}
	if d%2 == 1 {
		u := btreeParent((r-1+d)%d, d)
		if u < 0 {
			return -1
		}
		return (u + 1) % d
	}
	u := btreeParent(d-1-r, d)
	if u < 0 {
		return -1
	}
	return d - 1 - u
}

// crossTrees returns the tree channels of g across its scale-up domains
// (see above): for each ring channel's entry rank, the two trees of the
// double binary tree, each carrying half the channel's share; nil where
// the ring is one ring in rank order (crossRings).
func crossTrees(g *Group) []treeChannel {
	domains, ok := domainsOf(g)
	if !ok || len(domains[0]) < 2 {
		return nil
	}
	entry, weight := crossEntries(g, domains)
	if len(entry) == 0 {
		return nil
	}
	total := 0
	for _, w := range weight {
		total += w
	}
	d, l := len(domains), len(domains[0])
	var out []treeChannel
	for c, a := range entry {
		for t := range 2 {
			// Node k's chain is (k, 0), (k, 1), ..., (k, l-1), its head
			// (k, 0) the rank beside the channel's NIC; walk the tree
			// from the root's head, parents before children.
			kids := make([][]int, d)
			root := -1
			for k := range d {
				if u := dtreeParent(t, k, d); u >= 0 {
					kids[u] = append(kids[u], k)
				} else {
					root = k
				}
			}
			tc := treeChannel{share: float64(weight[c]) / float64(total) / 2, order: make([]int, 0, d*l), parent: make([]int, 0, d*l)}
			// Breadth first: the member taken h-th is position h.
			type member struct{ k, j, parent int }
			queue := make([]member, 1, d*l)
			queue[0] = member{root, 0, -1}
			for h := 0; h < len(queue); h++ {
				m := queue[h]
				tc.order = append(tc.order, domains[m.k][(a+m.j)%l])
				tc.parent = append(tc.parent, m.parent)
				if m.j+1 < l {
					queue = append(queue, member{m.k, m.j + 1, h})
				}
				if m.j == 0 {
					for _, k := range kids[m.k] {
						queue = append(queue, member{k, 0, h})
					}
				}
			}
			tc.children = childrenOf(tc.parent)
			out = append(out, tc)
		}
	}
	return out
}

// childrenOf lists each position's children, in position order, from
// every position's parent (-1 for the root), in one backing array.
func childrenOf(parent []int) [][]int {
	count := make([]int, len(parent))
	kids := 0
	for _, u := range parent {
		if u >= 0 {
			count[u]++
			kids++
		}
	}
	buf := make([]int, kids)
	children := make([][]int, len(parent))
	at := 0
	for i, c := range count {
		if c > 0 {
			children[i] = buf[at : at : at+c]
			at += c
		}
	}
	for i, u := range parent {
		if u >= 0 {
			children[u] = append(children[u], i)
		}
	}
	return children
}
