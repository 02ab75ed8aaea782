package serve

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/infer"
)

// TestPreemption: a KV cache far too small for the load preempts
// (recompute), every request still finishes, and each preempted one
// regenerates nothing it had not already counted.
func TestPreemption(t *testing.T) {
	cfg := llama70(t)
	// 12% of each 80 GB: the 8.8 GB of weights a GPU holds, and room for
	// about 30,000 tokens of KV over the eight.
	cfg.Instance.HBMFraction = 0.12
	cfg.KeepRequests = true
	reqs := traffic(50, 300, 2000, 400)
	res, err := Run(cfg, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Preemptions == 0 {
		t.Fatalf("no preemptions at peak KV use %.0f%%", 100*res.KVUsePeak)
	}
	if res.Requests != 300 {
		t.Errorf("%d of 300 requests counted", res.Requests)
	}
	if res.KVUsePeak > 1+1e-9 {
		t.Errorf("peak KV use %.3f, above the cache", res.KVUsePeak)
	}
	t.Logf("%d preemptions, peak KV %.0f%%, TPOT p99 %.1f ms", res.Preemptions, 100*res.KVUsePeak, res.TPOT.P99*1e3)
	more := cfg
	more.Instance.HBMFraction = 1
	roomy, err := Run(more, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if roomy.Preemptions >= res.Preemptions || roomy.E2E.P99 >= res.E2E.P99 {
		t.Errorf("with all the HBM: %d preemptions, E2E p99 %.2f s; at 93%%: %d, %.2f s", roomy.Preemptions, roomy.E2E.P99, res.Preemptions, res.E2E.P99)
	}
}

// TestPrefixCache: a conversation's later turns reuse its history, so
// with the cache on they prefill less and start sooner.
func TestPrefixCache(t *testing.T) {
	var reqs []Request
	for i := range 400 {
		// 40 sessions of 10 turns; each turn's prompt is the history (the
		// previous turns' prompt and answer) and 200 new tokens.
		turn, s := i/40, i%40
		in := 200 + turn*(200+100)
		reqs = append(reqs, Request{ArrivalS: float64(i) * 0.05, Input: in, Output: 100, Session: fmt.Sprint("s", s), PrefixLen: in - 200})
	}
	on := llama70(t)
	off := llama70(t)
	off.Settings.NoPrefixCache = true
	a, err := Run(on, reqs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(off, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if a.PrefixHitRate < 0.5 || b.PrefixHitRate != 0 {
		t.Errorf("prefix hit rate %.2f with the cache, %.2f without", a.PrefixHitRate, b.PrefixHitRate)
	}
	if a.TTFT.Mean >= b.TTFT.Mean {
		t.Errorf("TTFT %.1f ms with the cache, %.1f ms without", a.TTFT.Mean*1e3, b.TTFT.Mean*1e3)
	}
	t.Logf("hit rate %.0f%%: TTFT mean %.1f ms against %.1f ms", 100*a.PrefixHitRate, a.TTFT.Mean*1e3, b.TTFT.Mean*1e3)
}

// TestDisagg: prefill and decode on their own instances; TTFT includes
// the prompt's prefill, the KV moves over the fabric, and decode steps
// carry no prompts, so TPOT is steadier than colocated at the same load.
func TestDisagg(t *testing.T) {
	e := engine(t, "hgx-h100", 2)
	m := model(t, "llama-3.1-70b")
	inst := infer.Config{Model: m, Accelerators: 8, TP: 8, Precision: fp8, MicroBatches: 1}
	dis := Config{Engine: e, Prefill: inst, Instance: inst}
	col := Config{Engine: e, Instance: inst, Replicas: 2}
	reqs := traffic(12, 800, 1500, 200)
	d, err := Run(dis, reqs)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Run(col, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if d.KVTransfer.P50 <= 0 || d.PrefillInstances != 1 || d.Accelerators != 16 {
		t.Errorf("KV transfer p50 %.3f ms, %d prefill instances, %d accelerators", d.KVTransfer.P50*1e3, d.PrefillInstances, d.Accelerators)
	}
	if d.TPOT.P99 >= c.TPOT.P99 {
		t.Errorf("TPOT p99 disaggregated %.1f ms, colocated %.1f ms: want steadier decode", d.TPOT.P99*1e3, c.TPOT.P99*1e3)
	}
	t.Logf("disagg: TTFT p50 %.0f ms, TPOT p99 %.1f ms, KV %.2f ms; colocated x2: TTFT p50 %.0f ms, TPOT p99 %.1f ms",
		d.TTFT.P50*1e3, d.TPOT.P99*1e3, d.KVTransfer.P50*1e3, c.TTFT.P50*1e3, c.TPOT.P99*1e3)
}

// TestGoodput: goodput counts the requests meeting every SLO; a loose
// SLO keeps them all, an impossible one none.
func TestGoodput(t *testing.T) {
	cfg := llama70(t)
	reqs := traffic(8, 300, 1000, 100)
	cfg.TTFTSLOS, cfg.TPOTSLOS = 10, 1
	all, err := Run(cfg, reqs)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TTFTSLOS = 1e-6
	none, err := Run(cfg, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if all.SLOAttainment != 1 || math.Abs(all.GoodputRequestsPerS-all.RequestsPerS) > 1e-9 || none.GoodputRequestsPerS != 0 {
		t.Errorf("goodput %.2f of %.2f req/s (attainment %.2f); impossible SLO: %.2f", all.GoodputRequestsPerS, all.RequestsPerS, all.SLOAttainment, none.GoodputRequestsPerS)
	}
}

// TestWarmupAndRouters: warm-up requests are served, not counted; every
// router serves everything; a bad router is refused by name.
func TestWarmupAndRouters(t *testing.T) {
	e := engine(t, "hgx-h100", 4)
	inst := infer.Config{Model: model(t, "llama-3.1-8b"), Accelerators: 8, TP: 8, Precision: fp8, MicroBatches: 1}
	reqs := traffic(40, 1000, 800, 120)
	for _, router := range Routers {
		res, err := Run(Config{Engine: e, Instance: inst, Replicas: 4, Router: router, WarmupS: 5}, reqs)
		if err != nil {
			t.Fatal(err)
		}
		warm := 0
		for _, q := range reqs {
			if q.ArrivalS < 5 {
				warm++
			}
		}
		if res.Requests != 1000-warm || res.Arrived != 1000 || res.Accelerators != 32 {
			t.Errorf("%s: %d counted of %d (%d in the warm-up), %d accelerators", router, res.Requests, res.Arrived, warm, res.Accelerators)
		}
		t.Logf("%s: TTFT p99 %.0f ms, E2E p99 %.2f s", router, res.TTFT.P99*1e3, res.E2E.P99)
	}
	if _, err := Run(Config{Engine: e, Instance: inst, Router: "random"}, reqs); err == nil || !strings.Contains(err.Error(), "router") {
		t.Errorf("router random: %v", err)
	}
}

// TestRefusals: requests that cannot be served are refused before the
// run, naming the request and what to change.
func TestRefusals(t *testing.T) {
	cfg := llama70(t)
	for _, tc := range []struct {
		reqs []Request
		want string
	}{
		{[]Request{{Input: 130000, Output: 2000}}, "past llama-3.1-70b's 131072-token context window"},
		{[]Request{{Input: 10, Output: 0}}, "want at least 1 of each"},
		{[]Request{{ArrivalS: 2, Input: 10, Output: 5}, {ArrivalS: 1, Input: 10, Output: 5}}, "want arrival order"},
		{nil, "no requests"},
	} {
		_, err := Run(cfg, tc.reqs)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v, want %q", err, tc.want)
		}
	}
	small := cfg
	small.Instance.HBMFraction = 0.12
	if _, err := Run(small, []Request{{Input: 100000, Output: 10}}); err == nil || !strings.Contains(err.Error(), "do not fit") {
		t.Errorf("a request larger than the KV cache: %v", err)
	}
	over := cfg
	over.Replicas = 2
	if _, err := Run(over, traffic(1, 2, 10, 10)); err == nil || !strings.Contains(err.Error(), "--domains") {
		t.Errorf("two replicas of 8 on one HGX: %v", err)
	}
}

// TestEngines: each engine's defaults are its own (SGLang's chunk
// follows the device's memory, MindIE's blocks are 128 tokens), a field
// given overrides them, and a cap of fewer running sequences queues more
// at high load.
func TestEngines(t *testing.T) {
	for _, tc := range []struct {
		engine     string
		hbm        float64
		wantTokens int
		wantBlock  int
	}{
		{"vllm", 80e9, 8192, 16}, {"vllm", 64e9, 2048, 16}, {"sglang", 80e9, 8192, 1}, {"sglang", 180e9, 16384, 1},
		{"trtllm", 80e9, 8192, 32}, {"vllm-ascend", 64e9, 2048, 128}, {"mindie", 64e9, 8192, 128},
	} {
		e, err := engineNamed(tc.engine)
		if err != nil {
			t.Fatal(err)
		}
		s := e.defaults(tc.hbm, 1e6, 131072)
		if s.MaxBatchedTokens != tc.wantTokens || s.BlockSize != tc.wantBlock || s.MaxSeqs < 1 {
			t.Errorf("%s at %.0f GB: %+v", tc.engine, tc.hbm/1e9, s)
		}
	}
	if err := CheckEngine("tgi"); err == nil || !strings.Contains(err.Error(), "vllm, sglang, trtllm") {
		t.Errorf("an unknown engine: %v", err)
	}
	reqs := traffic(40, 1500, 500, 300)
	var ttft [2]float64
	for i, seqs := range []int{0, 32} {
		cfg := llama70(t)
		cfg.Settings = Settings{Engine: "trtllm", MaxSeqs: seqs}
		res, err := Run(cfg, reqs)
		if err != nil {
			t.Fatal(err)
		}
		ttft[i] = res.TTFT.P50
	}
	if ttft[1] <= ttft[0] {
		t.Errorf("TTFT p50 %.0f ms with 32 running sequences, %.0f ms with trtllm's 256", ttft[1]*1e3, ttft[0]*1e3)
	}
}

// TestConcurrency: a closed loop keeps exactly N requests in flight, so
// one user sees the lone-request latency and more users raise throughput
// and TPOT; Little's law holds (throughput x latency = users).
func TestConcurrency(t *testing.T) {
	reqs := traffic(1, 400, 1000, 200)
	var prev Result
	for i, n := range []int{1, 8, 64} {
		cfg := llama70(t)
		cfg.Concurrency = n
		res, err := Run(cfg, reqs)
		if err != nil {
			t.Fatal(err)
		}
		little := res.RequestsPerS * res.E2E.Mean
		if math.Abs(little/float64(n)-1) > 0.1 {
			t.Errorf("concurrency %d: %.2f req/s x %.2f s = %.1f in flight", n, res.RequestsPerS, res.E2E.Mean, little)
		}
		if n == 1 && res.Queue.P99 > 1e-9 {
			t.Errorf("one user waited %.3f ms in the queue", res.Queue.P99*1e3)
		}
		if i > 0 && (res.OutputTokensPerS <= prev.OutputTokensPerS || res.TPOT.P50 <= prev.TPOT.P50) {
			t.Errorf("concurrency %d: %.0f tok/s TPOT %.1f ms; fewer users: %.0f tok/s, %.1f ms", n, res.OutputTokensPerS, res.TPOT.P50*1e3, prev.OutputTokensPerS, prev.TPOT.P50*1e3)
		}
		t.Logf("concurrency %d: %.0f tok/s, TTFT p50 %.0f ms, TPOT p50 %.1f ms", n, res.OutputTokensPerS, res.TTFT.P50*1e3, res.TPOT.P50*1e3)
		prev = res
	}
}

// TestDisaggOneTokenRequests: one-token requests finish at the prefill
// instance; the idle decode pool still reports its configuration.
func TestDisaggOneTokenRequests(t *testing.T) {
	e := engine(t, "hgx-h100", 2)
	inst := infer.Config{Model: model(t, "llama-3.1-8b"), Accelerators: 8, TP: 8, Precision: fp8, MicroBatches: 1}
	res, err := Run(Config{Engine: e, Prefill: inst, Instance: inst}, traffic(5, 20, 500, 1))
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 20 || res.Instance.Model == nil || res.KVTransfer.P50 != 0 {
		t.Errorf("%d requests, decode model %v, KV transfer %g", res.Requests, res.Instance.Model, res.KVTransfer.P50)
	}
}

// TestSharedPrefixes: synthetic sessions whose prompts share a system
// prompt hit the prefix cache, concurrent requests of a session sharing
// its blocks, and start sooner than with it off: of 2,500-token prompts
// opening with 2,000 shared tokens, all but each session's first read
// those from the cache (close to 80% of the prompt tokens).
func TestSharedPrefixes(t *testing.T) {
	reqs, err := Traffic{Rate: 20, Requests: 600, Input: Lengths{Mean: 2500}, Output: Lengths{Mean: 50}, Sessions: 10, PrefixLen: 2000, Seed: 2}.Generate()
	if err != nil {
		t.Fatal(err)
	}
	on, off := llama70(t), llama70(t)
	off.Settings.NoPrefixCache = true
	a, err := Run(on, reqs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(off, reqs)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("hit rate %.0f%%: TTFT mean %.1f ms against %.1f ms", 100*a.PrefixHitRate, a.TTFT.Mean*1e3, b.TTFT.Mean*1e3)
	if a.PrefixHitRate < 0.7 || b.PrefixHitRate != 0 || a.TTFT.Mean >= b.TTFT.Mean {
		t.Errorf("hit rate %.2f (off: %.2f), TTFT mean %.1f ms against %.1f ms", a.PrefixHitRate, b.PrefixHitRate, a.TTFT.Mean*1e3, b.TTFT.Mean*1e3)
	}
	if _, err := (Traffic{Rate: 1, Requests: 1, Input: Lengths{Mean: 10}, Output: Lengths{Mean: 1}, Sessions: 3}).Generate(); err == nil {
		t.Error("sessions without a shared prefix: no error")
	}
}

// TestBlocksExact: at every step the decoding sequences hold exactly
// ceil(slots / block_size) blocks each (their context and the step's
// draft slots, less the prefix cache's), counted block by block, and
// the blocks in use never pass the cache; preemption starts only when a
// block is needed that is not free. Colocated with MTP and the prefix
// cache, and disaggregated.
func TestBlocksExact(t *testing.T) {
	var bad []string
	checked := 0
	stepHook = func(in *instance, k int) {
		checked++
		seen := map[*req]bool{}
		want := 0
		for _, r := range in.order {
			if r.state != decoding || r.inst != in || seen[r] {
				continue
			}
			seen[r] = true
			g := min(float64(r.Output), r.generated+in.accepted*float64(k-1-r.k0))
			slots := r.Input + int(math.Floor(g)) + in.draft
			own := max(0, (slots+in.block-1)/in.block-(r.cachedTok+in.block-1)/in.block)
			if r.blk != own {
				bad = append(bad, fmt.Sprintf("%s step %d: request %d holds %d blocks, needs %d", in.name, k, r.id, r.blk, own))
			}
			want += own
		}
		if len(seen) != in.d || float64(want) != in.decBlocks {
			bad = append(bad, fmt.Sprintf("%s step %d: %d sequences hold %.0f blocks; counted %d holding %d", in.name, k, in.d, in.decBlocks, len(seen), want))
		}
		if in.used() > in.blocks {
			bad = append(bad, fmt.Sprintf("%s step %d: %.0f blocks in use of %.0f", in.name, k, in.used(), in.blocks))
		}
	}
	defer func() { stepHook = nil }()
	var reqs []Request
	for i := range 600 {
		turn, s := i/40, i%40
		in := 300 + turn*90
		reqs = append(reqs, Request{ArrivalS: float64(i) * 0.02, Input: in, Output: 50 + 37*(i%7), Session: fmt.Sprint("s", s), PrefixLen: in - 300})
	}
	cfg := llama70(t)
	cfg.Instance.HBMFraction = 0.12
	// Llama with an MTP module, for a fractional yield a step (1.6).
	mtp := *cfg.Instance.Model
	mtp.MTPLayers = 1
	cfg.Instance.Model = &mtp
	cfg.Instance.MTPDraft, cfg.Instance.MTPAccept = 1, 0.6
	cfg.Settings.BlockSize = 16
	res, err := Run(cfg, reqs)
	if err != nil {
		t.Fatal(err)
	}
	if res.Preemptions == 0 {
		t.Errorf("no preemptions at peak KV use %.0f%%: the test wants a full cache", 100*res.KVUsePeak)
	}
	inst := llama70(t).Instance
	dis := Config{Engine: engine(t, "hgx-h100", 2), Prefill: inst, Instance: inst}
	dis.Instance.HBMFraction = 0.12
	dis.Settings.BlockSize = 32
	if _, err := Run(dis, reqs); err != nil {
		t.Fatal(err)
	}
	if checked < 1000 || len(bad) > 0 {
		t.Fatalf("%d steps checked, %d wrong: %v", checked, len(bad), bad[:min(len(bad), 5)])
	}
	t.Logf("%d steps checked; colocated: %d preemptions, peak KV %.0f%%", checked, res.Preemptions, 100*res.KVUsePeak)
}

// qwenEP16 is Qwen3-235B disaggregated on three HGX H100 servers: a
// prefill instance on the first, a decode instance at EP16 over the
// other two, whose dispatch and combine cross InfiniBand, the network
// each request's KV crosses too.
func qwenEP16(t *testing.T) Config {
	m := model(t, "qwen3-235b-a22b")
	return Config{Engine: engine(t, "hgx-h100", 3),
		Prefill:  infer.Config{Model: m, Accelerators: 8, Precision: fp8, MicroBatches: 1},
		Instance: infer.Config{Model: m, Accelerators: 16, Precision: fp8, MicroBatches: 1}}
}

// TestKVContention: a heavy KV stream (16k-token prompts) into a decode
// instance whose MoE all-to-all shares its InfiniBand links slows its
// steps (TPOT) and is itself slowed (the transfers take longer) against
// KV kept off those links; out of a prefill instance whose all-to-all
// shares them, it slows the prefill steps (TTFT) and the transfers; where the paths share no link (the decode
// instance's TP allreduce on NVLink, the KV over InfiniBand) and where
// no KV moves, the results are bit for bit those of the isolated model.
func TestKVContention(t *testing.T) {
	run := func(cfg Config, reqs []Request) Result {
		t.Helper()
		res, err := Run(cfg, reqs)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	reqs := traffic(1, 300, 16000, 100)
	cfg := qwenEP16(t)
	iso := cfg
	iso.isolatedKV = true
	a, b := run(cfg, reqs), run(iso, reqs)
	if a.TPOT.Mean < b.TPOT.Mean*1.003 || a.KVTransfer.P50 < b.KVTransfer.P50*1.1 {
		t.Errorf("contended: TPOT mean %.3f ms, KV p50 %.2f ms; isolated: %.3f ms, %.2f ms: want both slower",
			a.TPOT.Mean*1e3, a.KVTransfer.P50*1e3, b.TPOT.Mean*1e3, b.KVTransfer.P50*1e3)
	}
	if again := run(cfg, reqs); !reflect.DeepEqual(a, again) {
		t.Errorf("two runs differ: TPOT mean %.9f ms against %.9f", a.TPOT.Mean*1e3, again.TPOT.Mean*1e3)
	}
	if a.EnergyJ <= b.EnergyJ {
		t.Errorf("energy %.0f J contended, %.0f J isolated: the longer steps draw more", a.EnergyJ, b.EnergyJ)
	}
	t.Logf("EP16 over IB, 16k prompts: TPOT mean %.3f ms (isolated %.3f), p99 %.3f (%.3f); KV p50 %.1f ms (%.1f)",
		a.TPOT.Mean*1e3, b.TPOT.Mean*1e3, a.TPOT.P99*1e3, b.TPOT.P99*1e3, a.KVTransfer.P50*1e3, b.KVTransfer.P50*1e3)
	none, noneIso := cfg, iso
	none.noKV, noneIso.noKV = true, true
	if x, y := run(none, reqs), run(noneIso, reqs); !reflect.DeepEqual(x, y) {
		t.Errorf("no KV moving: results differ from the isolated model's (TPOT mean %.6f ms against %.6f)", x.TPOT.Mean*1e3, y.TPOT.Mean*1e3)
	}
	// The prefill side: an EP16 prefill instance over InfiniBand sends
	// the KV out of dies whose all-to-all leaves on the same links, into
	// an 8-GPU decode instance that keeps its all-to-all on NVLink.
	m := cfg.Prefill.Model
	pre := Config{Engine: cfg.Engine,
		Prefill:  infer.Config{Model: m, Accelerators: 16, Precision: fp8, MicroBatches: 1},
		Instance: infer.Config{Model: m, Accelerators: 8, Precision: fp8, MicroBatches: 1}}
	preIso := pre
	preIso.isolatedKV = true
	x, y := run(pre, reqs), run(preIso, reqs)
	if x.KVTransfer.P50 < y.KVTransfer.P50*1.1 {
		t.Errorf("prefill side contended: KV p50 %.2f ms; isolated: %.2f ms: want slower transfers", x.KVTransfer.P50*1e3, y.KVTransfer.P50*1e3)
	}
	// The prefill steps are delayed by the KV leaving during their
	// all-to-all (whether the delay shows in TTFT depends on how the
	// longer steps batch the queue; prefill is compute-bound).
	var delay, isoDelay float64
	pre.prefillDelay, preIso.prefillDelay = &delay, &isoDelay
	run(pre, reqs)
	run(preIso, reqs)
	if delay <= 0 || isoDelay != 0 {
		t.Errorf("prefill steps delayed %.3g s in all contended, %.3g s isolated: want a delay, and none isolated", delay, isoDelay)
	}
	t.Logf("prefill EP16 over IB, 16k prompts: prefill steps delayed %.3f ms in all; TTFT mean %.3f ms (isolated %.3f); KV p50 %.1f ms (%.1f); TPOT mean %.3f ms (%.3f)",
		delay*1e3, x.TTFT.Mean*1e3, y.TTFT.Mean*1e3, x.KVTransfer.P50*1e3, y.KVTransfer.P50*1e3, x.TPOT.Mean*1e3, y.TPOT.Mean*1e3)
	inst := infer.Config{Model: model(t, "llama-3.1-70b"), Accelerators: 8, TP: 8, Precision: fp8, MicroBatches: 1}
	apart := Config{Engine: engine(t, "hgx-h100", 2), Prefill: inst, Instance: inst, KeepRequests: true}
	apartIso := apart
	apartIso.isolatedKV = true
	if x, y := run(apart, reqs), run(apartIso, reqs); !reflect.DeepEqual(x, y) {
		t.Errorf("disjoint paths: results differ from the isolated model's (TPOT mean %.6f ms against %.6f)", x.TPOT.Mean*1e3, y.TPOT.Mean*1e3)
	}
}

// TestKVShare: N requests whose prompts end in one prefill step leave
// one prefill rank for one decode rank together (Llama 3.1 70B at TP8 on
// both sides: one data-parallel rank each, the KV over InfiniBand), so
// they share both links fairly: each takes N times as long as one alone,
// where the first-order model sent them one after another (D, 2D, ...
// ND). Prompts of two sizes a < b at once: the short one ends at 2 D(a),
// the long one at D(a) + D(b) (processor sharing). The closed forms take
// the lone times D from runs of one; a leader request (its own step, as
// the first arrival starts one at once) goes first, its KV gone before
// the group's leaves.
func TestKVShare(t *testing.T) {
	inst := infer.Config{Model: model(t, "llama-3.1-70b"), Accelerators: 8, TP: 8, Precision: fp8, MicroBatches: 1}
	base := Config{Engine: engine(t, "hgx-h100", 2), Prefill: inst, Instance: inst, isolatedKV: true,
		Settings: Settings{MaxBatchedTokens: 16384}}
	group := func(ins ...int) []Request {
		rs := []Request{{Input: 1000, Output: 20}}
		for _, n := range ins {
			rs = append(rs, Request{Input: n, Output: 20})
		}
		return rs
	}
	kv := func(cfg Config, reqs []Request) Percentiles {
		t.Helper()
		res, err := Run(cfg, reqs)
		if err != nil {
			t.Fatal(err)
		}
		return res.KVTransfer
	}
	near := func(got, want float64) bool { return math.Abs(got-want) <= 1e-9*want }
	one := kv(base, group()).Max
	first := base
	first.firstOrderKV = true
	for _, n := range []int{2, 4, 8} {
		ins := make([]int, n)
		for i := range ins {
			ins[i] = 1000
		}
		// The leader's D, then n at n D each.
		got := kv(base, group(ins...))
		if want := float64(n) * one; !near(got.Max, want) || !near(got.P50, want) {
			t.Errorf("%d transfers into one die at once: p50 %.4f ms, max %.4f ms; want %d x %.4f = %.4f ms", n, got.P50*1e3, got.Max*1e3, n, one*1e3, want*1e3)
		}
		// First order: D, 2D, ... nD.
		if f, want := kv(first, group(ins...)), (1+float64(n*(n+1))/2)/float64(n+1)*one; !near(f.Mean, want) {
			t.Errorf("first order, %d transfers one after another: mean %.4f ms, want %.4f", n, f.Mean*1e3, want*1e3)
		}
	}
	// The lone times scale with the tokens (one run's KV rate): the
	// leader's D(a), then 2 D(a) and D(a) + D(b).
	a, b := 1000, 3000
	got := kv(base, group(a, b))
	da := got.P50 / 2
	db := da * float64(b+1) / float64(a+1)
	if !near(got.Max, da+db) || !near(3*got.Mean, da+2*da+da+db) {
		t.Errorf("%d and %d tokens at once: %.4f and %.4f ms; want 2 D(a) = %.4f and D(a) + D(b) = %.4f ms", a, b, got.P50*1e3, got.Max*1e3, 2*da*1e3, (da+db)*1e3)
	}
	t.Logf("one 1000-token KV alone %.3f ms; 3000 tokens %.3f ms", one*1e3, db*1e3)
}

// TestKVShareApart: where no two transfers are ever in flight on one
// link, sharing the links changes nothing, bit for bit: the contended
// EP16 decode case against every transfer given its lone rate (soloKV),
// and the disjoint-paths case (no KV delay at either end) against the
// first-order model, whose prefill transfers left one after another.
func TestKVShareApart(t *testing.T) {
	run := func(cfg Config, reqs []Request) Result {
		t.Helper()
		res, err := Run(cfg, reqs)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// 16k prompts a prefill of over a second each: one transfer at a time.
	reqs := traffic(1, 200, 16000, 100)
	cfg := qwenEP16(t)
	solo := cfg
	solo.soloKV = true
	if a, b := run(cfg, reqs), run(solo, reqs); !reflect.DeepEqual(a, b) {
		t.Errorf("EP16 over IB, transfers apart: shared TPOT mean %.9f ms, KV p99 %.9f ms; lone %.9f, %.9f", a.TPOT.Mean*1e3, a.KVTransfer.P99*1e3, b.TPOT.Mean*1e3, b.KVTransfer.P99*1e3)
	}
	inst := infer.Config{Model: model(t, "llama-3.1-70b"), Accelerators: 8, TP: 8, Precision: fp8, MicroBatches: 1}
	apart := Config{Engine: engine(t, "hgx-h100", 2), Prefill: inst, Instance: inst, KeepRequests: true}
	first := apart
	first.firstOrderKV = true
	if a, b := run(apart, reqs), run(first, reqs); !reflect.DeepEqual(a, b) {
		t.Errorf("disjoint paths, transfers apart: TPOT mean %.9f ms, KV p99 %.9f ms; first order %.9f, %.9f", a.TPOT.Mean*1e3, a.KVTransfer.P99*1e3, b.TPOT.Mean*1e3, b.KVTransfer.P99*1e3)
	}
}

// TestKVTail: a step's delay counts the KV landing during the delay
// itself. One stream at rho bytes/s per die over a step of 1 s whose
// collectives take f of it lands b = f rho during them; alone that
// delays the step kappa b, and with the bytes of the delay,
// d = kappa (b + rho d) = kappa b / (1 - kappa rho). A stream that ends
// e into the delay adds rho e: d = kappa (b + rho e). One past 1/kappa
// holds the step until it ends.
func TestKVTail(t *testing.T) {
	const rho, f, kappa = 2e9, 0.5, 2e-10 // kappa rho = 0.4
	b := f * rho
	delay := func(end float64) float64 {
		in := &instance{run: &runner{cfg: Config{}, kvIn: kvSide{kappa: kappa}}, dp: 2,
			flows: []*kvFlow{{start: 0, end: end, rank: 1, rate: rho}, {start: 0, end: 10, rank: 0, rate: rho / 4}}}
		return in.kvDelay(0, 1, f)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) <= 1e-12*want }
	if got, want := delay(10), kappa*b/(1-kappa*rho); !near(got, want) {
		t.Errorf("stream past the delay: %.9f s, want kappa b / (1 - kappa rho) = %.9f s", got, want)
	}
	if e := 0.05; !near(delay(1+e), kappa*(b+rho*e)) {
		t.Errorf("stream ending %.2f s into the delay: %.9f s, want kappa (b + rho e) = %.9f s", e, delay(1+e), kappa*(b+rho*e))
	}
	if got := delay(1); got != kappa*b {
		t.Errorf("stream ending with the step: %.9f s, want kappa b = %.9f s exactly", got, kappa*b)
	}
	in := &instance{run: &runner{kvIn: kvSide{kappa: 1e-9}}, dp: 1, flows: []*kvFlow{{start: 0, end: 3, rank: 0, rate: rho}}}
	if got, want := in.kvDelay(0, 1, f), 1e-9*(b+2*rho); !near(got, want) {
		t.Errorf("kappa rho = 2: %.9f s, want the step held until the stream ends and then kappa of all its bytes, %.9f s", got, want)
	}
}
