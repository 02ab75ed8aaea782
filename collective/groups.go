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
func RunGroups(groups []*Group, op Op, algo Algorithm, bytes float64, o Options, withLinks bool) (Concurrent, error) {
	if len(groups) == 0 {
		return Concurrent{}, fmt.Errorf("no groups to run")
	}
	f := groups[0].Fabric
	c := Concurrent{Alone: make([]Result, len(groups))}
	jobs := make([]Job, len(groups))
	for i, g := range groups {
		if g.Fabric != f {
			return Concurrent{}, fmt.Errorf("group %d is on another fabric", i)
		}
		r, err := Run(g, op, algo, bytes, o, false)
		if err != nil {
			return Concurrent{}, fmt.Errorf("group %d: %w", i, err)
		}
		c.Alone[i] = r
		oo := o
		oo.Protocol = r.Protocol
		jobs[i] = Job{Group: g, Op: op, Algorithm: r.Algorithm, Bytes: bytes, Options: oo}
	}
	together, err := RunJobs(f, jobs, withLinks)
	if err != nil {
		return Concurrent{}, err
	}
	for i := range together {
		together[i].Groups, together[i].AloneS = len(groups), c.Alone[i].TimeS
	}
	c.Together = together
	for i, r := range together {
		if r.TimeS > together[c.Slowest].TimeS {
			c.Slowest = i
		}
	}
	return c, nil
}
