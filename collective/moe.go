package collective

import (
	"errors"
	"fmt"
	"sort"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/sim"
)

// MoE is the traffic of one mixture-of-experts layer under expert
// parallelism: every rank holds TokensPerRank tokens, each of which picks
// TopK distinct experts out of Experts, spread evenly over the ranks.
// Dispatch sends each token to the ranks holding its experts; combine sends
// the expert outputs back.
type MoE struct {
	TokensPerRank int
	Hidden        int
	TopK          int
	Experts       int
	// DispatchBytesPerToken and CombineBytesPerToken are the bytes one
	// token costs per destination rank, payload and scales included (FP8
	// hidden 7168 with a 4-byte scale per 128 elements is 7392 B; BF16 is
	// 14336 B).
	DispatchBytesPerToken, CombineBytesPerToken float64
}

// Check reports whether the layer can be spread over ranks ranks.
func (m MoE) Check(ranks int) error {
	switch {
	case ranks < 1:
		return fmt.Errorf("moe: %d ranks", ranks)
	case m.TokensPerRank < 0:
		return fmt.Errorf("moe: %d tokens per rank", m.TokensPerRank)
	case m.Experts < 1 || m.TopK < 1:
		return fmt.Errorf("moe: top-%d of %d experts", m.TopK, m.Experts)
	case m.TopK > m.Experts:
		return fmt.Errorf("moe: top-%d of only %d experts", m.TopK, m.Experts)
	case m.Experts%ranks != 0:
		return fmt.Errorf("moe: %d experts do not spread evenly over %d ranks", m.Experts, ranks)
	case m.DispatchBytesPerToken < 0 || m.CombineBytesPerToken < 0:
		return errors.New("moe: negative bytes per token")
	}
	return nil
}

// HitProbability is the probability that a token choosing topK distinct
// experts uniformly out of experts picks at least one of a given perDest of
// them: 1 - C(experts-perDest, topK) / C(experts, topK), computed as a
// product so that nothing overflows.
func HitProbability(experts, perDest, topK int) float64 {
	if perDest <= 0 || topK <= 0 {
		return 0
	}
	if topK > experts-perDest {
		return 1 // every choice of topK reaches one of them
	}
	miss := 1.0
	for i := range topK {
		miss *= float64(experts-perDest-i) / float64(experts-i)
	}
	return 1 - miss
}

// Matrix returns the expected bytes rank i sends rank j in dispatch (or,
// with combine, in combine): each token goes once to every distinct rank
// that holds one of its experts (DeepEP normal kernels and the CANN fused
// ops de-duplicate per rank), so rank i sends rank j
// TokensPerRank · P(hit j) · bytes per token. Self traffic stays local: the
// diagonal is 0. Matrix returns nil when Check(ranks) fails.
func (m MoE) Matrix(ranks int, combine bool) [][]float64 {
	if m.Check(ranks) != nil {
		return nil
	}
	per := m.DispatchBytesPerToken
	if combine {
		per = m.CombineBytesPerToken
	}
	b := float64(m.TokensPerRank) * HitProbability(m.Experts, m.Experts/ranks, m.TopK) * per
	out := make([][]float64, ranks)
	for i := range out {
		out[i] = make([]float64, ranks)
		for j := range out[i] {
			if i != j {
				out[i][j] = b
			}
		}
	}
	return out
}

// RunMoE simulates one MoE dispatch (or combine) on g: every rank sends its
// Matrix row at once (algorithm Direct) and the operation pays the fused
// MoE kernel's fixed cost, MoEOverhead, instead of op_overhead. With the
// default protocol it keeps the faster of the bulk and low-latency
// protocols, as Run does for every other operation. Result.SizeBytes is the
// bytes one rank sends (the mean row sum), so AlgBW is a rank's send rate.
func RunMoE(g *Group, m MoE, combine bool, withLinks bool) (Result, error) {
	if err := m.Check(g.Size()); err != nil {
		return Result{}, err
	}
	op := MoEDispatch
	if combine {
		op = MoECombine
	}
	mat := m.Matrix(g.Size(), combine)
	bytes := RowBytes(mat)
	// As Run: compile each protocol, bound each from below, simulate them
	// in order of that bound and skip those that cannot win.
	type cand struct {
		plan  *Plan
		bound float64
	}
	var cands []cand
	var errs []error
	for _, pr := range []Protocol{Simple, LL} {
		p, err := Compile(g, op, Direct, bytes, Options{Protocol: pr, Matrix: mat})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.Overhead = g.MoEOverhead()
		cands = append(cands, cand{p, p.lowerBound(g.Fabric)})
	}
	if len(cands) == 0 {
		return Result{}, fmt.Errorf("no protocol can run %s here: %w", op, errors.Join(errs...))
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].bound < cands[j].bound })
	job := []Job{{Group: g, Op: op, Algorithm: Direct, Bytes: bytes, Options: Options{Matrix: mat}}}
	var best Result
	found := false
	for _, c := range cands {
		if found && c.bound >= best.TimeS {
			continue
		}
		rs, err := RunPlans(g.Fabric, job, []*Plan{c.plan}, withLinks)
		if err != nil {
			return Result{}, err
		}
		if !found || rs[0].TimeS < best.TimeS {
			best, found = rs[0], true
		}
	}
	return best, nil
}

// MoEOverhead is the fixed cost of one fused MoE dispatch or combine on g:
// the largest over its ranks' accelerators of moe_overhead, or of
// op_overhead where an accelerator has no moe_overhead.
func (g *Group) MoEOverhead() sim.Time {
	t := g.Fabric.Topo
	var over sim.Time
	for _, d := range g.Dies {
		spec := t.Accels[t.Nodes[d].Index].Spec
		s := spec.MoEOverheadS
		if s == 0 {
			s = spec.OpOverheadS
		}
		over = max(over, sim.FromSeconds(s))
	}
	return over
}

// RunMoEJobs is RunJobs for jobs that may be MoE operations: a
// MoEDispatch or MoECombine job pays its group's MoEOverhead instead of
// op_overhead; any other job runs as under RunJobs. Each job runs with the
// protocol its options name (the default compiles as bulk), as in RunJobs.
func RunMoEJobs(f *network.Fabric, jobs []Job, withLinks bool) ([]Result, error) {
	plans := make([]*Plan, len(jobs))
	for i, j := range jobs {
		if j.Group.Fabric != f {
			return nil, errors.New("collective: a job's group is on another fabric")
		}
		p, err := Compile(j.Group, j.Op, j.Algorithm, j.Bytes, j.Options)
		if err != nil {
			return nil, err
		}
		if j.Op == MoEDispatch || j.Op == MoECombine {
			p.Overhead = j.Group.MoEOverhead()
		}
		plans[i] = p
	}
	return RunPlans(f, jobs, plans, withLinks)
}

// RunPlans runs already compiled plans together on one fresh network, plan
// i for job i (whose Group, Op, Algorithm, Bytes and Start label and place
// it; its Options are not used), and returns a result per job as RunJobs
// does, Activity included. It lets a caller change a compiled plan (its
// Overhead) before running it.
func RunPlans(f *network.Fabric, jobs []Job, plans []*Plan, withLinks bool) ([]Result, error) {
	return runPlans(f, jobs, plans, withLinks, nil)
}

// RowBytes is the mean bytes a rank sends under a traffic matrix.
func RowBytes(mat [][]float64) float64 {
	if len(mat) == 0 {
		return 0
	}
	var s float64
	for _, row := range mat {
		for _, b := range row {
			s += b
		}
	}
	return s / float64(len(mat))
}
