package collective

// Rings on a full mesh. Where every two ranks of a group share a direct
// link (an 8-GPU MI355X or MI300X board: each GPU links to its seven
// peers over Infinity Fabric), one ring in rank order would load one of a
// rank's n-1 links and leave the rest idle. RCCL builds its rings over
// the xGMI mesh so that they cover the links (its graph search tries more
// rings until the links are used); here the rings are edge-disjoint
// Hamiltonian cycles of the complete graph on the ranks, each run in both
// directions, the buffer split evenly over them. K_n holds (n-1)/2 such
// cycles for odd n and (n-2)/2 for even n, a perfect matching left over
// (Walecki's decomposition), so 2·⌊(n-1)/2⌋ of each rank's n-1 links
// carry rings in each direction: 6 of 7 on an 8-GPU mesh.
//
// Cost: the mesh check routes every ordered pair (n² routes, n ≤
// maxMeshRanks); the cycles come from a depth-first search that, on the
// complete graph, backtracks little.

// maxMeshRanks bounds the groups checked for a full mesh: boards of 8
// (and up to 16) GPUs.
const maxMeshRanks = 16

// ringChannels is the group's ring channels: NCCL's across domains
// (crossRings), the mesh rings of a fully connected group (meshRings),
// or nil for one ring in rank order.
func ringChannels(g *Group) []ringChannel {
	if chs := crossRings(g); chs != nil {
		return chs
	}
	return meshRings(g)
}

// meshRings returns the rings of a group whose ranks are pairwise linked
// directly (see above), or nil.
func meshRings(g *Group) []ringChannel {
	n := g.Size()
	if n < 4 || n > maxMeshRanks || g.spans {
		return nil
	}
	f := g.Fabric
	for i := range n {
		for j := range n {
			if i == j {
				continue
			}
			r, err := f.Route(g.verts[i], g.verts[j])
			if err != nil || r.Hops() != 1 {
				return nil
			}
		}
	}
	var cycles [][]int
	if n%2 == 1 {
		cycles = walecki(n)
	} else {
		cycles = hamiltonianCycles(n)
	}
	chs := make([]ringChannel, 0, 2*len(cycles))
	share := 1 / float64(2*len(cycles))
	for _, c := range cycles {
		chs = append(chs, ringChannel{order: c, share: share}, ringChannel{order: reversedOrder(c), share: share})
	}
	return chs
}

// hamiltonianCycles returns ⌊(n-1)/2⌋ edge-disjoint Hamiltonian cycles of
// the complete graph on 0..n-1 (as many as it finds, each starting at 0):
// cycle after cycle, the first in lexicographic order among the edges
// still free, by depth-first search. The complete graph holds that many
// (Walecki's decomposition); for even n up to maxMeshRanks the search
// finds them (TestMeshCycles; odd n take walecki, where a greedy search
// can paint itself into a corner), and a shorter list would only leave
// more links idle.
func hamiltonianCycles(n int) [][]int {
	free := make([][]bool, n)
	for i := range free {
		free[i] = make([]bool, n)
		for j := range free[i] {
			free[i][j] = i != j
		}
	}
	var cycles [][]int
	for range (n - 1) / 2 {
		path := []int{0}
		seen := make([]bool, n)
		seen[0] = true
		var dfs func() bool
		dfs = func() bool {
			u := path[len(path)-1]
			if len(path) == n {
				return free[u][0]
			}
			for v := range n {
				if seen[v] || !free[u][v] {
					continue
				}
				seen[v] = true
				path = append(path, v)
				if dfs() {
					return true
				}
				path = path[:len(path)-1]
				seen[v] = false
			}
			return false
		}
		if !dfs() {
			break
		}
		for i, u := range path {
			v := path[(i+1)%n]
			free[u][v], free[v][u] = false, false
		}
		cycles = append(cycles, path)
	}
	return cycles
}

// walecki returns the (n-1)/2 Hamiltonian cycles that decompose the
// complete graph on 0..n-1 for odd n (Walecki's construction): vertex 0
// at the centre of a circle of the other n-1, cycle k the zigzag 0, k,
// k+1, k-1, k+2, k-2, ... around it (circle positions mod n-1). Every
// edge of K_n is in exactly one cycle. (For even n a perfect matching is
// left over and the search above is used.)
func walecki(n int) [][]int {
	circle := n - 1
	var cycles [][]int
	for k := range (n - 1) / 2 {
		c := make([]int, 0, n)
		c = append(c, 0)
		for step := range circle {
			off := (step + 1) / 2
			if step%2 == 0 {
				off = -off
			}
			c = append(c, 1+((k+off)%circle+circle)%circle)
		}
		cycles = append(cycles, c)
	}
	return cycles
}
