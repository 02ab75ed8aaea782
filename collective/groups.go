package collective

import (
	"fmt"

	"github.com/cardsea/cardsea/topology"
)

// Split divides g's ranks into n groups of equal size. Block groups take
// consecutive ranks (rank r joins group r / (size/n)), the way tensor
// parallel groups fill a server; strided groups take every n-th rank
// (rank r joins group r mod n), the way data parallel groups take one rank
// from each server or rail.
func (g *Group) Split(n int, strided bool) ([]*Group, error) {
	size := g.Size()
	if n < 1 || size%n != 0 {
		return nil, fmt.Errorf("%d ranks do not split into %d equal groups; use a divisor of %d", size, n, size)
	}
	if size/n < 2 {
		return nil, fmt.Errorf("%d groups of %d ranks: a collective needs at least 2 ranks per group", n, size/n)
	}
	index := map[topology.NodeID]int{}
	for i, d := range g.Fabric.Topo.LiveDies() {
		index[d] = i
	}
	lists := make([][]int, n)
	for r, d := range g.Dies {
		k := r / (size / n)
		if strided {
			k = r % n
		}
		lists[k] = append(lists[k], index[d])
	}
	groups := make([]*Group, n)
	for k, l := range lists {
		sub, err := NewGroup(g.Fabric, Placement{List: l})
		if err != nil {
			return nil, fmt.Errorf("group %d: %w", k, err)
		}
		groups[k] = sub
	}
	return groups, nil
}

// Concurrent is one operation run by several groups at once.
type Concurrent struct {
	// Together holds each group's result when all run at once, contending
	// for the fabric; Alone each group's result on an idle fabric, with
	// the same algorithm and protocol.
	Together, Alone []Result
	// Slowest is the index of the group that finished last together.
	Slowest int
}

// RunGroups runs op on every group at once. With Auto each group takes the
// algorithm and protocol that is fastest for it alone (as NCCL's tuner
// chooses, without knowing what else runs); the groups then run together
// on one network. withLinks adds per-channel statistics of the joint run.
func runGroups(groups []*Group, op Op, algo Algorithm, bytes float64, o Options, withLinks bool) (Concurrent, error) {
	if len(groups) == 0 {
		return Concurrent{}, fmt.Errorf("no groups to run")
	}
	jobs := make([]Job, len(groups))
	for i, g := range groups {
		jobs[i] = Job{Group: g, Op: op, Algorithm: algo, Bytes: bytes, Options: o}
	}
	out, err := Execute(groups[0].Fabric, Request{Jobs: jobs, Tune: true, Links: withLinks, opOverhead: true})
	if err != nil {
		if len(groups) == 1 {
			err = fmt.Errorf("group 0: %w", err)
		}
		return Concurrent{}, err
	}
	return Concurrent{Together: out.Results, Alone: out.Alone, Slowest: out.Slowest}, nil
}
