package serve

import (
	"cmp"
	"container/heap"
	"fmt"
	"math"
	"slices"
)

// Settings are a serving engine's scheduler limits, per data-parallel
// rank (as vLLM and SGLang run one scheduler per DP rank), with vLLM's
// names. Zero fields take the engine's defaults.
type Settings struct {
	// Engine names the serving engine whose defaults the zero fields
	// take: vllm (default), sglang, trtllm, vllm-ascend, mindie.
	Engine string
	// MaxSeqs is max_num_seqs: sequences running at once.
	MaxSeqs int
	// MaxBatchedTokens is max_num_batched_tokens: the tokens one step
	// processes, decode tokens first, prompt chunks in what is left.
	MaxBatchedTokens int
	// BlockSize is the KV cache's page, in tokens.
	BlockSize int
	// NoPrefixCache turns the prefix cache off.
	NoPrefixCache bool
}

// req is a request in flight.
type req struct {
	Request
	id int
	// prompt is the tokens to prefill: the input, and after a preemption
	// by recompute, the tokens generated before it too.
	prompt, prefilled int
	// generated output tokens; while decoding, counted from step k0 on
	// at accepted tokens a step (decodeGenerated).
	generated float64
	// Decoding: the step after which it joined, its KV length then, the
	// step it finishes in, and its heap generation (stale entries skip).
	k0, kf int
	len0   float64
	gen    int
	// blk is the KV blocks it holds of its own while decoding (those of
	// its context the prefix cache holds are the cache's).
	blk   int
	state int
	// times, in seconds: first scheduled, first token, done.
	startS, firstS, doneS float64
	preemptions           int
	prefixHit             int
	shared                *cached   // the session's prefix it reads (prefix cache)
	cachedTok             int       // its context's tokens whose blocks the cache holds
	inst                  *instance // where it runs now
}

const (
	waiting = iota
	prefilling
	decoding
	transferring
	done
)

// finishHeap orders decoding requests by the step they finish in.
type finishHeap []heapEntry

type heapEntry struct {
	kf, id, gen int
	r           *req
}

func (h finishHeap) Len() int { return len(h) }
func (h finishHeap) Less(i, j int) bool {
	if h[i].kf != h[j].kf {
		return h[i].kf < h[j].kf
	}
	return h[i].id < h[j].id
}
func (h finishHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *finishHeap) Push(x any)   { *h = append(*h, x.(heapEntry)) }
func (h *finishHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// instance is one serving instance: a scheduler over its data-parallel
// ranks, stepping in lockstep (attention data parallelism with expert
// parallelism steps together; see the package doc), on its share of the
// topology's accelerators.
type instance struct {
	run      *runner
	name     string
	p        *pricer
	settings Settings // per data-parallel rank
	dp       int      // data-parallel ranks
	// prefillOnly and decodeOnly mark disaggregated pools' instances.
	prefillOnly bool
	maxSeqs     int
	budget      int
	block       int
	blocks      float64 // KV blocks in all
	accepted    float64 // tokens a decoding sequence yields per step
	draft       int
	// idleW and idleFW are its share of the system's idle IT and
	// facility power.
	idleW, idleFW float64
	// provFW is its share of the system's provisioned facility power.
	provFW float64

	waitQ []*req // FIFO; preempted requests go to its front
	pre   []*req // prefilling, in admission order
	// Decoding sequences: count, their KV lengths' sum less accepted x k
	// per sequence (so the sum at step k is base + accepted k D), the
	// finish heap, the growth heap (the step at which each next needs a
	// block), and the running order for preemption (last first).
	d     int
	base  float64
	fin   finishHeap
	grow  finishHeap
	order []*req
	// Blocks held: by decoding sequences (each its own, exactly), by
	// prefilling requests, and by the prefix cache.
	decBlocks float64
	preBlocks float64
	cache     *prefixCache

	// KV streams into it (disaggregated decode) or out of it
	// (disaggregated prefill), in hand-off order;
	// lastF, the share of its last step its collectives took; nextRank
	// the data-parallel rank the next KV lands on (round robin), and
	// rankBytes scratch for a step's bytes by rank.
	flows     []*kvFlow
	lastF     float64
	nextRank  int
	rankBytes []float64
	tailPts   []ratePoint
	// links is its ranks' links for KV (kvLinks).
	links []kvLink

	k         int // steps taken
	busy      bool
	busyS     float64
	j, fj     float64 // energy of its steps
	steps     int
	stepS     []float64 // each step's time and decoding sequences (ITL)
	stepD     []int32
	stepLog   []StepRecord // with KeepRequests, the first MaxStepRecords
	peakKV    float64      // highest share of blocks in use
	kvTimeSum float64      // time-weighted blocks in use
}

// stepHook, when set (by tests), sees every step once it is formed.
var stepHook func(in *instance, k int)

// used is the KV blocks held now.
func (in *instance) used() float64 {
	return in.decBlocks + in.preBlocks + in.cache.blocks
}

// genAfter is the output tokens decoding sequence r has after step j
// (j >= r.k0), before the cap at its output length.
func (in *instance) genAfter(r *req, j int) float64 {
	return r.generated + in.accepted*float64(j-r.k0)
}

// need is the blocks of its own decoding sequence r holds in step k, as
// vLLM allocates them before the step: slots for its context (its input
// and the whole tokens it has generated, the last of which step k
// writes) and for the step's MTP draft tokens, less the blocks of its
// context the prefix cache holds.
func (in *instance) need(r *req, k int) int {
	g := math.Floor(math.Min(float64(r.Output), in.genAfter(r, k-1)))
	own := (r.Input+int(g)+in.draft+in.block-1)/in.block - (r.cachedTok+in.block-1)/in.block
	return max(own, 0)
}

// nextGrow is the first step after k in which r needs more than the
// r.blk blocks it holds, past its last step (r.kf) if none.
func (in *instance) nextGrow(r *req, k int) int {
	// Step k' needs more once the whole tokens generated after step
	// k'-1 reach g.
	g := float64((r.blk+(r.cachedTok+in.block-1)/in.block)*in.block - r.Input - in.draft + 1)
	lo := k - r.k0 // j - k0 for j = k'-1 >= k
	n := lo
	if x := (g - r.generated) / in.accepted; x > float64(lo) {
		n = int(math.Min(math.Ceil(x), float64(r.kf-r.k0+1)))
	}
	// The same expression need reads, so the two agree to the bit.
	for n > lo && math.Floor(in.genAfter(r, r.k0+n-1)) >= g {
		n--
	}
	for n <= r.kf-r.k0 && math.Floor(in.genAfter(r, r.k0+n)) < g {
		n++
	}
	return r.k0 + n + 1
}

// growTo gives decoding sequence r the blocks step k needs and schedules
// the step it next needs more in.
func (in *instance) growTo(r *req, k int) {
	if n := in.need(r, k); n > r.blk {
		in.decBlocks += float64(n - r.blk)
		r.blk = n
	}
	if kn := in.nextGrow(r, k); kn <= r.kf {
		heap.Push(&in.grow, heapEntry{kn, r.id, r.gen, r})
	}
}

func blocksFor(tokens, block int) float64 {
	return float64((tokens + block - 1) / block)
}

// running is how many sequences hold a slot.
func (in *instance) running() int { return in.d + len(in.pre) }

// load is what a router weighs: requests waiting or running.
func (in *instance) load() int { return len(in.waitQ) + in.running() }

// arrive queues r and starts a step if the instance is idle.
func (in *instance) arrive(r *req, now float64) {
	r.inst = in
	r.state = waiting
	in.waitQ = append(in.waitQ, r)
	in.kick(now)
}

// kick starts a step at now if idle and there is work.
func (in *instance) kick(now float64) {
	if in.busy || in.run.stopped {
		return
	}
	if in.d == 0 && len(in.pre) == 0 && len(in.waitQ) == 0 {
		return
	}
	in.startStep(now)
}

// startStep forms and prices step k+1 and schedules its end.
func (in *instance) startStep(now float64) {
	k := in.k + 1
	// Decoding sequences whose tokens cross into a new block this step
	// take it; when one is not free (the prefix cache's unheld entries
	// evicted first), the latest admitted is preempted (recompute) until
	// the rest fit, as vLLM's scheduler does for its running requests.
	for len(in.grow) > 0 && in.grow[0].kf <= k {
		e := heap.Pop(&in.grow).(heapEntry)
		if r := e.r; e.gen == r.gen && r.state == decoding && r.inst == in {
			in.growTo(r, k)
		}
	}
	if in.used() > in.blocks {
		in.cache.evictFor(in, 0)
	}
	preempted := false
	for in.d > 0 && in.used() > in.blocks {
		in.preemptLast(k - 1)
		preempted = true
	}
	// A step that preempted admits nothing new (vLLM's too); otherwise
	// requests whose KV is here already (disaggregated decode) join the
	// decoding sequences, as blocks and slots allow.
	admit := !preempted || in.d == 0
	for admit && len(in.waitQ) > 0 {
		r := in.waitQ[0]
		if r.prefilled < r.prompt || in.running() >= in.maxSeqs {
			break
		}
		r.k0, r.blk = k-1, 0
		need := float64(in.need(r, k))
		if in.used()+need > in.blocks {
			in.cache.evictFor(in, need)
			if in.used()+need > in.blocks {
				break
			}
		}
		in.waitQ = in.waitQ[1:]
		in.startDecode(r, k-1, int(need))
	}
	tokens := in.d * (1 + in.draft)
	budget := max(0, in.budget-tokens)
	// Prompt chunks: running prefills first, then admissions in order.
	var chunks []chunk
	var pt int
	var keys float64
	maxChunk := 0
	take := func(r *req) bool {
		// A chunk runs on one replica, within its own token budget.
		n := min(r.prompt-r.prefilled, budget, in.settings.MaxBatchedTokens)
		if n <= 0 {
			return false
		}
		need := blocksFor(r.prefilled+n, in.block) - blocksFor(r.prefilled, in.block)
		if in.used()+need > in.blocks {
			in.cache.evictFor(in, need)
			if in.used()+need > in.blocks {
				return false
			}
		}
		in.preBlocks += need
		budget -= n
		pt += n
		keys += float64(n) * (float64(r.prefilled) + float64(n)/2)
		chunks = append(chunks, chunk{r, n})
		maxChunk = max(maxChunk, n)
		return true
	}
	for _, r := range in.pre {
		if budget == 0 {
			break
		}
		take(r)
	}
	for admit && len(in.waitQ) > 0 && budget > 0 && in.running() < in.maxSeqs {
		r := in.waitQ[0]
		if r.prefilled >= r.prompt {
			break // waits for blocks to decode
		}
		in.cache.lookup(r, in)
		if !take(r) {
			in.cache.unlookup(r, in)
			break
		}
		in.waitQ = in.waitQ[1:]
		r.state = prefilling
		if r.startS < 0 {
			r.startS = now
		}
		in.pre = append(in.pre, r)
	}
	if in.d == 0 && pt == 0 {
		// Nothing fits: the prefix cache or half-prefilled prompts hold
		// the blocks. Evict the cache, then preempt the latest prefill,
		// and try again; a lone request larger than the cache was refused
		// up front, so this never loops.
		switch {
		case in.cache.evictAll(in):
		case len(in.pre) > 1:
			in.preemptPrefill()
		default:
			r := in.waitQ
			if len(in.pre) == 1 {
				r = in.pre
			}
			in.run.fail(fmt.Errorf("%s: a request of %d tokens does not fit its KV cache of %.0f blocks of %d tokens", in.name, r[0].prompt+1, in.blocks, in.block))
			return
		}
		in.startStep(now)
		return
	}
	dctx := 0
	if in.d > 0 {
		dctx = int(math.Round((in.base + in.accepted*float64(k-1)*float64(in.d)) / float64(in.d)))
	}
	pctx := 0
	if pt > 0 {
		pctx = int(math.Round(keys / float64(pt)))
	}
	// The busiest replica's prompt tokens: at least the largest chunk
	// and an even share.
	rp := max(maxChunk, (pt+in.dp-1)/in.dp)
	c, err := in.p.step(in.d, max(dctx, 1), pt, max(pctx, 1), rp)
	if err != nil {
		in.run.fail(err)
		return
	}
	in.k = k
	in.busy = true
	in.steps++
	in.busyS += c.s
	in.j += c.j
	in.fj += c.fj
	in.stepS = append(in.stepS, c.s)
	in.stepD = append(in.stepD, int32(in.d))
	logged := in.run.cfg.KeepRequests && len(in.stepLog) < MaxStepRecords
	if logged {
		in.stepLog = append(in.stepLog, StepRecord{Instance: in.name, StartS: now, DurationS: c.s, Decode: in.d, Prefill: pt})
	}
	if stepHook != nil {
		stepHook(in, k)
	}
	use := in.used() / in.blocks
	in.peakKV = math.Max(in.peakKV, use)
	in.kvTimeSum += use * c.s
	f := 0.0
	if c.s > 0 {
		f = math.Min(1, c.comm/c.s)
	}
	in.lastF = f
	start, end := now, now+c.s
	in.run.at(end, func(now float64) {
		// KV landing on its links while its collectives ran delays
		// them: the step ends that much later.
		if d := in.kvDelay(start, now, f); d > 0 {
			if in.prefillOnly {
				in.run.prefillKVDelayS += d
			}
			in.busyS += d
			in.j += c.j * d / c.s
			in.fj += c.fj * d / c.s
			in.stepS[len(in.stepS)-1] += d
			if logged {
				in.stepLog[len(in.stepLog)-1].DurationS += d
			}
			in.kvTimeSum += use * d
			in.run.at(now+d, func(now float64) { in.endStep(k, chunks, now) })
			return
		}
		in.endStep(k, chunks, now)
	})
}

// kvFlow is a stretch of a KV transfer into a decode instance or out of
// a prefill instance at one rate: when it runs, the data-parallel rank
// it lands on or leaves, and the bytes per second one die of that rank
// receives or sends while the instance's collectives run.
type kvFlow struct {
	start, end float64
	rank       int
	rate       float64
}

// kvLinks is its ranks' links for KV (disaggregated instances).
func (in *instance) kvLinks() []kvLink {
	if in.links == nil {
		in.links = make([]kvLink, in.dp)
	}
	return in.links
}

// kvDelay is how much later a step from t0 to t1, whose collectives took
// the share f of it, ends for the KV landing meanwhile: the bytes one
// die receives while the collectives run (each stretch's overlap with
// the step, f of it, at its rate then), times the delay a byte causes
// (its end's kvSide.kappa), and the bytes landing in that delay, when
// the collectives still run, delay it further (kvTail); the busiest
// rank's delay is the step's. Stretches that have ended are dropped.
// Cost: O(stretches) a step, and kvTail's for the ranks that have one
// running past t1.
func (in *instance) kvDelay(t0, t1, f float64) float64 {
	if len(in.flows) == 0 {
		return 0
	}
	live := in.flows[:0]
	for _, fl := range in.flows {
		if fl.end > t0 {
			live = append(live, fl)
		}
	}
	clear(in.flows[len(live):])
	in.flows = live
	kappa := in.run.kvIn.kappa
	if in.prefillOnly {
		kappa = in.run.kvOut.kappa
	}
	if f == 0 || kappa == 0 {
		return 0
	}
	if in.rankBytes == nil {
		in.rankBytes = make([]float64, in.dp)
	}
	worst := 0.0
	tail := false
	for _, fl := range in.flows {
		if o := math.Min(fl.end, t1) - math.Max(fl.start, t0); o > 0 {
			in.rankBytes[fl.rank] += o * f * fl.rate
			worst = math.Max(worst, in.rankBytes[fl.rank])
		}
		tail = tail || fl.end > t1
	}
	d := worst * kappa
	if tail && !in.run.cfg.firstOrderKV {
		for _, fl := range in.flows {
			if b := in.rankBytes[fl.rank]; b > 0 && fl.end > t1 {
				d = math.Max(d, in.kvTail(fl.rank, b, t1, kappa))
				in.rankBytes[fl.rank] = 0 // each rank once
			}
		}
	}
	for _, fl := range in.flows {
		in.rankBytes[fl.rank] = 0
	}
	return d
}

// kvTail is the delay d of a step ending at t1 on rank for b bytes that
// landed during its collectives, counting the bytes that land during the
// delay itself (all of it collective time): d = kappa (b + the bytes
// landing in t1 to t1 + d), on the rank's stretches known at t1. With
// the rank's rate piecewise constant, each piece solves that linearly;
// a rate past 1/kappa keeps the step waiting until it falls. Cost: a
// sort of the rank's stretches running past t1.
func (in *instance) kvTail(rank int, b, t1, kappa float64) float64 {
	pts := in.tailPts[:0]
	for _, fl := range in.flows {
		if fl.rank == rank && fl.end > t1 {
			pts = append(pts, ratePoint{math.Max(fl.start, t1) - t1, fl.rate}, ratePoint{fl.end - t1, -fl.rate})
		}
	}
	slices.SortStableFunc(pts, func(x, y ratePoint) int { return cmp.Compare(x.at, y.at) })
	in.tailPts = pts
	rho, da := 0.0, 0.0
	for i := 0; i < len(pts); {
		db := pts[i].at
		if db > da {
			// The piece from da to db at rho, b landed by da.
			if d := kappa * (b - rho*da) / (1 - kappa*rho); kappa*rho < 1 && d <= db {
				return math.Max(d, da)
			}
			b += rho * (db - da)
			da = db
		}
		for ; i < len(pts) && pts[i].at == db; i++ {
			rho += pts[i].rate
		}
	}
	return math.Max(kappa*b, da)
}

// ratePoint is where a rank's KV rate changes (kvTail): rate more from
// at seconds after the step's end.
type ratePoint struct{ at, rate float64 }

type chunk struct {
	r *req
	n int
}

// endStep ends step k at now: decoding sequences that finish leave,
// prompt chunks advance, and the next step starts.
func (in *instance) endStep(k int, chunks []chunk, now float64) {
	in.busy = false
	for len(in.fin) > 0 && in.fin[0].kf <= k {
		e := heap.Pop(&in.fin).(heapEntry)
		r := e.r
		if e.gen != r.gen || r.state != decoding {
			continue
		}
		in.leaveDecode(r, k)
		r.generated = float64(r.Output)
		in.finish(r, now)
	}
	for _, ch := range chunks {
		r := ch.r
		r.prefilled += ch.n
		if r.prefilled < r.prompt {
			continue
		}
		in.removePre(r)
		in.preBlocks -= blocksFor(r.prompt, in.block) - blocksFor(r.cachedTok, in.block)
		// The prompt's blocks join its session's entry at once, for the
		// session's other requests (vLLM caches a block when it is full).
		in.cache.publish(r, in)
		if r.firstS < 0 {
			r.firstS = now
			r.generated = 1
		}
		switch {
		case r.generated >= float64(r.Output):
			in.finish(r, now)
		case in.prefillOnly:
			// The prompt's KV leaves whole; the session's prefix stays.
			in.cache.handOff(r, in)
			in.run.handOff(r, now)
		default:
			// Its prompt's blocks, less those the cache now holds, are
			// its own.
			in.startDecode(r, k, max(0, (r.prompt+in.block-1)/in.block-(r.cachedTok+in.block-1)/in.block))
		}
	}
	in.run.compact(in)
	in.kick(now)
}

// startDecode makes r a decoding sequence from the step after k, holding
// blk blocks of its own.
func (in *instance) startDecode(r *req, k, blk int) {
	r.state = decoding
	r.inst = in
	r.k0 = k
	r.len0 = float64(r.Input) + r.generated
	left := float64(r.Output) - r.generated
	r.kf = k + int(math.Ceil(left/in.accepted-1e-9))
	r.gen++
	in.d++
	in.base += r.len0 - in.accepted*float64(k)
	heap.Push(&in.fin, heapEntry{r.kf, r.id, r.gen, r})
	in.order = append(in.order, r)
	r.blk = blk
	in.decBlocks += float64(blk)
	if kn := in.nextGrow(r, k); kn <= r.kf {
		heap.Push(&in.grow, heapEntry{kn, r.id, r.gen, r})
	}
}

// leaveDecode takes r out of the decoding sequences at step k.
func (in *instance) leaveDecode(r *req, k int) {
	in.d--
	in.base -= r.len0 - in.accepted*float64(r.k0)
	in.decBlocks -= float64(r.blk)
	r.blk = 0
	r.generated = math.Min(float64(r.Output), r.generated+in.accepted*float64(k-r.k0))
	r.gen++
	if in.d == 0 {
		in.base = 0 // no drift from float sums
	}
}

// preemptLast preempts the latest admitted decoding sequence, as vLLM
// does when blocks run out: its KV is dropped and it is recomputed (its
// prompt and what it generated) when it is scheduled again.
func (in *instance) preemptLast(k int) {
	for len(in.order) > 0 {
		r := in.order[len(in.order)-1]
		in.order = in.order[:len(in.order)-1]
		if r.state != decoding || r.inst != in {
			continue
		}
		in.leaveDecode(r, k)
		in.cache.release(r)
		r.cachedTok = 0
		r.state = waiting
		r.prompt = r.Input + int(r.generated)
		r.prefilled = 0
		r.prefixHit = 0
		r.preemptions++
		in.run.preemptions++
		in.waitQ = append([]*req{r}, in.waitQ...)
		return
	}
}

// preemptPrefill sends the latest admitted prefill back to the front of
// the queue, its blocks freed.
func (in *instance) preemptPrefill() {
	r := in.pre[len(in.pre)-1]
	in.pre = in.pre[:len(in.pre)-1]
	in.preBlocks -= blocksFor(r.prefilled, in.block) - blocksFor(r.cachedTok, in.block)
	in.cache.release(r)
	r.cachedTok = 0
	r.prefilled, r.prefixHit = 0, 0
	r.state = waiting
	r.preemptions++
	in.run.preemptions++
	in.waitQ = append([]*req{r}, in.waitQ...)
}

func (in *instance) removePre(r *req) {
	for i, x := range in.pre {
		if x == r {
			in.pre = append(in.pre[:i], in.pre[i+1:]...)
			return
		}
	}
}

// finish records r as done; its session's KV stays in the prefix cache.
func (in *instance) finish(r *req, now float64) {
	r.state = done
	r.doneS = now
	in.cache.keep(r, in)
	in.run.done(r)
}
