package infer

import (
	"errors"
	"math"
	"testing"

	"github.com/cardsea/cardsea/internal/field"
)

// vllmLike is a runtime of vLLM's figures (serve's engine table):
// overlapped host work of 21 us a sequence, a 160 us gap between steps,
// 262 us of host launches per layer run eagerly.
func vllmLike(graphs ...int) Runtime {
	return Runtime{HostPerSeqS: 21e-6, Overlap: true, SyncS: 160e-6, EagerLayerS: 262e-6, GraphSizes: graphs}
}

// decode8b runs Llama-3.1-8B decode on one H100 at batch b.
func decode8b(t *testing.T, e *Engine, b, ctx int, rt Runtime) Result {
	t.Helper()
	r, err := e.Run(Config{Model: model(t, "llama-3.1-8b"), Accelerators: 1, Phase: Decode, Batch: b, Context: ctx, Precision: bf16, MicroBatches: 1, Runtime: rt})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestGraphPadding: a decode batch runs as the next captured graph size
// up, so batch 5 in graphs of 1, 2, 4, 8 costs what batch 8 does in its
// GEMMs (with a short context the attention that only reads real
// sequences is a sliver) and more than batch 5 run as itself; past the
// largest graph, and with exact graphs at a size not captured, it runs
// eagerly.
func TestGraphPadding(t *testing.T) {
	e := engine(t, "hgx-h100")
	rt := Runtime{GraphSizes: []int{1, 2, 4, 8}}
	five, eight := decode8b(t, e, 5, 16, rt), decode8b(t, e, 8, 16, rt)
	bare := decode8b(t, e, 5, 16, Runtime{})
	if five.GraphBatch != 8 || eight.GraphBatch != 8 {
		t.Errorf("graph batches %d and %d, want 8 and 8", five.GraphBatch, eight.GraphBatch)
	}
	// The padded slots have no KV: attention reads 5 sequences, not 8,
	// and H100's fitted attention kernel charges by batch (0.4% of the
	// step at context 16), hence the 1% allowance.
	if five.StepS < eight.StepS*(1-1e-2) {
		t.Errorf("batch 5 padded to 8 takes %.4g ms, faster than batch 8's %.4g ms", five.StepS*1e3, eight.StepS*1e3)
	}
	if !(five.StepS > bare.StepS) {
		t.Errorf("batch 5 padded to 8 takes %.4g ms, no longer than unpadded (%.4g ms)", five.StepS*1e3, bare.StepS*1e3)
	}
	if five.TokensPerSPerAccel >= eight.TokensPerSPerAccel {
		t.Errorf("padded batch 5 yields %.0f tokens/s, batch 8 %.0f: padding should waste the slots", five.TokensPerSPerAccel, eight.TokensPerSPerAccel)
	}
	if past := decode8b(t, e, 16, 16, rt); past.GraphBatch != 0 {
		t.Errorf("batch 16 past the largest graph (8) ran in graph %d, want eager", past.GraphBatch)
	}
	exact := Runtime{GraphSizes: []int{1, 2, 4, 8}, ExactGraphs: true}
	if r := decode8b(t, e, 5, 16, exact); r.GraphBatch != 0 || r.StepS != bare.StepS {
		t.Errorf("exact graphs: batch 5 ran in graph %d (%.4g ms), want eager as itself (%.4g ms)", r.GraphBatch, r.StepS*1e3, bare.StepS*1e3)
	}
	if r := decode8b(t, e, 4, 16, exact); r.GraphBatch != 4 {
		t.Errorf("exact graphs: batch 4 ran in graph %d, want 4", r.GraphBatch)
	}
}

// TestRuntimeSmallBatch: the engine's step cost raises TPOT, by more at
// small batch than at large in relative terms (its gap between steps is
// fixed, the host's work hides behind a longer device step), and the
// breakdown carries it: compute, exposed communication and the runtime
// add up to the step.
func TestRuntimeSmallBatch(t *testing.T) {
	e := engine(t, "hgx-h100")
	rise := func(b int) float64 {
		bare := decode8b(t, e, b, 1024, Runtime{GraphSizes: []int{1, 64}})
		with := decode8b(t, e, b, 1024, vllmLike(1, 64))
		if with.RuntimeS <= 0 || math.Abs(with.ComputeS+with.ExposedCommS+with.RuntimeS-with.StepS) > 1e-12 {
			t.Errorf("batch %d: runtime %g s; compute %g + exposed %g + runtime %g != step %g", b, with.RuntimeS, with.ComputeS, with.ExposedCommS, with.RuntimeS, with.StepS)
		}
		return with.TPOTS/bare.TPOTS - 1
	}
	small, large := rise(1), rise(64)
	if !(small > large && large > 0) {
		t.Errorf("the runtime raises TPOT by %.2f%% at batch 1 and %.2f%% at batch 64: want more at the small batch, and some at both", 100*small, 100*large)
	}
}

// TestRuntimeOverlap: without an overlap scheduler the host's work adds
// to the step in full; with one only what outlasts the device shows; and
// a fixed overhead replaces the model.
func TestRuntimeOverlap(t *testing.T) {
	e := engine(t, "hgx-h100")
	bare := decode8b(t, e, 8, 1024, Runtime{})
	serial := decode8b(t, e, 8, 1024, Runtime{HostS: 1e-3})
	if d := serial.StepS - bare.StepS; math.Abs(d-1e-3) > 1e-9 {
		t.Errorf("serial host work of 1 ms adds %g s", d)
	}
	if hidden := decode8b(t, e, 8, 1024, Runtime{HostS: 1e-3, Overlap: true}); hidden.StepS != bare.StepS {
		t.Errorf("overlapped host work of 1 ms (device step %.3g ms) shows: %.4g ms against %.4g", bare.StepS*1e3, hidden.StepS*1e3, bare.StepS*1e3)
	}
	long := decode8b(t, e, 8, 1024, Runtime{HostS: 1, Overlap: true})
	if math.Abs(long.StepS-1) > 1e-9 {
		t.Errorf("overlapped host work of 1 s sets the step: %g s", long.StepS)
	}
	if fixed := decode8b(t, e, 8, 1024, Runtime{HostS: 1, FixedS: 2e-3}); math.Abs(fixed.StepS-bare.StepS-2e-3) > 1e-9 {
		t.Errorf("a fixed 2 ms overhead adds %g s", fixed.StepS-bare.StepS)
	}
}

// TestEagerLaunch: a step no graph covers launches its layers from the
// host, which outlasts a small model's device step at batch 1 (eager
// decode is host-bound) and hides behind a large batch's.
func TestEagerLaunch(t *testing.T) {
	e := engine(t, "hgx-h100")
	eager, graphed := decode8b(t, e, 1, 1024, vllmLike()), decode8b(t, e, 1, 1024, vllmLike(1, 2, 4))
	if launch := 32 * 262e-6; eager.StepS < launch || graphed.StepS >= eager.StepS {
		t.Errorf("batch 1: eager %.3g ms (launches %.3g ms), in a graph %.3g ms: want eager host-bound and slower", eager.StepS*1e3, launch*1e3, graphed.StepS*1e3)
	}
	// A small step with prompt tokens runs in piecewise graphs up to
	// PiecewiseTokens, eagerly past them.
	mixed := func(rt Runtime) Result {
		r, err := e.Run(Config{Model: model(t, "llama-3.1-8b"), Accelerators: 1, Phase: Serve, Precision: bf16, MicroBatches: 1, Runtime: rt,
			Mix: Mix{Decode: 2, DecodeContext: 512, Prefill: 64, PrefillSeqs: 1, PrefillContext: 32}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	pw := vllmLike(1, 2, 4)
	pw.PiecewiseTokens = 512
	if eagerMix, pwMix := mixed(vllmLike(1, 2, 4)), mixed(pw); !(eagerMix.RuntimeS > pwMix.RuntimeS && pwMix.RuntimeS == 160e-6) {
		t.Errorf("a 66-token mixed step: runtime %.3g ms eager, %.3g ms in piecewise graphs: want the launches only eager", eagerMix.RuntimeS*1e3, pwMix.RuntimeS*1e3)
	}
	big := decode8b(t, e, 256, 1024, vllmLike())
	if big.RuntimeS > 160e-6+256*21e-6 {
		t.Errorf("batch 256 eager shows %.3g ms of runtime: its launches should hide behind the device step (%.3g ms)", big.RuntimeS*1e3, (big.StepS-big.RuntimeS)*1e3)
	}
}

// TestTokenBudget: prompts past the engine's token budget are prefilled
// in chunks, a step each, so a tighter budget raises TTFT and lowers
// prefill throughput; a decode step past it is refused and the largest
// batch is held within it.
func TestTokenBudget(t *testing.T) {
	e := engine(t, "hgx-h100")
	m := model(t, "llama-3.1-8b")
	pre := func(budget int) Result {
		rt := vllmLike()
		rt.MaxTokens = budget
		r, err := e.Run(Config{Model: m, Accelerators: 1, Phase: Prefill, Batch: 4, InputLen: 4096, Precision: bf16, MicroBatches: 1, Runtime: rt})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	loose, tight := pre(16384), pre(2048)
	if loose.Chunks != 1 || tight.Chunks != 8 {
		t.Errorf("chunks %d and %d, want 1 and 8", loose.Chunks, tight.Chunks)
	}
	if !(tight.TTFTS > loose.TTFTS && tight.TokensPerSPerAccel < loose.TokensPerSPerAccel) {
		t.Errorf("budget 2048: TTFT %.4g ms, %.0f tokens/s; 16384: %.4g ms, %.0f tokens/s: want the tighter budget slower", tight.TTFTS*1e3, tight.TokensPerSPerAccel, loose.TTFTS*1e3, loose.TokensPerSPerAccel)
	}

	sum := 0.0
	for _, l := range tight.Layers {
		sum += l.StepS
	}
	if math.Abs(sum-tight.StepS) > 1e-9*tight.StepS {
		t.Errorf("budget 2048: the layers' times add up to %g s, the step is %g s", sum, tight.StepS)
	}

	c := Config{Model: m, Accelerators: 1, Phase: Decode, Batch: 8, Context: 1024, Precision: bf16, MicroBatches: 1, Runtime: Runtime{MaxTokens: 4}}
	var inf *InfeasibleError
	if _, err := e.Run(c); !errors.As(err, &inf) {
		t.Errorf("decode batch 8 under a 4-token budget: %v, want infeasible", err)
	}
	c.Batch = 4
	if r, err := e.Run(c); err != nil || r.MaxBatch != 4 {
		t.Errorf("decode batch 4 under a 4-token budget: %v, largest batch %d (want 4)", err, r.MaxBatch)
	}
}

// TestServeChunkedTTFT: in serve, a prompt past the budget beside the
// running sequences is prefilled over several steps, so its first token
// comes later.
func TestServeChunkedTTFT(t *testing.T) {
	e := engine(t, "hgx-h100")
	m := model(t, "llama-3.1-8b")
	ttft := func(budget int) Result {
		r, err := e.Run(Config{Model: m, Accelerators: 1, Phase: Serve, Batch: 16, InputLen: 4096, OutputLen: 256, Precision: bf16, MicroBatches: 1,
			Runtime: Runtime{MaxTokens: budget}})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	loose, tight := ttft(8192), ttft(1024)
	if tight.Chunks < 4 || loose.Chunks != 1 || !(tight.TTFTS > loose.TTFTS) {
		t.Errorf("budget 1024: %d chunks, TTFT %.4g ms; 8192: %d chunks, %.4g ms: want more chunks and a later first token", tight.Chunks, tight.TTFTS*1e3, loose.Chunks, loose.TTFTS*1e3)
	}
}

// TestRuntimeErrors: a runtime's errors name the scenario key.
func TestRuntimeErrors(t *testing.T) {
	e := engine(t, "hgx-h100")
	m := model(t, "llama-3.1-8b")
	for key, rt := range map[string]Runtime{
		"graph_sizes":        {GraphSizes: []int{8, 4}},
		"max_batched_tokens": {MaxTokens: -1},
		"step_overhead":      {SyncS: -1},
	} {
		_, err := e.Run(Config{Model: m, Accelerators: 1, Phase: Decode, Batch: 1, Context: 16, Precision: bf16, Runtime: rt})
		var fe *field.Error
		if !errors.As(err, &fe) || fe.Field != key {
			t.Errorf("%+v: %v, want an error on %s", rt, err, key)
		}
	}
}
