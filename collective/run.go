package collective

import (
	"cmp"
	"errors"
	"fmt"
	"github.com/cardsea/cardsea/internal/field"
	"math"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/sim"
	"github.com/cardsea/cardsea/topology"
)

// Result is one simulated operation, nccl-tests style, in SI units.
type Result struct {
	Op        Op
	Algorithm Algorithm
	Protocol  Protocol
	Ranks     int
	SizeBytes float64
	TimeS     float64
	// AlgBW is SizeBytes/TimeS; BusBW is AlgBW times the op's bus factor.
	AlgBW, BusBW float64
	// WireBytes is what crossed links: every byte counted on every hop.
	WireBytes float64
	// PeakLinkUtil is the highest load/capacity of any channel;
	// MeanLinkBusy the mean fraction of the run that used channels were busy.
	PeakLinkUtil, MeanLinkBusy float64
	// Transfers in the plan.
	Transfers int
	// Links holds per-channel statistics when asked for.
	Links []LinkStat
	// Activity is what the topology's components did over the whole run,
	// for the power model's activity mode.
	Activity power.Run
	// Groups is how many groups ran at once (RunGroups; 0 for one
	// operation alone) and AloneS this group's time alone on an idle fabric.
	Groups int
	AloneS float64
}

// LinkStat is one channel's use during a run.
type LinkStat struct {
	Name              string
	CapacityBytesPerS float64
	Bytes             float64
	BusyS             float64
	PeakUtil          float64
}

// Job is one operation to run, possibly alongside others.
type Job struct {
	Group     *Group
	Op        Op
	Algorithm Algorithm // Auto only with Request.Tune
	Bytes     float64
	Options   Options
	// Start is when the job begins (simulated seconds from 0).
	Start float64
	// MoE, for a MoE dispatch or combine, is the layer whose traffic the
	// job carries; Bytes and Options.Matrix are then derived from it (see
	// Execute). RunPlans, and Execute with Plans, ignore it.
	MoE *MoE
}

// RunJobs runs jobs together on one network, so that they contend, and
// returns a result per job. withLinks adds per-channel statistics (of the
// whole run) to every result. A MoE dispatch or combine job pays
// op_overhead (RunMoEJobs and Execute charge MoEOverhead).
func runJobsTogether(f *network.Fabric, jobs []Job, withLinks bool) ([]Result, error) {
	out, err := Execute(f, Request{Jobs: jobs, Links: withLinks, opOverhead: true})
	return out.Results, err
}

// RunJobsTraced is RunJobs that also records the run into rec (replacing
// what it held) for a timeline: every transfer, every change of a
// channel's load, and each job's span. The results are RunJobs's.
func runJobsTraced(f *network.Fabric, jobs []Job, withLinks bool, rec *Recording) ([]Result, error) {
	out, err := Execute(f, Request{Jobs: jobs, Links: withLinks, Trace: rec, opOverhead: true})
	return out.Results, err
}

// runPlans runs compiled plans together on one fresh network, recording
// the run into rec when it is not nil.
func runPlans(f *network.Fabric, jobs []Job, plans []*Plan, withLinks bool, rec *Recording) ([]Result, error) {
	r, err := newPlanRun(f, jobs, plans, withLinks, rec)
	if err != nil {
		return nil, err
	}
	r.advance(math.Inf(1))
	return r.results()
}

// planRun is a run of plans on one fresh network (runPlans), which may
// be paused and taken up again (advance): it holds the network and the
// simulator between the two.
type planRun struct {
	f         *network.Fabric
	jobs      []Job
	plans     []*Plan
	withLinks bool
	rec       *Recording
	s         *sim.Simulator
	net       *network.Network
	ends      []sim.Time
	// stats is every channel's statistics once the run is over.
	stats []network.ChannelStats
	// load is, per channel, the bytes the plans put on it in all, for
	// the bound of a paused run (remainingBound); nil until needed.
	load []float64
	// all and allSum are every plan's channel-bytes, for Progress; nil
	// until reported.
	all    []float64
	allSum float64
}

// newPlanRun checks jobs and their plans and readies their run on one
// fresh network, as runPlans does; a run that takes a fast path
// (symmetry.go, orbit.go, merged.go) is then already over.
func newPlanRun(f *network.Fabric, jobs []Job, plans []*Plan, withLinks bool, rec *Recording) (*planRun, error) {
	if len(plans) != len(jobs) {
		return nil, fmt.Errorf("collective: %d plans for %d jobs", len(plans), len(jobs))
	}
	s := sim.New()
	net := network.New(f, s)
	if rec != nil {
		net.Observe(rec)
	}
	ends := make([]sim.Time, len(jobs))
	for i, j := range jobs {
		if j.Group.Fabric != f {
			return nil, errors.New("collective: a job's group is on another fabric")
		}
		p := plans[i]
		if p == nil {
			return nil, fmt.Errorf("collective: job %d has no plan", i)
		}
		// Resolve routes now: an unroutable transfer (a fault cut the
		// group) is an error before the run, not a run that never ends.
		if err := p.resolveRoutes(f); err != nil {
			return nil, err
		}
	}
	var stats []network.ChannelStats
	if len(plans) == 1 && rec == nil && symmetric {
		// One plan alone, untraced: its channels may be images of one
		// another (symmetry.go).
		if end, st, ok := plans[0].runSymmetric(f, sim.FromSeconds(jobs[0].Start)); ok {
			ends[0], stats = end, st
		}
	}
	if stats == nil && len(plans) == 1 && rec == nil && plans[0].orbit != nil {
		// An all-pairs plan in orbit form runs as rank 0's transfers
		// (orbit.go).
		if end, st, ok := plans[0].runOrbit(f, sim.FromSeconds(jobs[0].Start)); ok {
			ends[0], stats = end, st
		}
	}
	if stats == nil {
		// Any other run needs every transfer: a plan in orbit form is
		// built whole (in a copy of the list: the caller's is kept).
		copied := false
		for i, p := range plans {
			if p.orbit == nil {
				continue
			}
			q, err := p.orbit.expand(p)
			if err == nil {
				err = q.resolveRoutes(f)
			}
			if err != nil {
				return nil, err
			}
			if !copied {
				plans, copied = slices.Clone(plans), true
			}
			plans[i] = q
		}
	}
	if stats == nil && len(plans) == 1 && rec == nil && merging {
		// An all-to-all's transfers may merge by class (merged.go).
		if end, st, ok := plans[0].runMerged(f, sim.FromSeconds(jobs[0].Start)); ok {
			ends[0], stats = end, st
		}
	}
	r := &planRun{f: f, jobs: jobs, plans: plans, withLinks: withLinks, rec: rec, s: s, net: net, ends: ends, stats: stats}
	if stats == nil {
		for i, j := range jobs {
			p := plans[i]
			i, at := i, sim.FromSeconds(j.Start)
			var startErr error
			s.Schedule(at, func(sim.Time) {
				startErr = p.start(net, s, func(now sim.Time) { ends[i] = now }, rec, i)
			})
			if startErr != nil {
				return nil, startErr
			}
		}
	}
	return r, nil
}

// results is runPlans's results of a run that advance has ended.
func (run *planRun) results() ([]Result, error) {
	f, jobs, plans, ends, withLinks := run.f, run.jobs, run.plans, run.ends, run.withLinks
	res := make([]Result, len(jobs))
	stats := unpace(plans, run.stats)
	var peak, busy float64
	used := 0
	end := sim.Time(0)
	for _, e := range ends {
		end = max(end, e)
	}
	var links []LinkStat
	var wire float64
	for c, st := range stats {
		wire += st.Bytes
		if st.Bytes == 0 {
			continue
		}
		used++
		peak = math.Max(peak, st.PeakUtil)
		if end > 0 {
			busy += st.Busy.Seconds() / end.Seconds()
		}
		if withLinks {
			ch := f.Channels()[c]
			links = append(links, LinkStat{Name: f.ChannelName(c), CapacityBytesPerS: ch.BytesPerS, Bytes: st.Bytes, BusyS: st.Busy.Seconds(), PeakUtil: st.PeakUtil})
		}
	}
	if used > 0 {
		busy /= float64(used)
	}
	act := activity(f, jobs, ends, stats)
	for i, j := range jobs {
		t := (ends[i] - sim.FromSeconds(j.Start)).Seconds()
		if ends[i] == 0 && plans[i].Transfers() > 0 {
			return nil, fmt.Errorf("collective: %s %s never finished (a route is missing)", j.Op, j.Algorithm)
		}
		r := Result{Op: j.Op, Algorithm: j.Algorithm, Protocol: plans[i].Protocol, Ranks: j.Group.Size(), SizeBytes: j.Bytes, TimeS: t,
			Transfers: plans[i].Transfers(), WireBytes: wire, PeakLinkUtil: peak, MeanLinkBusy: busy, Links: links, Activity: act}
		if t > 0 {
			r.AlgBW = j.Bytes / t
			r.BusBW = r.AlgBW * j.Op.BusFactor(r.Ranks)
		}
		res[i] = r
	}
	return res, nil
}

// Run simulates one operation alone. With Auto it simulates every
// algorithm the operation has that the topology can run (and, with
// ProtoAuto, both protocols) and returns the fastest; Result.Algorithm and
// Result.Protocol say which. A MoE dispatch or combine pays op_overhead
// (RunMoE and Execute charge MoEOverhead).
func runTuned(g *Group, op Op, algo Algorithm, bytes float64, o Options, withLinks bool) (Result, error) {
	out, err := Execute(g.Fabric, Request{Jobs: []Job{{Group: g, Op: op, Algorithm: algo, Bytes: bytes, Options: o}}, Tune: true, Links: withLinks, opOverhead: true})
	if err != nil {
		return Result{}, err
	}
	r := out.Results[0]
	r.Groups, r.AloneS = 0, 0
	return r, nil
}

// tune simulates one operation alone with its fastest algorithm (of
// every one it has, with Auto) and protocol (both, with ProtoAuto), as
// Run; a MoE dispatch or combine pays MoEOverhead when moeOverhead is
// set.
func tune(g *Group, op Op, algo Algorithm, bytes float64, o Options, withLinks, moeOverhead bool) (Result, error) {
	algos := []Algorithm{algo}
	if algo == Auto {
		algos = autoAlgorithms(g, op)
	}
	protos := []Protocol{o.Protocol}
	if o.Protocol == ProtoAuto {
		protos = autoProtocols(g, op, bytes)
	}
	if len(algos) == 1 && len(protos) == 1 {
		// The one candidate (Auto of an operation with one algorithm
		// runs that one).
		oo := o
		oo.Protocol = protos[0]
		o.Progress.set("simulating", algos[0], protos[0])
		r, err := runJobs(g.Fabric, []Job{{Group: g, Op: op, Algorithm: algos[0], Bytes: bytes, Options: oo}}, withLinks, nil, moeOverhead)
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
	// egressBound, no greater than its lowerBound, in the bound's place,
	// from a dry compile (Plan.dry: the builder's transfers counted and
	// summed, not stored, so a candidate skipped there costs no plan):
	// reached in order, it is compiled dry again, routed (dryExact), for
	// its lowerBound and put back, and compiled whole only to run; one
	// whose cheap bound already cannot beat the best is skipped
	// unrouted. Candidates are visited in the order, and skipped at the
	// points, of a sort on the lowerBounds, so the result is unchanged.
	type cand struct {
		algo  Algorithm
		proto Protocol
		bound float64
		exact bool // bound is lowerBound, not egressBound
		// key is the lowerBound (bound before any pause) and idx the
		// order tried, for ties; run is the candidate's run once
		// started, paused while it is in cands.
		key float64
		idx int
		run *planRun
		// For its load bound (loadbound.go): the overhead, loadScale
		// and, in ring form, the dry plan; loaded once it was taken.
		over, scale float64
		rings       *Plan
		loaded      bool
		// lazy marks a candidate not yet compiled, bounded from
		// another protocol's plan (lazyBound).
		lazy bool
	}
	// worsts lists, per algorithm, the most loaded channel's time and
	// loadScale of a candidate's dryExact plan, for the load bound of the
	// same algorithm under another protocol.
	type worst struct {
		algo         Algorithm
		worst, scale float64
	}
	var worsts []worst
	var cands []cand
	var errs []error
	// Candidates too large to run are bounded from below by what was
	// built of them (TooLargeError.refused) and set aside; once the
	// others are done, one whose bound is not above the best time found
	// might have been the fastest, and Auto refuses. The bound is first
	// the cheap egressBound, and refusedBound (which routes) only where
	// that does not rule the candidate out: by then the routes it needs
	// are mostly cached from the runs.
	type over struct {
		err   *TooLargeError
		bound float64
		at    int // the order tried, for ties
	}
	var overs []over
	// price compiles a candidate dry for its egressBound: its plan, or
	// nil where it is too large (set aside in overs) or fails (in errs);
	// the error is Auto's refusal.
	price := func(a Algorithm, oo Options, at int) (*Plan, error) {
		// Dry: the bound is the stored plan's, the plan is not kept.
		o.Progress.set("bounding", a, oo.Protocol)
		p, err := compileJobAs(Job{Group: g, Op: op, Algorithm: a, Bytes: bytes, Options: oo}, moeOverhead, dryEgress)
		var big *TooLargeError
		if errors.As(err, &big) {
			if big.refused == nil {
				return nil, tooLargeForAuto(big, 0, nil)
			}
			overs = append(overs, over{big, big.refused.egressBound(g.Fabric), at})
			return nil, nil
		}
		if err != nil {
			errs = append(errs, err)
			return nil, nil
		}
		return p, nil
	}
	tried := 0
	for _, a := range algos {
		var base *Plan // a's dry plan under its first protocol
		for _, pr := range protos {
			oo := o
			oo.Protocol = pr
			at := tried
			tried++
			if lazyPricing && base != nil && lazyPriced(base) {
				// Priced lazily (loadbound.go): bounded from the
				// first protocol's plan until reached.
				if h, err := compileJobAs(Job{Group: g, Op: op, Algorithm: a, Bytes: bytes, Options: oo}, moeOverhead, dryHead); err == nil {
					cands = append(cands, cand{algo: a, proto: pr, bound: lazyBound(h, base, g.Fabric), idx: at, over: h.Overhead.Seconds(), scale: h.loadScale(), lazy: true})
					continue
				}
			}
			p, err := price(a, oo, at)
			if err != nil {
				return Result{}, err
			}
			if p == nil {
				continue
			}
			if base == nil {
				base = p
			}
			c := cand{algo: a, proto: pr, bound: p.egressBound(g.Fabric), idx: at, over: p.Overhead.Seconds(), scale: p.loadScale()}
			if p.rings != nil {
				c.rings = p // a ring-form plan is small: kept for its ringLoadBound
			}
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 && len(overs) == 0 {
		return Result{}, fmt.Errorf("no algorithm can run %s here: %w", op, errors.Join(errs...))
	}
	// Visit the candidates by least bound, ties in the order tried (the
	// order of a stable sort), taking each out of cands when visited.
	// A run may pause (paused.go) once it cannot end before the least
	// bound of the others (or the best time found): it stays in cands at
	// that bound, and the candidates are then no longer run in the order
	// of their lowerBounds. The result is still that order's: the
	// fastest, ties to the least lowerBound (key) and then the order
	// tried, which is what visiting by lowerBound and keeping the first
	// of the fastest gives.
	first := func() int { return leastBound(len(cands), func(i int) float64 { return cands[i].bound }) }
	var best Result
	var bestKey, bestIdx = 0.0, 0
	found := false
	// ahead reports whether cands[k] comes before the best in that order.
	ahead := func(k int) bool {
		c := cands[k]
		return c.key < bestKey || (c.key == bestKey && c.idx < bestIdx)
	}
	for len(cands) > 0 {
		k := first()
		c := cands[k]
		oo := o
		oo.Protocol = c.proto
		var p *Plan
		if !c.exact && !c.loaded && !(found && c.bound >= best.TimeS) {
			// First its load bound, which may put it further on or
			// skip it without a dryExact compile.
			cands[k].loaded = true
			lb, ok := 0.0, false
			if c.rings != nil {
				lb, ok = c.rings.ringLoadBound(g.Fabric)
				cands[k].rings = nil
			}
			for _, w := range worsts {
				if w.algo == c.algo {
					lb, ok = math.Max(lb, scaledBound(c.over, c.scale, w.worst, w.scale)), true
				}
			}
			if ok && lb > c.bound {
				cands[k].bound = lb
				continue
			}
		}
		if c.lazy && !(found && c.bound >= best.TimeS) {
			// Priced now, as it would have been first: its egressBound
			// (no less than lowerBound's, so the larger of the two
			// bounds it), or set aside or dropped as it would have been.
			q, err := price(c.algo, oo, c.idx)
			if err != nil {
				return Result{}, err
			}
			if q == nil {
				cands = slices.Delete(cands, k, k+1)
				continue
			}
			cands[k].lazy = false
			cands[k].bound = math.Max(c.bound, q.egressBound(g.Fabric))
			if q.rings != nil {
				cands[k].rings, cands[k].loaded = q, false
			}
			continue
		}
		if !c.exact && !(found && c.bound >= best.TimeS) {
			job := Job{Group: g, Op: op, Algorithm: c.algo, Bytes: bytes, Options: oo}
			if !found && len(cands) == 1 {
				// The last candidate with nothing to beat runs
				// whatever its bound: no order or skip depends on
				// it.
				var err error
				if p, err = compileJob(job, moeOverhead); err != nil {
					return Result{}, err
				}
				cands[k].exact = true
			} else {
				// Its lowerBound from a dryExact compile: a
				// candidate whose bound puts it further on, or
				// skips it, costs no plan; one run is compiled
				// whole by the run.
				q, err := compileJobAs(job, moeOverhead, dryExact)
				if err != nil {
					return Result{}, err
				}
				var load []float64
				cands[k].bound, load = q.lowerBoundLoad(g.Fabric)
				cands[k].exact = true
				if q.rings == nil && load != nil && q.orbit == nil {
					worsts = append(worsts, worst{c.algo, worstLoad(g.Fabric, load), c.scale})
				}
			}
			cands[k].key = cands[k].bound
			if first() != k {
				continue // its place is further on; p is built again there
			}
			c = cands[k]
		}
		if found && (c.bound > best.TimeS || (c.bound == best.TimeS && !(c.run != nil && ahead(k)))) {
			if c.lazy {
				unpriced.Add(1)
			}
			cands = slices.Delete(cands, k, k+1)
			continue
		}
		job := Job{Group: g, Op: op, Algorithm: c.algo, Bytes: bytes, Options: oo}
		if c.run == nil {
			if p == nil {
				var err error
				if p, err = compileJob(job, moeOverhead); err != nil {
					return Result{}, err
				}
			}
			o.Progress.set("simulating", c.algo, c.proto)
			run, err := newPlanRun(g.Fabric, []Job{job}, []*Plan{p}, withLinks, nil)
			if err != nil {
				return Result{}, err
			}
			cands[k].run = run
		} else {
			o.Progress.set("simulating", c.algo, c.proto)
		}
		// Run until it ends, or pause once it cannot end before the
		// least bound of the others or the best time found.
		cutoff := math.Inf(1)
		for i, d := range cands {
			if i != k {
				cutoff = math.Min(cutoff, d.bound)
			}
		}
		if found {
			cutoff = math.Min(cutoff, best.TimeS)
		}
		if !cands[k].run.advance(cutoff) {
			cands[k].bound = cands[k].run.remainingBound()
			continue
		}
		rs, err := cands[k].run.results()
		if err != nil {
			return Result{}, err
		}
		r := rs[0]
		if !found || r.TimeS < best.TimeS || (r.TimeS == best.TimeS && ahead(k)) {
			best, found = r, true
			bestKey, bestIdx = c.key, c.idx
		}
		cands = slices.Delete(cands, k, k+1)
	}
	// A candidate set aside cannot beat the best when its bound is above
	// the best time: simulating it would not change the result. One that
	// might (at a bound equal to the best it might tie, and the order of
	// ties is by bound) is simulated whole when its plan fits the memory
	// limit, as the dry compile's pricing limit set it aside only to spare
	// the pricing, and refused when it does not. They are taken by least
	// bound, ties in the order tried.
	if !found && len(overs) == 0 {
		// Every candidate priced lazily failed.
		return Result{}, fmt.Errorf("no algorithm can run %s here: %w", op, errors.Join(errs...))
	}
	slices.SortStableFunc(overs, func(a, b over) int { return cmp.Or(cmp.Compare(a.bound, b.bound), cmp.Compare(a.at, b.at)) })
	for _, v := range overs {
		if found && v.bound <= best.TimeS {
			v.bound = max(v.bound, v.err.refused.refusedBound(g.Fabric))
		}
		v.err.refused = nil
		if found && v.bound > best.TimeS {
			continue
		}
		if v.err.RingForm || v.err.Transfers > int64(transferLimit(v.err.Algorithm, o.MaxMemory)) {
			if !found {
				return Result{}, tooLargeForAuto(v.err, 0, nil)
			}
			return Result{}, tooLargeForAuto(v.err, v.bound, &best)
		}
		oo := o
		oo.Protocol = v.err.proto
		r, err := tune(g, op, v.err.Algorithm, bytes, oo, withLinks, moeOverhead)
		if err != nil {
			return Result{}, err
		}
		if !found || r.TimeS < best.TimeS {
			best, found = r, true
		}
	}
	o.Progress.set("simulated", best.Algorithm, best.Protocol)
	o.Progress.fraction(1)
	return best, nil
}

// lazyPricing turns on the lazy pricing of a candidate's other protocols
// (lazyPriced); tests turn it off to compare. unpriced counts the
// candidates ruled out uncompiled, for the tests.
var (
	lazyPricing = true
	unpriced    atomic.Int64
)

// autoAlgorithms lists the algorithms Auto tries for op on g: every one op
// has within a scale-up domain; across domains, those NCCL runs there.
// NCCL has no one-shot (direct) or halving-doubling reduction across
// nodes: its tuner picks among ring, tree, NVLS-Tree and CollNet
// (src/graph/tuning.cc, NCCL 2.30.7), and hier here stands for NVLS-Tree's
// split into a level within the domain and one across. Alltoall is
// point-to-point sends in NCCL as here, direct or pairwise.
//
// Ascend runs HCCL instead (g.hccl), whose algorithms are Mesh, Ring,
// Double-Ring and Star within a server and Ring, RHD (recursive
// halving-doubling), NHR, NB, Pipeline and Pairwise across servers and
// SuperPoDs, hierarchically (Huawei HCCL User Guide, CANN 9.0.0,
// "Algorithm Overview", hiascend.com hcclug_000114): no tree and no
// in-switch reduction, so auto leaves tree and NVLS out, and keeps
// halving-doubling across domains.
func autoAlgorithms(g *Group, op Op) []Algorithm {
	all := AlgorithmsFor(op)
	across := g.spans && (op == AllReduce || op == AllGather || op == ReduceScatter)
	if !across && !g.hccl {
		return all
	}
	out := make([]Algorithm, 0, len(all))
	for _, a := range all {
		switch {
		case g.hccl && (a == Tree || a == NVLS):
		case across && a == Direct:
		case across && a == HalvDoub && !g.hccl:
		default:
			out = append(out, a)
		}
	}
	return out
}

// tooLargeForAuto is Auto's refusal of a candidate too large to simulate
// that might be the fastest: its bound, with best, says why it could not
// be ruled out.
func tooLargeForAuto(big *TooLargeError, bound float64, best *Result) error {
	why := ""
	if best != nil {
		why = fmt.Sprintf(" (it could take as little as %.4g s, and the fastest that fits, %s, takes %.4g s)", bound, best.Algorithm, best.TimeS)
	}
	return &field.Error{Field: "algorithm", Err: big, Msg: fmt.Sprintf("auto cannot compare every algorithm: %v%s; name one", big, why)}
}

// egressBound is a lower bound of lowerBound that needs no routes: the
// overhead plus the larger of the plan's chain of software latencies (as
// lowerBound's) and the most bytes any vertex sends over the capacity of
// all its channels out. Every route leaves its source in shares that sum
// to one over those channels, so the busiest of them carries at least
// that much per capacity. A vertex with a channel out of no capacity
// (which lowerBound leaves out) does not count, and a relative 1e-6 taken
// off covers the rounding of lowerBound's sums.
func (p *Plan) egressBound(f *network.Fabric) float64 {
	return p.Overhead.Seconds() + math.Max(p.egressWorst(f)*(1-1e-6), max(p.latencyChain(), p.unbuiltChain).Seconds())
}

// egressWorst is egressBound's most bytes any vertex sends over the
// capacity of all its channels out, in seconds.
func (p *Plan) egressWorst(f *network.Fabric) float64 {
	out := make([]float64, f.Vertices())
	for _, ch := range f.Channels() {
		if ch.BytesPerS > 0 && out[ch.From] >= 0 {
			out[ch.From] += ch.BytesPerS
		} else {
			out[ch.From] = -1
		}
	}
	sent := make([]float64, f.Vertices())
	for _, r := range p.rings {
		if r.chunk <= 0 {
			continue
		}
		for i := range r.n {
			next := i + 1
			if next == r.n {
				next = 0
			}
			if r.verts[i] != r.verts[next] {
				sent[r.verts[i]] += float64(r.steps) * float64(r.chunks) * r.chunk
			}
		}
	}
	if d := p.dry; d != nil {
		// Summed in transfer order as the loop below sums them, from
		// zero: a dry plan with rings holds no transfers (compileDry).
		for v, b := range d.sent {
			sent[v] += b
		}
	}
	for _, x := range p.xfers {
		if !x.join && x.bytes > 0 && x.src != x.dst {
			sent[x.src] += x.bytes
		}
	}
	if o := p.orbit; o != nil {
		// Every rank sends what rank 0 does.
		for _, v := range o.verts[1:] {
			sent[v] += sent[o.verts[0]]
		}
	}
	for v, b := range p.unbuilt {
		sent[v] += b
	}
	worst := 0.0
	for v, b := range sent {
		if out[v] > 0 {
			worst = math.Max(worst, b/out[v])
		}
	}
	return worst
}

// refusedBound bounds a refused plan (TooLargeError.refused) from below:
// the larger of its egressBound and the most loaded channel's bytes over
// its capacity, counting its rings (each position's route carrying all
// its steps and chunks) and the pairs its refused parts would have sent
// between, where they were recorded. The sums are not lowerBound's, so a
// relative 1e-6 is taken off as in egressBound.
func (p *Plan) refusedBound(f *network.Fabric) float64 {
	bound := p.egressBound(f)
	load := make([]float64, len(f.Channels()))
	for _, r := range p.rings {
		if r.chunk <= 0 {
			continue
		}
		per := float64(r.steps) * float64(r.chunks) * r.chunk
		routes, err := p.ringRoutes(f, r)
		if err != nil {
			return bound
		}
		for _, rt := range routes {
			rt.AddLoad(load, per)
		}
	}
	for _, x := range p.unbuiltPairs {
		if err := f.AddLoad(load, x.src, x.dst, x.bytes); err != nil {
			return bound
		}
	}
	worst := 0.0
	for c, ch := range f.Channels() {
		if ch.BytesPerS > 0 {
			worst = math.Max(worst, load[c]/ch.BytesPerS)
		}
	}
	return math.Max(bound, p.Overhead.Seconds()+worst*(1-1e-6))
}

// lowerBound is a time the plan cannot beat: the operation overhead plus
// the larger of the most loaded channel's bytes over its capacity and the
// plan's longest chain of software latencies (latencyChain).
func (p *Plan) lowerBound(f *network.Fabric) float64 {
	b, _ := p.lowerBoundLoad(f)
	return b
}

// lowerBoundLoad is lowerBound with the load it puts on every channel
// (nil where the bound is infinite: a route is missing).
func (p *Plan) lowerBoundLoad(f *network.Fabric) (float64, []float64) {
	load := make([]float64, len(f.Channels()))
	path := sim.Time(0) // the critical path; see below
	var paths ringPaths
	for _, r := range p.rings {
		if r.chunk <= 0 {
			continue
		}
		// Each position's route once, then each position's bytes,
		// every step's chunks at once.
		routes, err := p.ringRoutes(f, r)
		if err != nil {
			return math.Inf(1), nil
		}
		sent := r.chunk * float64(r.steps*r.chunks)
		for _, rt := range routes {
			rt.AddLoad(load, sent)
		}
		path = max(path, paths.of(r, f, routes))
	}
	if d := p.dry; d != nil {
		// A dryExact plan's transfers are summed up as this loop
		// would have: the load added to the rings' (a dry plan with
		// rings has no transfers: its load is all zero), the path.
		b := d.exact
		if b == nil {
			panic("collective: lowerBound of a plan compiled for egressBound only")
		}
		if b.unroutable {
			return math.Inf(1), nil
		}
		for c, l := range b.load {
			load[c] += l
		}
		path = max(path, b.path)
		return p.boundOf(f, load, path), load
	}
	if len(p.xfers) > 0 && p.deps == nil {
		p.seal()
	}
	// The critical path, as latencyChain's but each transfer also taking
	// its bytes at its route's solo rate (no max-min rate is higher) to
	// leave, and its route's latency more to arrive. Stored plans are in
	// dependency order, so a transfer's earliest start is final when it
	// is reached. Durations are taken 1e-9 short and a picosecond less,
	// so that the simulator's rounding (drain times round up to the
	// picosecond) cannot put the run below the bound.
	start := make([]sim.Time, len(p.xfers))
	// The routes the run will take, resolved once: a plan that is then
	// run finds them resolved.
	if len(p.xfers) > 0 && p.rings == nil {
		if err := p.resolveRoutes(f); err != nil {
			return math.Inf(1), nil // unroutable: let the run report it
		}
	}
	routeOfX := func(i int) *network.Route { return p.routes[p.route[i]] }
	// Each route's solo rate, found once (-1 before).
	solo := make([]float64, len(p.routes))
	for i := range solo {
		solo[i] = -1
	}
	for i := range p.xfers {
		x := &p.xfers[i]
		sent, arrived := start[i], start[i]
		if !x.join {
			sent += x.alpha
			arrived = sent
			if x.bytes > 0 {
				rt := routeOfX(i)
				rt.AddLoad(load, x.bytes)
				k := p.route[i]
				if solo[k] < 0 {
					solo[k] = f.SoloRate(rt)
				}
				sent += soloTimeAt(solo[k], x.bytes)
				arrived = sent + rt.Delay()
			} else {
				arrived = sent + routeOfX(i).Delay()
			}
		}
		path = max(path, arrived)
		for _, j := range p.arrivalDeps(int32(i)) {
			start[j] = max(start[j], arrived)
		}
		for _, j := range p.sentDeps(int32(i)) {
			start[j] = max(start[j], sent)
		}
	}
	if p.orbit != nil {
		// Rank 0's critical path is every rank's; its load, spread
		// over the orbits, the whole plan's.
		p.orbit.spread(load)
	}
	return p.boundOf(f, load, path), load
}

// boundOf is lowerBound from the load of every channel and the critical
// path.
func (p *Plan) boundOf(f *network.Fabric, load []float64, path sim.Time) float64 {
	worst := 0.0
	for c, ch := range f.Channels() {
		if ch.BytesPerS > 0 {
			worst = math.Max(worst, load[c]/ch.BytesPerS)
		}
	}
	return p.Overhead.Seconds() + math.Max(worst, max(p.latencyChain(), path).Seconds())
}

// soloTime is a time a transfer of bytes along rt cannot drain faster
// than: at its solo rate, 1e-9 short and a picosecond less, so that the
// simulator's rounding (drain times round up to the picosecond) cannot
// beat it.
func soloTime(f *network.Fabric, rt *network.Route, bytes float64) sim.Time {
	return soloTimeAt(f.SoloRate(rt), bytes)
}

// soloTimeAt is soloTime for a route whose solo rate is rate.
func soloTimeAt(rate, bytes float64) sim.Time {
	return max(0, sim.FromSeconds(bytes/rate*(1-1e-9))-1)
}

// ringPaths memoises criticalPath over the rings of one plan. A ring's
// critical path is the same under a rotation of its positions (every
// position starts step 0 at once and waits on its left neighbour only,
// so rotating the positions rotates every time computed), and NCCL's
// channels are mostly rotations of one another by local GPU index: a
// ring whose step latencies, solo times and route delays are a rotation
// of an earlier ring's (same steps, chunks and chunk size) takes its
// path. Finding the rotation costs O(n) per candidate offset, far less
// than the O(n·steps·chunks) it spares.
type ringPaths struct {
	seen []ringTimes
}

// ringTimes is what criticalPath reads of a ring, and its path.
type ringTimes struct {
	steps, chunks    int
	chunk            float64
	alpha, dur, wait []sim.Time
	path             sim.Time
}

// of is r.criticalPath(f, routes), from an earlier ring's when a rotation
// of it.
func (m *ringPaths) of(r *ringForm, f *network.Fabric, routes []*network.Route) sim.Time {
	if r.chunk <= 0 {
		return 0
	}
	t := ringTimes{steps: r.steps, chunks: r.chunks, chunk: r.chunk, alpha: r.alpha,
		dur: make([]sim.Time, r.n), wait: make([]sim.Time, r.n)}
	for i, rt := range routes {
		t.dur[i], t.wait[i] = soloTime(f, rt, r.chunk), rt.Delay()
	}
	for _, u := range m.seen {
		if u.steps == t.steps && u.chunks == t.chunks && u.chunk == t.chunk && len(u.dur) == r.n && rotationOf(u, t) {
			return u.path
		}
	}
	t.path = r.criticalPath(f, routes)
	m.seen = append(m.seen, t)
	return t.path
}

// rotationTries bounds the offsets rotationOf checks in full.
const rotationTries = 64

// rotationOf reports whether t's positions are u's rotated by some
// offset: t's position i is u's position (i+s) mod n. It may miss one
// past rotationTries offsets whose first position matches.
func rotationOf(u, t ringTimes) bool {
	n := len(u.dur)
	same := func(s int) bool {
		for i := range n {
			j := i + s
			if j >= n {
				j -= n
			}
			if t.alpha[i] != u.alpha[j] || t.dur[i] != u.dur[j] || t.wait[i] != u.wait[j] {
				return false
			}
		}
		return true
	}
	tried := 0
	for s := range n {
		if t.alpha[0] == u.alpha[s] && t.dur[0] == u.dur[s] && t.wait[0] == u.wait[s] {
			if same(s) {
				return true
			}
			if tried++; tried == rotationTries {
				return false // computing the path is cheaper than more tries
			}
		}
	}
	return false
}

// criticalPath is lowerBound's critical path of a ring (routes[i] is
// position i's route to its successor), transfer by transfer as the
// stored ring's (Plan.ring) is computed, with the same figures: step k's
// chunk c from position i starts once step k-1's chunk c from position
// i-1 has arrived and position i's previous transfer has left.
func (r *ringForm) criticalPath(f *network.Fabric, routes []*network.Route) sim.Time {
	if r.chunk <= 0 {
		return 0
	}
	dur, delay := make([]sim.Time, r.n), make([]sim.Time, r.n)
	for i, rt := range routes {
		dur[i], delay[i] = soloTime(f, rt, r.chunk), rt.Delay()
	}
	arr, prevArr := make([]sim.Time, r.n*r.chunks), make([]sim.Time, r.n*r.chunks)
	lastSent := make([]sim.Time, r.n)
	path := sim.Time(0)
	for k := range r.steps {
		arr, prevArr = prevArr, arr
		for i := range r.n {
			left := i - 1
			if i == 0 {
				left = r.n - 1
			}
			for c := range r.chunks {
				start := lastSent[i] // 0 for the very first
				if k > 0 {
					start = max(start, prevArr[left*r.chunks+c])
				}
				sent := start + firstChunk(c, r.alpha[i]) + dur[i]
				lastSent[i] = sent
				arr[i*r.chunks+c] = sent + delay[i]
				path = max(path, sent+delay[i])
			}
		}
	}
	return path
}

// latencyChain is the longest chain of software latencies in the plan: a
// transfer starts its latency once everything it waits for has been sent
// or has arrived, each no sooner than it started, so the last transfer
// cannot start before the largest sum of latencies along a chain of
// dependencies. Stored plans are in dependency order (a transfer after
// everything it waits for). A ring (ringForm) waits, for step k's first
// chunk from position i, on step k-1's from i-1 and from i (its previous
// send, the last chunk, which starts with the first: later chunks pay no
// latency), so its chain is computed step by step; the sums are of whole
// picoseconds and equal the stored ring's exactly.
func (p *Plan) latencyChain() sim.Time {
	best := sim.Time(0)
	for _, r := range p.rings {
		if uniform(r.alpha) {
			// Every step adds the one latency: (k+1)·alpha at step k.
			best = max(best, sim.Time(r.steps)*r.alpha[0])
			continue
		}
		e := make([]sim.Time, r.n) // step k's chain ending at position i
		copy(e, r.alpha)
		prev := make([]sim.Time, r.n)
		for k := 1; k < r.steps; k++ {
			e, prev = prev, e
			for i := range r.n {
				left := i - 1
				if i == 0 {
					left = r.n - 1
				}
				e[i] = max(prev[left], prev[i]) + r.alpha[i]
			}
		}
		for _, t := range e {
			best = max(best, t)
		}
	}
	if p.dry != nil {
		return max(best, p.dry.best)
	}
	if len(p.xfers) == 0 {
		return best
	}
	if p.deps == nil {
		p.seal()
	}
	e := make([]sim.Time, len(p.xfers))
	for i := range p.xfers {
		e[i] += p.xfers[i].alpha
		best = max(best, e[i])
		for _, j := range p.arrivalDeps(int32(i)) {
			e[j] = max(e[j], e[i])
		}
		for _, j := range p.sentDeps(int32(i)) {
			e[j] = max(e[j], e[i])
		}
	}
	return best
}

// uniform reports whether every latency of alpha is the same.
func uniform(alpha []sim.Time) bool {
	for _, a := range alpha {
		if a != alpha[0] {
			return false
		}
	}
	return true
}

// activity summarises a run for the power model: each accelerator
// communicates from the start to the end of every job it takes part in
// (collective kernels stay resident while they wait), and each switch chip
// carries its share of the bytes entering its class.
func activity(f *network.Fabric, jobs []Job, ends []sim.Time, stats []network.ChannelStats) power.Run {
	t := f.Topo
	r := power.Run{
		AccelCommS:     make([]float64, len(t.Accels)),
		SwitchBytes:    make([]float64, len(t.Switches)),
		SwitchPeakUtil: make([]float64, len(t.Switches)),
	}
	first, last := math.Inf(1), 0.0
	spans := make([][][2]float64, len(t.Accels))
	for i, j := range jobs {
		a, b := j.Start, ends[i].Seconds()
		first, last = math.Min(first, a), math.Max(last, b)
		seen := map[int32]bool{}
		for _, d := range j.Group.Dies {
			acc := t.Nodes[d].Index
			if !seen[acc] {
				seen[acc] = true
				spans[acc] = append(spans[acc], [2]float64{a, b})
			}
		}
	}
	if len(jobs) > 0 {
		r.DurationS = last - first
	}
	for acc, ss := range spans {
		sort.Slice(ss, func(i, j int) bool { return ss[i][0] < ss[j][0] })
		end := math.Inf(-1)
		for _, s := range ss {
			a := math.Max(s[0], end)
			if s[1] > a {
				r.AccelCommS[acc] += s[1] - a
			}
			end = math.Max(end, s[1])
		}
	}
	for c, ch := range f.Channels() {
		members := f.Members(ch.To)
		node := t.Nodes[members[0]]
		if node.Kind != topology.KindSwitch || stats[c].Bytes == 0 {
			continue
		}
		per := stats[c].Bytes / float64(len(members))
		for _, m := range members {
			sw := t.Nodes[m].Index
			r.SwitchBytes[sw] += per
			spec := t.Switches[sw].Spec
			if cap := float64(spec.Ports) * spec.PortBytesPerS * float64(len(members)); cap > 0 {
				r.SwitchPeakUtil[sw] += stats[c].PeakUtil * ch.BytesPerS / cap
			}
		}
	}
	return r
}
