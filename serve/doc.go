// Package serve simulates an inference service request by request:
// requests arrive (a Poisson, Gamma or bursty stream, or a trace
// replayed), serving instances schedule them as vLLM and SGLang do, and
// every step the schedulers form is priced by the inference engine
// (package infer) for its real composition, on the simulated fabric, with
// its energy. It answers a capacity planner's question: at this traffic,
// what are the TTFT and TPOT percentiles, the goodput under SLOs and the
// tokens per joule, on this topology.
//
// # Scheduler
//
// An instance runs continuous batching with chunked prefill, one step
// after another, on the discrete-event kernel (package sim). A step first
// admits requests whose KV is already there (disaggregated decode), then
// decodes every running sequence (1 + MTP draft tokens each, yielding the
// accepted ones), then fills what is left of the token budget
// (max_num_batched_tokens) with prompt chunks: running prefills first,
// then waiting requests in arrival order, while there are slots
// (max_num_seqs) and KV blocks. The KV cache is paged (block_size tokens)
// and sized from what the HBM leaves after the weights and a full step's
// activations (infer.Engine.KVCapacity), and counted block by block:
// each decoding sequence holds ceil(slots / block_size) blocks of its
// own, its slots being its context and the step's MTP draft tokens (what
// vLLM allocates before a step), and takes its next block in the step
// its tokens cross into it (a heap of those steps, so a step costs the
// sequences that cross, not all of them). When a sequence needs a block
// that is not free, unheld prefix-cache entries are evicted, then the
// latest admitted sequence is preempted until the rest fit, and later
// recomputed, prompt and generated tokens alike, as vLLM does; a step
// that preempted admits no new request (vLLM's neither). A prefix
// cache keeps each session's context when its request ends, and the
// session's requests prefill only what is new, reading its blocks
// (shared and reference-counted, as vLLM's and SGLang's are); entries
// no request holds are evicted least recently used first when blocks are
// needed.
//
// Data-parallel ranks of one instance (attention data parallelism with
// expert parallelism) step together, as they meet at every MoE
// all-to-all: the instance schedules them as one pool with the limits of
// all its ranks, spreads decoding sequences evenly over them, and prices
// a step by its busiest rank (at least the largest prompt chunk, which
// runs on one rank within that rank's budget), while the experts and
// their dispatch carry the whole step's tokens. Replicas are independent
// instances behind a router (round-robin, least-loaded, shortest-queue).
//
// Disaggregation puts prefill instances before the decode instances:
// each request's KV leaves its prefill rank when the prompt is done,
// alone at the rate the fabric gives one replica's transfer when every
// replica sends at once (infer.RunDisagg on the topology), lands on one
// data-parallel rank of a decode instance (round robin), and joins the
// decoding sequences when its blocks are free there. Each rank has one
// link for KV, and the transfers in flight share them as a fluid,
// max-min fairly (progressive filling, redone over the transfers a
// start or an end touches): N transfers at once into one rank take N
// times one each, and a transfer alone on both its links keeps its lone
// rate (a decode rank takes at that rate as many at once as it did in
// the measured step). TTFT is the first token from the prefill instance.
//
// The KV shares the links it crosses with the decode instance's own
// collectives (MoE dispatch and combine, TP allreduce). How much is
// measured once on the fabric (infer.Engine.SendTimes): a KV stream into
// a decode die alone, that die's collective traffic alone (every other
// die of its expert-parallel group sending to it; with TP only, its ring
// neighbour), and both at once, giving the share phi of its rate the KV
// keeps while the collectives run and the delay kappa each KV byte
// landing meanwhile adds to them (1 and 0 where the paths share no link,
// as KV over InfiniBand and a TP allreduce over NVLink). A decode step's
// collectives take the share f = CommS / StepS of it (infer's step
// breakdown, interpolated with the step). A transfer runs at its rate
// over (1 - f) + f phi, f being its decode instance's step when it
// starts; a decode step ends later by kappa times the bytes one die of
// its busiest rank received during its collectives (each transfer's
// overlap with the step, f of it, at phi times its rate and its share of
// the link), and the bytes landing in that delay, when the collectives
// still run, delay it further (a linear solve a piece of the rank's
// known rates), its energy growing at the step's power.
//
// # Step time
//
// Steps are priced by infer on a grid of compositions (decoding
// sequences, prompt tokens, their mean KV lengths, the busiest rank's
// share) and interpolated multilinearly; each grid point is one engine
// run, made once (TestPricerError bounds the error against direct runs:
// under 2% worst, 0.1% median). A run of 10,000 requests costs a few
// hundred engine runs and then microseconds a step.
//
// # Energy
//
// Every step adds its instance's share of the system's energy for that
// step (power.Account through infer); idle gaps add the instance's share
// of idle power. Energy per request, average power and tokens per joule
// follow the load.
//
// # Guarantees
//
//   - Determinism: the same requests and configuration give the same
//     result, bit for bit (TestDeterministic). Traffic is drawn from a
//     seeded PCG stream; no wall clock, no map order reaches a result.
//   - Queueing: with a fixed service time the simulated queue is M/D/1
//     (TestMD1, against the Pollaczek-Khinchine mean).
//   - Every request finishes or the run fails with an error: requests
//     that no instance can hold (past the context window, larger than
//     the KV cache) are refused before the run, and a scheduler that
//     could not progress reports it rather than hanging.
//   - Bounded: a run holds at most MaxRequests requests; traces and
//     traffic that ask for more are refused.
//   - KV blocks: every step, each decoding sequence holds exactly
//     ceil(slots / block_size) blocks, and the blocks in use never pass
//     the cache (TestBlocksExact, against a brute-force count).
//   - KV contention: a heavy KV stream into a decode instance whose
//     all-to-all shares its links slows the transfers and the decode
//     steps, and out of a prefill instance whose all-to-all shares its
//     links, the transfers and the prefill steps; with no KV moving, or
//     paths that share no link, the results are bit for bit those of KV
//     kept off the instances' links (TestKVContention).
//   - KV links shared: N transfers at once into one die take N times one,
//     two sizes at once end as processor sharing's closed form says
//     (TestKVShare); where no two transfers are ever on one link at once,
//     the results are bit for bit those of transfers each alone
//     (TestKVShareApart); a step's delay with the bytes landing in it
//     matches its closed forms (TestKVTail).
//
// # Limits
//
// MTP yields its mean accepted tokens every step (a sequence's whole
// tokens, for its blocks, are the floor of that running sum). A prefix
// cache entry's last, partial block counts as the cache's, where vLLM
// keeps it with the request that fills it. Prefill chunks' attention reads of earlier chunks' KV are
// not priced (prefill attention is compute-bound). KV contention is
// time-averaged: a step's collectives are spread evenly over it; a
// transfer's lone time is its slower end's, each end's taken from its
// instance's last step when it starts; transfers share links fairly in
// their shares of their lone rates (byte-fair where, as usual, their
// lone rates are alike); a step's delay counts the bytes of the
// transfers known when it would have ended, not of those starting in
// the delay; and a request's prefill rank is its index modulo the
// prefill instance's ranks.
package serve
