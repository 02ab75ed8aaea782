package collective

import (
	"errors"
	"fmt"

	"github.com/cardsea/cardsea/network"
)

// Request is what Execute runs: jobs on one fabric, tuned or as given,
// alone or together, compiled here or already compiled, traced or not.
//
//	one operation, fastest algorithm   One(g, op, algo, bytes, o)
//	groups at once, each tuned alone   Jobs: a job per group, Tune
//	one MoE dispatch or combine        Jobs: {MoEJob(g, m, combine)}, Tune
//	given jobs together                Jobs
//	... and recorded for a timeline    Jobs, Trace
//	compiled plans together            Jobs, Plans
type Request struct {
	// Jobs run together on one fresh network, so that they contend; a
	// job's group must be on Execute's fabric.
	Jobs []Job
	// Tune first simulates each job alone and takes the fastest
	// algorithm (of all the operation has, when the job's Algorithm is
	// Auto) and protocol (Simple and LL, when its Protocol is ProtoAuto)
	// that the topology can run, as NCCL's tuner chooses without knowing
	// what else runs; with several jobs they then run together with those
	// choices. Without Tune a job names its algorithm (Auto is an error)
	// and the default protocol compiles as Simple.
	Tune bool
	// Plans, when not nil, are the jobs' plans, already compiled: plan i
	// for job i, whose Group, Op, Algorithm, Bytes and Start label and
	// place it and whose Options are not used. A caller may change a
	// plan (its Overhead) before running it. Plans cannot be tuned.
	Plans []*Plan
	// Links adds per-channel statistics of the whole run to every result.
	Links bool
	// Trace, when not nil, records the run the results come from (the
	// joint run, with Tune) into it, replacing what it held: every
	// transfer, every change of a channel's load, and each job's span.
	Trace *Recording

	// opOverhead keeps MoE dispatch and combine jobs at op_overhead, as
	// the old runners Run, RunJobs, RunJobsTraced and RunGroups charged
	// them (kept for the tests of legacy_test.go); Execute charges the
	// fused kernel's MoEOverhead.
	opOverhead bool
}

// Outcome is what Execute returns.
type Outcome struct {
	// Results holds a result per job, from the run of all the jobs
	// together. With Tune, Groups is the number of jobs and AloneS each
	// job's time alone.
	Results []Result
	// Alone holds, with Tune, each job's result alone on an idle fabric
	// with the chosen algorithm and protocol, without per-channel
	// statistics; nil without Tune.
	Alone []Result
	// Slowest is the index of the job that took longest in Results.
	Slowest int
}

// Execute runs req on fabric f: the one entry point that Run, RunJobs,
// RunJobsTraced, RunGroups, RunMoE, RunMoEJobs and RunPlans wrap (see
// Request for which is which), with their results exactly.
//
// A job's plan is compiled by Compile, and a MoE dispatch or combine job
// then pays its group's MoEOverhead, the fixed cost of the fused kernel,
// in place of op_overhead: the choice is made here, once, not by the
// caller. A job with MoE set carries that layer's traffic (Bytes and
// Options.Matrix are then derived from it): one matrix, or with
// DomainDedup the stages of MoE.Stages, run at once as bulk transfers and
// reported as one result (the slower stage's time, the bytes a rank sends
// over all stages).
func Execute(f *network.Fabric, req Request) (Outcome, error) {
	if req.Plans != nil {
		if req.Tune {
			return Outcome{}, errors.New("collective: compiled plans cannot be tuned")
		}
		if req.Trace != nil {
			req.Trace.reset(f)
		}
		rs, err := runPlans(f, req.Jobs, req.Plans, req.Links, req.Trace)
		if err != nil {
			return Outcome{}, err
		}
		return outcome(rs, nil), nil
	}
	if !req.Tune {
		if req.Trace != nil {
			req.Trace.reset(f)
		}
		rs, err := runJobs(f, req.Jobs, req.Links, req.Trace, !req.opOverhead)
		if err != nil {
			return Outcome{}, err
		}
		return outcome(rs, nil), nil
	}
	return tuneJobs(f, req)
}

// outcome packs results, finding the slowest.
func outcome(rs, alone []Result) Outcome {
	o := Outcome{Results: rs, Alone: alone}
	for i, r := range rs {
		if r.TimeS > rs[o.Slowest].TimeS {
			o.Slowest = i
		}
	}
	return o
}

// isMoE reports whether op is a MoE dispatch or combine.
func isMoE(op Op) bool { return op == MoEDispatch || op == MoECombine }

// compileJob compiles j: Compile, then MoEOverhead for a MoE job when
// moeOverhead is set.
func compileJob(j Job, moeOverhead bool) (*Plan, error) {
	return compileJobAs(j, moeOverhead, whole)
}

// compileJobAs is compileJob, building a dry plan (Plan.dry) unless dry
// is whole.
// A dry plan's egressBound is the stored plan's only while it holds
// rings or transfers, not both (the sums would be in another order):
// the builders never mix them (wholeRings makes rings only of an empty
// plan), and a dry plan that did is compiled whole instead.
func compileJobAs(j Job, moeOverhead bool, dry dryMode) (*Plan, error) {
	p, err := compile(j.Group, j.Op, j.Algorithm, j.Bytes, j.Options, dry)
	if dry != whole {
		q := p
		var big *TooLargeError
		if errors.As(err, &big) {
			q = big.refused
		}
		if q != nil && q.rings != nil && q.dry.n > 0 {
			return compileJobAs(j, moeOverhead, whole)
		}
	}
	if err != nil {
		return nil, err
	}
	if moeOverhead && isMoE(j.Op) {
		p.Overhead = j.Group.MoEOverhead()
	}
	return p, nil
}

// runJobs compiles jobs and runs them together on one network, recording
// into rec when it is not nil. A job with MoE set runs as its stages and
// gets one result for them all.
func runJobs(f *network.Fabric, jobs []Job, withLinks bool, rec *Recording, moeOverhead bool) ([]Result, error) {
	flat, owner, err := expandMoE(jobs)
	if err != nil {
		return nil, err
	}
	plans := make([]*Plan, len(flat))
	for i, j := range flat {
		if j.Group.Fabric != f {
			return nil, errors.New("collective: a job's group is on another fabric")
		}
		p, err := compileJob(j, moeOverhead)
		if err != nil {
			return nil, err
		}
		plans[i] = p
	}
	rs, err := runPlans(f, flat, plans, withLinks, rec)
	if err != nil || owner == nil {
		return rs, err
	}
	return mergeStages(jobs, owner, rs), nil
}

// expandMoE replaces every job with MoE set by its stages, one bulk job
// each; owner[k] is the job that flat job k came from. With no MoE job it
// returns jobs itself and a nil owner.
func expandMoE(jobs []Job) (flat []Job, owner []int, err error) {
	some := false
	for _, j := range jobs {
		some = some || j.MoE != nil
	}
	if !some {
		return jobs, nil, nil
	}
	for i, j := range jobs {
		if j.MoE == nil {
			flat, owner = append(flat, j), append(owner, i)
			continue
		}
		if !isMoE(j.Op) {
			return nil, nil, fmt.Errorf("collective: a job with a MoE layer is %s, not moe_dispatch or moe_combine", j.Op)
		}
		stages, err := j.MoE.Stages(j.Group, j.Op == MoECombine)
		if err != nil {
			return nil, nil, err
		}
		for _, mat := range stages {
			sj := Job{Group: j.Group, Op: j.Op, Algorithm: Direct, Bytes: RowBytes(mat), Options: Options{Matrix: mat, Protocol: j.Options.Protocol}, Start: j.Start}
			if len(stages) > 1 {
				sj.Options.Protocol = Simple
			}
			flat, owner = append(flat, sj), append(owner, i)
		}
	}
	return flat, owner, nil
}

// mergeStages folds the results of expanded jobs back into one per job:
// the slower stage's result, with the bytes of all stages.
func mergeStages(jobs []Job, owner []int, rs []Result) []Result {
	out := make([]Result, len(jobs))
	seen := make([]bool, len(jobs))
	bytes := make([]float64, len(jobs))
	for k, r := range rs {
		i := owner[k]
		bytes[i] += r.SizeBytes
		if !seen[i] || r.TimeS > out[i].TimeS {
			out[i], seen[i] = r, true
		}
	}
	for i, j := range jobs {
		if j.MoE == nil {
			continue
		}
		out[i].SizeBytes = bytes[i]
		if out[i].TimeS > 0 {
			out[i].AlgBW = bytes[i] / out[i].TimeS
		}
	}
	return out
}

// tuneJobs is Execute with Tune.
func tuneJobs(f *network.Fabric, req Request) (Outcome, error) {
	jobs := req.Jobs
	if len(jobs) == 0 {
		return Outcome{}, errors.New("collective: no jobs to run")
	}
	// One job, not traced: its run alone is the run of all the jobs.
	single := len(jobs) == 1 && req.Trace == nil
	alone := make([]Result, len(jobs))
	for i, j := range jobs {
		if j.Group.Fabric != f {
			if len(jobs) == 1 {
				return Outcome{}, errors.New("collective: a job's group is on another fabric")
			}
			return Outcome{}, fmt.Errorf("group %d is on another fabric", i)
		}
		r, err := tuneJob(j, single && req.Links, !req.opOverhead)
		if err != nil {
			if len(jobs) > 1 {
				err = fmt.Errorf("group %d: %w", i, err)
			}
			return Outcome{}, err
		}
		alone[i] = r
	}
	if single {
		r := alone[0]
		r.Groups, r.AloneS = 1, alone[0].TimeS
		alone[0].Links = nil
		return outcome([]Result{r}, alone), nil
	}
	together := make([]Job, len(jobs))
	for i, j := range jobs {
		o := j.Options
		o.Protocol = alone[i].Protocol
		together[i] = Job{Group: j.Group, Op: j.Op, Algorithm: alone[i].Algorithm, Bytes: j.Bytes, Options: o, Start: j.Start, MoE: j.MoE}
	}
	if req.Trace != nil {
		req.Trace.reset(f)
	}
	rs, err := runJobs(f, together, req.Links, req.Trace, !req.opOverhead)
	if err != nil {
		return Outcome{}, err
	}
	for i := range rs {
		rs[i].Groups, rs[i].AloneS = len(jobs), alone[i].TimeS
	}
	return outcome(rs, alone), nil
}

// tuneJob simulates j alone with its fastest algorithm and protocol.
func tuneJob(j Job, withLinks, moeOverhead bool) (Result, error) {
	if j.MoE != nil {
		if !isMoE(j.Op) {
			return Result{}, fmt.Errorf("collective: a job with a MoE layer is %s, not moe_dispatch or moe_combine", j.Op)
		}
		return runMoE(j.Group, *j.MoE, j.Op == MoECombine, withLinks)
	}
	return tune(j.Group, j.Op, j.Algorithm, j.Bytes, j.Options, withLinks, moeOverhead)
}

// One is the request for one operation on g at its fastest algorithm and
// protocol (those algo and o.Protocol allow), as 'cardsea collective'
// runs it: Execute(g.Fabric, One(...)).Results[0].
func One(g *Group, op Op, algo Algorithm, bytes float64, o Options) Request {
	return Request{Jobs: []Job{{Group: g, Op: op, Algorithm: algo, Bytes: bytes, Options: o}}, Tune: true}
}

// MoEJob is one MoE layer's dispatch (or, with combine, combine) on g:
// Direct transfers of the layer's traffic, charged the fused kernel's
// MoEOverhead. Execute(g.Fabric, Request{Jobs: []Job{MoEJob(g, m, c)},
// Tune: true}) picks its protocol.
func MoEJob(g *Group, m MoE, combine bool) Job {
	op := MoEDispatch
	if combine {
		op = MoECombine
	}
	return Job{Group: g, Op: op, Algorithm: Direct, MoE: &m}
}
