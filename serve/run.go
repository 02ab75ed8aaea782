package serve

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/sim"
)

// Config is a service: its instances on one topology, the engine's
// scheduler limits, the router and the SLOs.
type Config struct {
	// Engine simulates steps on the topology; runs sharing it share its
	// caches (a rate sweep pays for each step composition once).
	Engine *infer.Engine
	// Instance is one instance's configuration (its model, accelerators,
	// parallelism, precision, MTP, power mode; Phase, Batch and the
	// lengths are not read). Replicas instances of it serve side by side,
	// the i-th on accelerators from FirstAccelerator + i x Accelerators.
	Instance infer.Config
	Replicas int
	// Prefill, when its Model is set, disaggregates: PrefillReplicas
	// prefill instances of Prefill on the accelerators before the decode
	// instances (Instance), each request's KV moving to a decode instance
	// over the fabric when its prompt is done.
	Prefill         infer.Config
	PrefillReplicas int
	// Settings are the scheduler's limits per data-parallel rank; zero
	// fields take Defaults for the accelerator's HBM.
	Settings Settings
	// Router picks an instance for each request: round-robin (default),
	// least-loaded (fewest requests waiting or running) or shortest-queue
	// (fewest waiting).
	Router string
	// Concurrency, when above 0, runs a closed loop instead of the
	// requests' arrival times: that many users, each sending its next
	// request the moment its last one finishes (as vLLM's and SGLang's
	// benchmarks run with --max-concurrency N and an unbounded rate, and
	// InferenceX reports its points by concurrency).
	Concurrency int
	// WarmupS: requests arriving before it are served but not counted.
	WarmupS float64
	// TTFTSLOS and TPOTSLOS (seconds; 0 for none) define goodput.
	TTFTSLOS, TPOTSLOS float64
	// Direct prices every step by an engine run rather than the grid.
	Direct bool
	// KeepRequests keeps each request's record in the result.
	KeepRequests bool

	// Tests only: isolatedKV keeps KV transfers off the decode
	// instances' collectives (neither slows the other), and noKV moves
	// no bytes.
	isolatedKV, noKV bool
	// Tests only: prefillDelay, when set, receives the prefill steps'
	// KV delays summed, in seconds.
	prefillDelay *float64
	// Tests only: firstOrderKV is the first-order KV model: transfers
	// out of a prefill rank one after another, each timed as if alone on
	// its decode end, and a step's delay counting no bytes landing in it.
	// soloKV keeps the rest but gives every transfer its lone rate.
	firstOrderKV, soloKV bool
}

// Routers lists the routers.
var Routers = []string{"round-robin", "least-loaded", "shortest-queue"}

// runner is one run: the event kernel, the instances, the requests.
type runner struct {
	cfg     Config
	s       *sim.Simulator
	stopped bool
	err     error
	decode  []*instance
	prefill []*instance
	rr      [2]int
	// KV handed from prefill to decode: bytes per token, the fabric's
	// rate for one replica's transfer, and how many such transfers a
	// decode rank took at once at that rate when the rate was measured.
	// linkFree is when each prefill rank's link is next free
	// (firstOrderKV).
	kvPerToken, kvRate, kvInWays float64
	linkFree                     [][]float64
	// Scratch for reshare: a search's mark, the transfers and links it
	// found.
	seen      int
	comp      []*kvXfer
	compLinks []*kvLink
	// Contention with the instances' collectives (kvLink): on the decode
	// side, where the KV lands (kvIn), and on the prefill side, where it
	// leaves (kvOut).
	kvIn, kvOut kvSide
	// prefillKVDelayS sums the prefill steps' KV delays (tests read it).
	prefillKVDelayS float64
	reqs            []*req
	completed       int
	preemptions     int
	lastDoneS       float64
	transferS       []float64
	// next sends the next request of a closed loop (Config.Concurrency),
	// sent counting those sent.
	next func(now float64)
	sent int
}

func (r *runner) at(t float64, f func(now float64)) {
	r.s.Schedule(sim.FromSeconds(t), func(now sim.Time) { f(now.Seconds()) })
}

func (r *runner) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.stopped = true
	r.s.Stop()
}

func (r *runner) done(q *req) {
	r.completed++
	r.lastDoneS = math.Max(r.lastDoneS, q.doneS)
	if r.next != nil {
		r.next(q.doneS)
	}
}

// compact drops finished and moved requests from an instance's running
// order once they are most of it.
func (r *runner) compact(in *instance) {
	if len(in.order) < 64 || len(in.order) < 2*in.d {
		return
	}
	in.order = slices.DeleteFunc(in.order, func(q *req) bool { return q.state != decoding || q.inst != in })
}

// pick routes to one of pool.
func (r *runner) pick(pool []*instance, which int) *instance {
	switch r.cfg.Router {
	case "least-loaded", "shortest-queue":
		best := pool[0]
		for _, in := range pool[1:] {
			a, b := in.load(), best.load()
			if r.cfg.Router == "shortest-queue" {
				a, b = len(in.waitQ), len(best.waitQ)
			}
			if a < b {
				best = in
			}
		}
		return best
	}
	in := pool[r.rr[which]%len(pool)]
	r.rr[which]++
	return in
}

// handOff moves a prefilled request's KV to a decode instance, over the
// link of the prefill rank that holds it and that of the decode rank it
// lands on (round robin), shared with the other transfers on either
// (fabric.go), then queues it for decode. Alone, a transfer runs at the
// rate the fabric gives one replica's transfer when all send at once,
// slowed at each end by that end's collectives; the slower end sets its
// time.
func (r *runner) handOff(q *req, now float64) {
	from := q.inst
	q.state = transferring
	if r.cfg.firstOrderKV {
		r.handOffAlone(q, now)
		return
	}
	to := r.pick(r.decode, 1)
	alone := 0.0
	if r.kvRate > 0 && !r.cfg.noKV {
		alone = float64(q.prompt+1) * r.kvPerToken / r.kvRate
	}
	if alone <= 0 {
		r.transferS = append(r.transferS, 0)
		r.at(now, func(t float64) {
			q.prefilled = q.prompt
			to.arrive(q, t)
		})
		return
	}
	dIn, dOut := alone, alone
	if !r.cfg.isolatedKV {
		dIn, dOut = r.kvIn.slow(alone, to.lastF), r.kvOut.slow(alone, from.lastF)
	}
	dur := math.Max(dIn, dOut)
	if !(dur < math.Inf(1)) {
		r.fail(fmt.Errorf("%s: a KV transfer of %d tokens takes %g s: the fabric gives it no rate", from.name, q.prompt+1, dur))
		return
	}
	x := &kvXfer{q: q, to: to, d: dur, u: [2]float64{dOut / dur, dIn / dur / r.kvInWays}}
	x.rank = [2]int{q.id % from.dp, to.nextRank % to.dp}
	to.nextRank++
	x.links = [2]*kvLink{&from.kvLinks()[x.rank[0]], &to.kvLinks()[x.rank[1]]}
	if !r.cfg.isolatedKV {
		// Its bytes leave one data-parallel rank's dies and land on
		// another's; a die's rate while that end's collectives run.
		bytes := float64(q.prompt+1) * r.kvPerToken
		for e, side := range [2]kvSide{r.kvOut, r.kvIn} {
			if side.kappa > 0 {
				x.ends[e] = [2]*instance{from, to}[e]
				x.rate[e] = side.phi * bytes * side.dieShare / alone
			}
		}
	}
	r.startXfer(x, now)
}

// slow is a lone transfer's time at this end: for the share f of the
// end's step its links carry its collectives (its last step's), the KV
// gets phi of its rate there.
func (k kvSide) slow(alone, f float64) float64 {
	if f > 0 && k.phi < 1 {
		return alone / ((1 - f) + f*k.phi)
	}
	return alone
}

// handOffAlone is the first-order hand-off (tests only, firstOrderKV):
// a prefill replica's transfers leave one after another, each timed as
// if alone on its decode end.
func (r *runner) handOffAlone(q *req, now float64) {
	from := q.inst
	links := r.linkFree[slices.Index(r.prefill, from)]
	i := q.id % len(links)
	start := math.Max(now, links[i])
	to := r.pick(r.decode, 1)
	dur := 0.0
	if r.kvRate > 0 && !r.cfg.noKV {
		dur = float64(q.prompt+1) * r.kvPerToken / r.kvRate
	}
	if dur > 0 && !r.cfg.isolatedKV {
		alone := dur
		dur = math.Max(r.kvIn.slow(alone, to.lastF), r.kvOut.slow(alone, from.lastF))
		bytes := float64(q.prompt+1) * r.kvPerToken
		to.flows = append(to.flows, &kvFlow{start: start, end: start + dur, rank: to.nextRank % to.dp, rate: r.kvIn.phi * bytes * r.kvIn.dieShare / alone})
		to.nextRank++
		if r.kvOut.kappa > 0 {
			from.flows = append(from.flows, &kvFlow{start: start, end: start + dur, rank: i, rate: r.kvOut.phi * bytes * r.kvOut.dieShare / alone})
		}
	}
	links[i] = start + dur
	r.transferS = append(r.transferS, start+dur-now)
	r.at(start+dur, func(t float64) {
		q.prefilled = q.prompt
		to.arrive(q, t)
	})
}

// Run serves reqs (in arrival order) and reports the service.
func Run(cfg Config, reqs []Request) (Result, error) {
	if cfg.Engine == nil {
		return Result{}, errors.New("serve: no engine")
	}
	if len(reqs) == 0 {
		return Result{}, field.Errorf("requests", "no requests to serve")
	}
	if cfg.Router == "" {
		cfg.Router = "round-robin"
	}
	if !slices.Contains(Routers, cfg.Router) {
		return Result{}, field.Errorf("router", "%q: want round-robin, least-loaded or shortest-queue", cfg.Router)
	}
	if cfg.Replicas < 1 {
		cfg.Replicas = 1
	}
	disagg := cfg.Prefill.Model != nil
	if disagg && cfg.PrefillReplicas < 1 {
		cfg.PrefillReplicas = 1
	}
	for _, x := range []struct {
		k string
		v float64
	}{{"warmup", cfg.WarmupS}, {"ttft_slo", cfg.TTFTSLOS}, {"tpot_slo", cfg.TPOTSLOS}} {
		if x.v < 0 || math.IsNaN(x.v) || math.IsInf(x.v, 0) {
			return Result{}, field.Errorf(x.k, "%g s: want 0 or more seconds", x.v)
		}
	}
	t := cfg.Engine.Topo
	// A dense model's data-parallel replicas share nothing (no expert
	// all-to-all makes them step together): each is an instance of its
	// own behind the router.
	cfg.Instance, cfg.Replicas = splitDense(cfg.Instance, cfg.Replicas, t.Accels[0].Spec.Dies, len(t.Accels))
	if disagg {
		cfg.Prefill, cfg.PrefillReplicas = splitDense(cfg.Prefill, cfg.PrefillReplicas, t.Accels[0].Spec.Dies, len(t.Accels))
	}
	r := &runner{cfg: cfg, s: sim.New()}
	// Lay the instances out: prefill first, then decode (or colocated).
	if cfg.Instance.Accelerators == 0 && (cfg.Replicas > 1 || disagg) {
		return Result{}, field.Errorf("accelerators", "say how many accelerators each instance has: with %d replicas (or prefill instances) they cannot all take the whole topology", cfg.Replicas)
	}
	if disagg && cfg.Prefill.Accelerators == 0 {
		return Result{}, field.Errorf("prefill_accelerators", "say how many accelerators each prefill instance has")
	}
	need := cfg.Replicas * cfg.Instance.Accelerators
	first := cfg.Instance.FirstAccelerator
	if disagg {
		need += cfg.PrefillReplicas * cfg.Prefill.Accelerators
		first = cfg.Prefill.FirstAccelerator
	}
	if cfg.Instance.Accelerators > 0 && first+need > len(t.Accels) {
		return Result{}, field.Errorf("replicas", "the instances need %d accelerators from accelerator %d, %s has %d; use fewer replicas or a larger topology (--domains)",
			need, first, t.Name, len(t.Accels))
	}
	next := cfg.Instance.FirstAccelerator
	if disagg {
		next = cfg.Prefill.FirstAccelerator
		for i := range cfg.PrefillReplicas {
			c := cfg.Prefill
			c.FirstAccelerator = next
			in, err := r.newInstance(c, fmt.Sprintf("prefill %d", i))
			if err != nil {
				return Result{}, fmt.Errorf("prefill instance: %w", err)
			}
			in.prefillOnly = true
			r.prefill = append(r.prefill, in)
			next += in.acc()
		}
		r.linkFree = make([][]float64, len(r.prefill))
		for i, in := range r.prefill {
			r.linkFree[i] = make([]float64, in.dp)
		}
	}
	for i := range cfg.Replicas {
		c := cfg.Instance
		c.FirstAccelerator = next
		name := fmt.Sprintf("instance %d", i)
		if disagg {
			name = fmt.Sprintf("decode %d", i)
		}
		in, err := r.newInstance(c, name)
		if err != nil {
			if disagg {
				return Result{}, fmt.Errorf("decode instance: %w", err)
			}
			return Result{}, err
		}
		r.decode = append(r.decode, in)
		next += in.acc()
	}
	if err := r.check(reqs); err != nil {
		return Result{}, err
	}
	if disagg {
		if err := r.kvLink(reqs); err != nil {
			return Result{}, err
		}
	}
	// Requests arrive one after another (each arrival schedules the next).
	r.reqs = make([]*req, len(reqs))
	for i, q := range reqs {
		r.reqs[i] = &req{Request: q, id: i, prompt: q.Input, startS: -1, firstS: -1}
	}
	send := func(q *req, now float64) {
		q.ArrivalS = now // on the kernel's picosecond clock, as every later time is
		pool := r.decode
		if disagg {
			pool = r.prefill
		}
		r.pick(pool, 0).arrive(q, now)
	}
	if cfg.Concurrency > 0 {
		// A closed loop: each of the users sends its next request the
		// moment its last one finishes (done calls next).
		r.next = func(now float64) {
			if r.sent < len(r.reqs) {
				q := r.reqs[r.sent]
				r.sent++
				r.at(now, func(t float64) { send(q, t) })
			}
		}
		for range min(cfg.Concurrency, len(r.reqs)) {
			r.next(0)
		}
	} else {
		var arrive func(i int)
		arrive = func(i int) {
			q := r.reqs[i]
			r.at(q.ArrivalS, func(now float64) {
				send(q, now)
				if i+1 < len(r.reqs) {
					arrive(i + 1)
				}
			})
		}
		arrive(0)
	}
	r.s.Run()
	if r.err != nil {
		return Result{}, r.err
	}
	if r.completed != len(reqs) {
		return Result{}, fmt.Errorf("serve: %d of %d requests finished: the scheduler stalled (a bug; please report it with the command)", r.completed, len(reqs))
	}
	if cfg.prefillDelay != nil {
		*cfg.prefillDelay = r.prefillKVDelayS
	}
	return r.result(), nil
}

// acc is an instance's accelerators.
func (in *instance) acc() int { return in.p.acc }

// newInstance sizes one instance: its KV cache, limits and idle power.
func (r *runner) newInstance(c infer.Config, name string) (*instance, error) {
	e := r.cfg.Engine
	t := e.Topo
	spec := t.Accels[0].Spec
	acc := c.Accelerators
	if acc == 0 {
		acc = len(t.Accels) - c.FirstAccelerator
	}
	tp, pp := max(c.TP, 1), max(c.PP, 1)
	dies := acc * spec.Dies
	if dies%(tp*pp) != 0 {
		return nil, fmt.Errorf("TP %d x PP %d does not divide the %d dies of %d accelerators", tp, pp, dies, acc)
	}
	dp := dies / (tp * pp)
	st := r.cfg.Settings
	eng, err := engineNamed(st.Engine)
	if err != nil {
		return nil, err
	}
	c.Accelerators = acc
	// The engine's defaults may follow a rank's KV capacity (SGLang's
	// running requests): size the cache with its token budget first.
	hbm := compute.PerDie(spec).HBMBytes
	budget0 := or(st.MaxBatchedTokens, eng.defaults(hbm, 0, 0).MaxBatchedTokens)
	kv0, err := e.KVCapacity(c, budget0*dp)
	if err != nil {
		return nil, err
	}
	def := eng.defaults(hbm, kv0/float64(dp), c.Model.MaxContext)
	if st.MaxSeqs == 0 {
		st.MaxSeqs = def.MaxSeqs
	}
	if st.MaxBatchedTokens == 0 {
		st.MaxBatchedTokens = def.MaxBatchedTokens
	}
	if st.BlockSize == 0 {
		st.BlockSize = def.BlockSize
	}
	switch {
	case st.MaxSeqs < 1:
		return nil, field.Errorf("max_seqs", "%d: want at least 1 sequence", st.MaxSeqs)
	case st.MaxBatchedTokens < 1:
		return nil, field.Errorf("max_batched_tokens", "%d: want at least 1 token per step", st.MaxBatchedTokens)
	case st.BlockSize < 1:
		return nil, field.Errorf("block_size", "%d: want at least 1 token per block", st.BlockSize)
	}
	budget := st.MaxBatchedTokens * dp
	capTokens, err := e.KVCapacity(c, budget)
	if err != nil {
		return nil, err
	}
	p := newPricer(e, c)
	p.direct = r.cfg.Direct
	p.acc, p.dp = acc, dp
	// Idle power: the instance's share of the system idling.
	run := power.Run{DurationS: 1, AccelCommS: make([]float64, len(t.Accels)), AccelComputeS: make([]float64, len(t.Accels)), SwitchBytes: make([]float64, len(t.Switches))}
	mode := c.PowerMode
	if mode == "" {
		mode = power.Activity
	}
	idle, err := power.Account(t, mode, 1, run)
	if err != nil {
		return nil, err
	}
	share := float64(acc) / float64(len(t.Accels))
	prov, err := power.ProvisionedBudget(t)
	if err != nil {
		return nil, err
	}
	accepted := 1.0
	for i := 1; i <= c.MTPDraft; i++ {
		accepted += math.Pow(c.MTPAccept, float64(i))
	}
	in := &instance{run: r, name: name, p: p, maxSeqs: st.MaxSeqs * dp, budget: budget, block: st.BlockSize,
		blocks: math.Floor(capTokens / float64(st.BlockSize)), accepted: accepted, draft: c.MTPDraft,
		idleW: idle.ITJ * share, idleFW: idle.FacilityJ * share, provFW: prov.FacilityW * share, cache: newPrefixCache(st.NoPrefixCache, st.BlockSize)}
	in.settings = st
	in.dp = dp
	return in, nil
}

// check refuses requests that no instance can serve.
func (r *runner) check(reqs []Request) error {
	m := r.cfg.Instance.Model
	small := r.decode[0]
	for _, in := range append(slices.Clone(r.prefill), r.decode...) {
		if in.blocks < small.blocks {
			small = in
		}
	}
	capTok := small.blocks * float64(small.block)
	for i, q := range reqs {
		switch {
		case q.Input < 1 || q.Output < 1:
			return fmt.Errorf("request %d: %d input and %d output tokens: want at least 1 of each", i, q.Input, q.Output)
		case i > 0 && q.ArrivalS < reqs[i-1].ArrivalS:
			return fmt.Errorf("request %d arrives at %.6f s, before request %d at %.6f s: want arrival order", i, q.ArrivalS, i-1, reqs[i-1].ArrivalS)
		case q.ArrivalS < 0 || math.IsNaN(q.ArrivalS) || math.IsInf(q.ArrivalS, 0):
			return fmt.Errorf("request %d arrives at %g s: want a time of 0 or more", i, q.ArrivalS)
		case m.MaxContext > 0 && q.Input+q.Output > m.MaxContext:
			return fmt.Errorf("request %d (arriving at %.3f s): %d + %d tokens are past %s's %d-token context window; cap the lengths or pick a longer-context model",
				i, q.ArrivalS, q.Input, q.Output, m.Name, m.MaxContext)
		case float64(q.Input+q.Output+small.block) > capTok:
			return fmt.Errorf("request %d (arriving at %.3f s): %d + %d tokens do not fit %s's KV cache of %.0f tokens; use more accelerators, lower precision or shorter requests",
				i, q.ArrivalS, q.Input, q.Output, small.name, capTok)
		}
	}
	return nil
}

// kvLink measures the fabric's rate for KV moving from a prefill
// instance to a decode instance: a prefill step's KV (one prompt per
// prefill accelerator of the mean length) sent at once (infer.RunDisagg),
// contending on the network; one replica's transfer gets its share.
func (r *runner) kvLink(reqs []Request) error {
	var in, out float64
	for _, q := range reqs {
		in += float64(q.Input)
		out += float64(q.Output)
	}
	n := float64(len(reqs))
	pre, dec := r.cfg.Prefill, r.cfg.Instance
	pre.FirstAccelerator = r.prefill[0].p.base.FirstAccelerator
	dec.FirstAccelerator = r.decode[0].p.base.FirstAccelerator
	pre.Accelerators, dec.Accelerators = r.prefill[0].acc(), r.decode[0].acc()
	pre.Batch, dec.Batch = 1, 1
	pre.InputLen = max(1, int(in/n))
	d, err := r.cfg.Engine.RunDisagg(infer.Disagg{Prefill: pre, Decode: dec, OutputLen: max(1, int(out/n))})
	if err != nil {
		return fmt.Errorf("KV transfer between the pools: %w", err)
	}
	m := pre.Model
	prec := d.Prefill.Config.Precision
	r.kvPerToken = m.KVBytesPerToken(prec.KVCache.Bytes())
	senders := min(pre.Accelerators, d.Prefill.DP)
	r.kvRate = d.KVTransferBytesPerS / float64(senders)
	// The measured step sends one prompt per prefill accelerator, the
	// k-th to decode rank k mod DP: the busiest decode rank took
	// ceil(seqs / DP) of them, at senders / seqs of kvRate each.
	seqs := pre.Accelerators * pre.Batch
	r.kvInWays = math.Max(1, math.Ceil(float64(seqs)/float64(max(d.Decode.DP, 1)))*float64(senders)/float64(seqs))
	return r.kvContention(d)
}

// kvSide is how KV transfers and one end's collectives share that end's
// links: the share of a request's KV one die of the end's rank sends or
// receives, the share of its rate a KV stream keeps while the
// collectives run, and the seconds it delays them per byte it moves
// meanwhile. No contention is {dieShare, 1, 0}.
type kvSide struct {
	dieShare, phi, kappa float64
}

// kvContention measures, on the fabric, how a KV stream and each end's
// collectives share that end's links (kvProbe): into a decode die
// against its instance's collectives converging on it, and out of a
// prefill die against its instance's collectives leaving it.
func (r *runner) kvContention(d infer.DisaggResult) error {
	e := r.cfg.Engine
	dc, pc := d.Decode.Config, d.Prefill.Config
	r.kvIn = kvSide{dieShare: 1 / (infer.KVSplit(dc.Model, max(dc.TP, 1)) * float64(max(dc.PP, 1))), phi: 1}
	r.kvOut = kvSide{dieShare: 1 / (infer.KVSplit(pc.Model, max(pc.TP, 1)) * float64(max(pc.PP, 1))), phi: 1}
	if r.cfg.isolatedKV {
		return nil
	}
	dies := e.Topo.Accels[0].Spec.Dies
	from := r.prefill[0].p.base.FirstAccelerator * dies
	to := r.decode[0].p.base.FirstAccelerator * dies
	var err error
	if r.kvIn.phi, r.kvIn.kappa, err = kvProbe(e, from, to, dc, true); err != nil {
		return fmt.Errorf("KV transfer against the decode collectives: %w", err)
	}
	if r.kvOut.phi, r.kvOut.kappa, err = kvProbe(e, from, to, pc, false); err != nil {
		return fmt.Errorf("KV transfer against the prefill collectives: %w", err)
	}
	return nil
}

// kvProbe runs, on the fabric, a KV stream (64 MiB from die from to die
// to) alone, one end's collectives alone, and the two at once
// (infer.Engine.SendTimes). The collectives are that end's die
// exchanging with every other die of its expert-parallel group, as a
// dispatch or combine does (with tensor parallelism only, one
// neighbour, as a ring's step does): into the decode die (in) or out of
// the prefill die, sized to outlast the KV. phi is the KV's rate
// together over alone; kappa how much later the collectives' traffic
// ends, per KV byte. Paths that share no link give 1 and 0. Cost: three
// to four network runs of at most EP flows.
func kvProbe(e *infer.Engine, from, to int, c infer.Config, in bool) (phi, kappa float64, err error) {
	at := from
	if in {
		at = to
	}
	var peers []int
	switch {
	case c.EP > 1:
		for i := 1; i < c.EP; i++ {
			peers = append(peers, at+i)
		}
	case c.TP > 1:
		peers = []int{at + 1}
	}
	if len(peers) == 0 {
		return 1, 0, nil
	}
	const probe = 64 << 20
	kv := infer.Send{From: from, To: to, Bytes: probe}
	coll := func(per float64) []infer.Send {
		ss := make([]infer.Send, len(peers))
		for i, p := range peers {
			ss[i] = infer.Send{From: at, To: p, Bytes: per}
			if in {
				ss[i] = infer.Send{From: p, To: at, Bytes: per}
			}
		}
		return ss
	}
	last := func(ts []float64) float64 { return slices.Max(ts) }
	t, err := e.SendTimes([]infer.Send{kv})
	if err != nil {
		return 0, 0, err
	}
	tKV := t[0]
	per := float64(probe) / float64(len(peers))
	if t, err = e.SendTimes(coll(per)); err != nil {
		return 0, 0, err
	}
	if tc := last(t); tc < 4*tKV && tc > 0 {
		per *= math.Ceil(4 * tKV / tc)
		if t, err = e.SendTimes(coll(per)); err != nil {
			return 0, 0, err
		}
	}
	tColl := last(t)
	both, err := e.SendTimes(append(coll(per), kv))
	if err != nil {
		return 0, 0, err
	}
	n := len(peers)
	phi = 1
	if tKV > 0 && both[n] > 0 {
		phi = math.Min(1, tKV/both[n])
	}
	return phi, math.Max(0, last(both[:n])-tColl) / probe, nil
}

// or is v, or def when v is 0.
func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// splitDense makes each data-parallel replica of a dense model's
// instance an instance of its own (replicas x DP of them), where a
// replica is whole accelerators; a MoE model's ranks stay one instance.
func splitDense(c infer.Config, replicas, diesPerAcc, total int) (infer.Config, int) {
	if c.Model == nil || c.Model.MoE != nil {
		return c, replicas
	}
	acc := c.Accelerators
	if acc == 0 {
		acc = total - c.FirstAccelerator
	}
	unit := max(c.TP, 1) * max(c.PP, 1) // dies of a replica
	if unit%diesPerAcc != 0 || (acc*diesPerAcc)%unit != 0 {
		return c, replicas
	}
	dp := acc * diesPerAcc / unit
	if dp <= 1 {
		return c, replicas
	}
	c.Accelerators = unit / diesPerAcc
	return c, replicas * dp
}
