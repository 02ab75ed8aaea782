package collective

// The entry points as they were before Execute, kept verbatim (renamed) as
// the reference that Execute and the wrappers must match exactly.

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/cardsea/cardsea/network"
)

func legacyRunJobsAPI(f *network.Fabric, jobs []Job, withLinks bool) ([]Result, error) {
	return legacyRunJobs(f, jobs, withLinks, nil)
}

func legacyRunPlans(f *network.Fabric, jobs []Job, plans []*Plan, withLinks bool) ([]Result, error) {
	return runPlans(f, jobs, plans, withLinks, nil)
}

func legacyRunJobs(f *network.Fabric, jobs []Job, withLinks bool, rec *Recording) ([]Result, error) {
	plans := make([]*Plan, len(jobs))
	for i, j := range jobs {
		if j.Group.Fabric != f {
			return nil, errors.New("collective: a job's group is on another fabric")
		}
		p, err := Compile(j.Group, j.Op, j.Algorithm, j.Bytes, j.Options)
		if err != nil {
			return nil, err
		}
		plans[i] = p
	}
	return runPlans(f, jobs, plans, withLinks, rec)
}

func legacyRun(g *Group, op Op, algo Algorithm, bytes float64, o Options, withLinks bool) (Result, error) {
	algos := []Algorithm{algo}
	if algo == Auto {
		algos = autoAlgorithms(g, op)
	}
	protos := []Protocol{o.Protocol}
	if o.Protocol == ProtoAuto {
		protos = autoProtocols(g, op, bytes)
	}
	if len(algos) == 1 && len(protos) == 1 {
		oo := o
		oo.Protocol = protos[0]
		r, err := legacyRunJobsAPI(g.Fabric, []Job{{Group: g, Op: op, Algorithm: algos[0], Bytes: bytes, Options: oo}}, withLinks)
		if err != nil {
			return Result{}, err
		}
		return r[0], nil
	}
	// Compile every combination that applies, bound each from below by its
	// most loaded channel, and simulate them in order of that bound,
	// skipping any whose bound cannot beat the best time found: the result
	// is the same as simulating all of them. The most loaded channel needs
	// every transfer routed, which costs more than simulating the winner
	// when a candidate has a transfer per pair of ranks (direct, at 1,024
	// ranks a million routes), so each candidate first takes the cheap
	// egressBound, no greater than its lowerBound, in the bound's place:
	// reached in order, it is compiled again for its lowerBound and put
	// back; one whose cheap bound already cannot beat the best is skipped
	// unrouted. Candidates are visited in the order, and skipped at the
	// points, of a sort on the lowerBounds, so the result is unchanged.
	type cand struct {
		algo  Algorithm
		proto Protocol
		bound float64
		exact bool // bound is lowerBound, not egressBound
	}
	var cands []cand
	var errs []error
	for _, a := range algos {
		for _, pr := range protos {
			oo := o
			oo.Protocol = pr
			p, err := Compile(g, op, a, bytes, oo)
			var big *TooLargeError
			if errors.As(err, &big) {
				// Choosing among the plans that fit could pick a slower
				// algorithm and call it the fastest: refuse instead.
				return Result{}, fmt.Errorf("auto cannot compare every algorithm: %w; name one with --algo", err)
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
			cands = append(cands, cand{a, pr, p.egressBound(g.Fabric), false})
		}
	}
	if len(cands) == 0 {
		return Result{}, fmt.Errorf("no algorithm can run %s here: %w", op, errors.Join(errs...))
	}
	// Visit the candidates by least bound, ties in the order tried (the
	// order of a stable sort), taking each out of cands when visited.
	first := func() int {
		k := 0
		for i := 1; i < len(cands); i++ {
			if cands[i].bound < cands[k].bound {
				k = i
			}
		}
		return k
	}
	var best Result
	found := false
	for len(cands) > 0 {
		k := first()
		c := cands[k]
		oo := o
		oo.Protocol = c.proto
		var p *Plan
		if !c.exact && !(found && c.bound >= best.TimeS) {
			var err error
			if p, err = Compile(g, op, c.algo, bytes, oo); err != nil {
				return Result{}, err
			}
			cands[k].bound, cands[k].exact = p.lowerBound(g.Fabric), true
			if first() != k {
				continue // its place is further on; p is built again there
			}
			c = cands[k]
		}
		cands = slices.Delete(cands, k, k+1)
		if found && c.bound >= best.TimeS {
			continue
		}
		var r Result
		var err error
		if p != nil {
			var rs []Result
			rs, err = runPlans(g.Fabric, []Job{{Group: g, Op: op, Algorithm: c.algo, Bytes: bytes, Options: oo}}, []*Plan{p}, withLinks, nil)
			if err == nil {
				r = rs[0]
			}
		} else {
			r, err = legacyRun(g, op, c.algo, bytes, oo, withLinks)
		}
		if err != nil {
			return Result{}, err
		}
		if !found || r.TimeS < best.TimeS {
			best, found = r, true
		}
	}
	return best, nil
}

func legacyRunGroups(groups []*Group, op Op, algo Algorithm, bytes float64, o Options, withLinks bool) (Concurrent, error) {
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
		r, err := legacyRun(g, op, algo, bytes, o, false)
		if err != nil {
			return Concurrent{}, fmt.Errorf("group %d: %w", i, err)
		}
		c.Alone[i] = r
		oo := o
		oo.Protocol = r.Protocol
		jobs[i] = Job{Group: g, Op: op, Algorithm: r.Algorithm, Bytes: bytes, Options: oo}
	}
	together, err := legacyRunJobsAPI(f, jobs, withLinks)
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

func legacyRunMoE(g *Group, m MoE, combine bool, withLinks bool) (Result, error) {
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
		return legacyRunStages(g, op, stages, withLinks)
	}
	mat := stages[0]
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
		rs, err := legacyRunPlans(g.Fabric, job, []*Plan{c.plan}, withLinks)
		if err != nil {
			return Result{}, err
		}
		if !found || rs[0].TimeS < best.TimeS {
			best, found = rs[0], true
		}
	}
	return best, nil
}

func legacyRunStages(g *Group, op Op, stages [][][]float64, withLinks bool) (Result, error) {
	jobs := make([]Job, len(stages))
	var bytes float64
	for i, mat := range stages {
		jobs[i] = Job{Group: g, Op: op, Algorithm: Direct, Bytes: RowBytes(mat), Options: Options{Matrix: mat, Protocol: Simple}}
		bytes += RowBytes(mat)
	}
	rs, err := legacyRunMoEJobs(g.Fabric, jobs, withLinks)
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

func legacyRunMoEJobs(f *network.Fabric, jobs []Job, withLinks bool) ([]Result, error) {
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
	return legacyRunPlans(f, jobs, plans, withLinks)
}
