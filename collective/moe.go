package collective

import (
	"errors"
	"fmt"
	"math"
	"slices"

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
	// Groups and TopKGroups, when Groups > 0, limit routing to groups of
	// experts (DeepSeek-V3: 8 groups of 32, top 4): a token picks
	// TopKGroups of the Groups uniformly, then TopK experts uniformly among
	// theirs. Experts are numbered so that group k holds the k-th
	// Experts/Groups of them, and rank r the r-th Experts/ranks.
	Groups, TopKGroups int
	// DomainDedup sends each token once per destination scale-up domain
	// over the scale-out network, to the rank of the same local index
	// there, which forwards it over the scale-up fabric to the ranks that
	// hold its experts (DeepEP normal kernels); the two stages pipeline, so
	// they run at once. Ranks of one domain exchange directly. It applies
	// when the group spans several domains with the same number of ranks
	// in each, consecutive in rank order; otherwise traffic is Matrix.
	DomainDedup bool
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
	if m.Groups == 0 {
		return nil
	}
	per := m.Experts / ranks
	switch {
	case m.Groups < 0 || m.TopKGroups < 1 || m.TopKGroups > m.Groups:
		return fmt.Errorf("moe: top-%d of %d expert groups", m.TopKGroups, m.Groups)
	case m.Experts%m.Groups != 0:
		return fmt.Errorf("moe: %d experts do not split into %d groups", m.Experts, m.Groups)
	case m.TopK > m.TopKGroups*(m.Experts/m.Groups):
		return fmt.Errorf("moe: top-%d experts from %d groups of %d", m.TopK, m.TopKGroups, m.Experts/m.Groups)
	case (m.Experts/m.Groups)%per != 0 && per%(m.Experts/m.Groups) != 0:
		return fmt.Errorf("moe: %d experts per rank straddle groups of %d", per, m.Experts/m.Groups)
	}
	return nil
}

// Hit is the probability that a token hits at least one of the count
// experts starting at first (a rank's or a domain's, which lie within one
// group or cover whole groups; see Check). Without groups it is
// HitProbability(Experts, count, TopK).
func (m MoE) Hit(first, count int) float64 {
	if m.Groups <= 0 {
		return HitProbability(m.Experts, count, m.TopK)
	}
	size := m.Experts / m.Groups
	chosen := m.TopKGroups * size // experts a token chooses among
	if count <= size {
		// Within one group: that group chosen, then a hit among its
		// count experts.
		return float64(m.TopKGroups) / float64(m.Groups) * HitProbability(chosen, count, m.TopK)
	}
	// Whole groups: k of the set's t groups chosen (hypergeometric), then
	// a hit among their k x size experts.
	t := count / size
	p := 0.0
	for k := 1; k <= min(t, m.TopKGroups); k++ {
		p += hypergeometric(m.Groups, t, m.TopKGroups, k) * HitProbability(chosen, k*size, m.TopK)
	}
	return p
}

// hypergeometric is the probability that a draw of n out of N, K of which
// are marked, holds exactly k marked: C(K,k) C(N-K,n-k) / C(N,n).
func hypergeometric(N, K, n, k int) float64 {
	if k < 0 || k > K || n-k > N-K || k > n {
		return 0
	}
	lg := func(a, b int) float64 { // log C(a, b)
		x, _ := math.Lgamma(float64(a + 1))
		y, _ := math.Lgamma(float64(b + 1))
		z, _ := math.Lgamma(float64(a - b + 1))
		return x - y - z
	}
	return math.Exp(lg(K, k) + lg(N-K, n-k) - lg(N, n))
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
	b := float64(m.TokensPerRank) * m.Hit(0, m.Experts/ranks) * per
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

// Stages returns the traffic of a dispatch (or combine) on g as matrices
// that run at once: Matrix alone, or, with DomainDedup on a group that
// spans several scale-up domains, the scale-out stage (each rank sends the
// rank of its local index in every other domain the tokens that hit that
// domain) and the scale-up stage (each rank sends every local peer the
// tokens of all domains that hit it: its own directly, the others'
// forwarded).
func (m MoE) Stages(g *Group, combine bool) ([][][]float64, error) {
	n := g.Size()
	if err := m.Check(n); err != nil {
		return nil, err
	}
	dom, local, domains := g.domainLayout()
	if !m.DomainDedup || domains < 2 {
		return [][][]float64{m.Matrix(n, combine)}, nil
	}
	if local == 0 {
		// Uneven domains: no proxy of the same local index everywhere.
		return [][][]float64{m.Matrix(n, combine)}, nil
	}
	per := m.DispatchBytesPerToken
	if combine {
		per = m.CombineBytesPerToken
	}
	tokens := float64(m.TokensPerRank)
	pRank := m.Hit(0, m.Experts/n)
	pDomain := m.Hit(0, m.Experts/domains)
	out, up := make([][]float64, n), make([][]float64, n)
	for i := range n {
		out[i], up[i] = make([]float64, n), make([]float64, n)
		for j := range n {
			switch {
			case i == j:
			case dom[i] == dom[j]:
				up[i][j] = float64(domains) * tokens * pRank * per
			case i%local == j%local:
				out[i][j] = tokens * pDomain * per
			}
		}
	}
	return [][][]float64{out, up}, nil
}

// Domains is how many scale-up domains the group's ranks span.
func (g *Group) Domains() int {
	_, _, n := g.domainLayout()
	return n
}

// domainLayout returns each rank's scale-up domain, renumbered in order of
// first appearance, the ranks per domain when every domain holds the same
// number in consecutive rank order (0 otherwise), and the domain count.
func (g *Group) domainLayout() (dom []int, local, domains int) {
	t := g.Fabric.Topo
	ids := map[int32]int{}
	dom = make([]int, len(g.Dies))
	for r, d := range g.Dies {
		a := t.Accels[t.Nodes[d].Index].Domain
		id, ok := ids[a]
		if !ok {
			id = len(ids)
			ids[a] = id
		}
		dom[r] = id
	}
	domains = len(ids)
	if domains == 0 || len(dom)%domains != 0 {
		return dom, 0, domains
	}
	local = len(dom) / domains
	for r := range dom {
		if dom[r] != r/local {
			return dom, 0, domains
		}
	}
	return dom, local, domains
}

// RunMoE simulates one MoE dispatch (or combine) on g: every rank sends its
// Matrix row at once (algorithm Direct) and the operation pays the fused
// MoE kernel's fixed cost, MoEOverhead, instead of op_overhead. With the
// default protocol it keeps the faster of the bulk and low-latency
// protocols, as Run does for every other operation. Result.SizeBytes is the
// bytes one rank sends (the mean row sum), so AlgBW is a rank's send rate.
func runMoEOne(g *Group, m MoE, combine bool, withLinks bool) (Result, error) {
	op := MoEDispatch
	if combine {
		op = MoECombine
	}
	out, err := Execute(g.Fabric, Request{Jobs: []Job{{Group: g, Op: op, Algorithm: Direct, MoE: &m}}, Tune: true, Links: withLinks})
	if err != nil {
		return Result{}, err
	}
	r := out.Results[0]
	r.Groups, r.AloneS = 0, 0
	return r, nil
}

// runMoE is RunMoE: one MoE layer's dispatch (or combine) alone.
func runMoE(g *Group, m MoE, combine bool, withLinks bool) (Result, error) {
	if err := m.Check(g.Size()); err != nil {
		return Result{}, err
	}
	op := MoEDispatch
	if combine {
		op = MoECombine
	}
	stages, err := m.Stages(g, combine)
	if err != nil {
		return Result{}, err
	}
	if len(stages) > 1 {
		return runStages(g, op, stages, withLinks)
	}
	mat := stages[0]
	bytes := RowBytes(mat)
	// As Run (tune): compile each protocol, bound each from below,
	// simulate them in order of that bound and skip those that cannot win.
	// The bound that orders them, lowerBound, routes every transfer (a
	// dispatch over 1,024 ranks is a million routes), so each candidate
	// first takes the cheap egressBound, no greater, in its place, and is
	// routed for its lowerBound only when reached in that order while it
	// can still win: the candidates are visited in the order, and skipped
	// at the points, of a stable sort on their lowerBounds, so the result
	// is the same as routing them all.
	type cand struct {
		plan  *Plan
		bound float64
		exact bool // bound is lowerBound, not egressBound
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
		cands = append(cands, cand{p, p.egressBound(g.Fabric), false})
	}
	if len(cands) == 0 {
		return Result{}, fmt.Errorf("no protocol can run %s here: %w", op, errors.Join(errs...))
	}
	job := []Job{{Group: g, Op: op, Algorithm: Direct, Bytes: bytes, Options: Options{Matrix: mat}}}
	var best Result
	found := false
	for len(cands) > 0 {
		k := leastBound(len(cands), func(i int) float64 { return cands[i].bound })
		c := cands[k]
		if !c.exact && !(found && c.bound >= best.TimeS) {
			cands[k].bound, cands[k].exact = c.plan.lowerBound(g.Fabric), true
			if leastBound(len(cands), func(i int) float64 { return cands[i].bound }) != k {
				continue // its place is further on
			}
			c = cands[k]
		}
		cands = slices.Delete(cands, k, k+1)
		if found && c.bound >= best.TimeS {
			continue
		}
		rs, err := runPlans(g.Fabric, job, []*Plan{c.plan}, withLinks, nil)
		if err != nil {
			return Result{}, err
		}
		if !found || rs[0].TimeS < best.TimeS {
			best, found = rs[0], true
		}
	}
	return best, nil
}

// leastBound is the index of the least of n bounds, the first of equals:
// the next candidate a stable sort on the bounds would give.
func leastBound(n int, bound func(i int) float64) int {
	k := 0
	for i := 1; i < n; i++ {
		if bound(i) < bound(k) {
			k = i
		}
	}
	return k
}

// runStages runs the stages of one MoE operation at once as bulk
// transfers, paying MoEOverhead, and returns one result: the slower
// stage's time, the bytes a rank sends over all stages, and the activity
// of the whole run.
func runStages(g *Group, op Op, stages [][][]float64, withLinks bool) (Result, error) {
	jobs := make([]Job, len(stages))
	var bytes float64
	for i, mat := range stages {
		jobs[i] = Job{Group: g, Op: op, Algorithm: Direct, Bytes: RowBytes(mat), Options: Options{Matrix: mat, Protocol: Simple}}
		bytes += RowBytes(mat)
	}
	rs, err := runJobs(g.Fabric, jobs, withLinks, nil, true)
	if err != nil {
		return Result{}, err
	}
	best := rs[0]
	for _, r := range rs[1:] {
		if r.TimeS > best.TimeS {
			best = r
		}
	}
	best.SizeBytes = bytes
	if best.TimeS > 0 {
		best.AlgBW = bytes / best.TimeS
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
func runMoEJobs(f *network.Fabric, jobs []Job, withLinks bool) ([]Result, error) {
	out, err := Execute(f, Request{Jobs: jobs, Links: withLinks})
	return out.Results, err
}

// RunPlans runs already compiled plans together on one fresh network, plan
// i for job i (whose Group, Op, Algorithm, Bytes and Start label and place
// it; its Options are not used), and returns a result per job as RunJobs
// does, Activity included. It lets a caller change a compiled plan (its
// Overhead) before running it.
func runGivenPlans(f *network.Fabric, jobs []Job, plans []*Plan, withLinks bool) ([]Result, error) {
	if plans == nil {
		plans = []*Plan{} // Execute reads nil as "compile the jobs"
	}
	out, err := Execute(f, Request{Jobs: jobs, Plans: plans, Links: withLinks})
	return out.Results, err
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
