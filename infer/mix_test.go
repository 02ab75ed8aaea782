package infer

import (
	"math"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/topology"
)

// TestMixMatchesServe: the steady-state serve step is a composition
// (every running sequence decoding over the mean context, and the prompts
// of the ones that finish), so a Mix of exactly that composition is the
// same step, bit for bit, where its counts are whole.
func TestMixMatchesServe(t *testing.T) {
	for _, tc := range []struct {
		topo, model string
		acc, batch  int
		tp          int
		mtp         int
	}{
		{"hgx-h100", "llama-2-70b", 2, 150, 2, 0},
		{"hgx-h100", "llama-3.1-8b", 8, 75, 1, 0},
		{"gb200-nvl72", "deepseek-r1", 72, 25, 1, 1},
	} {
		e := engine(t, tc.topo)
		e.ExactMix = true // the serve step simulates its collectives at its own sizes
		c := Config{Model: model(t, tc.model), Accelerators: tc.acc, Phase: Serve, Batch: tc.batch, InputLen: 200, OutputLen: 300,
			TP: tc.tp, Precision: fp8kv, MicroBatches: 1, MTPDraft: tc.mtp}
		if tc.mtp > 0 {
			// Acceptance 0 makes every request's prompts whole: one token per step.
			c.MTPAccept = 0
		}
		s, err := e.Run(c)
		if err != nil {
			t.Fatalf("%s %s: %v", tc.topo, tc.model, err)
		}
		seqs := tc.batch * tc.acc
		m := c
		m.Batch, m.InputLen, m.OutputLen = 0, 0, 0
		m.Mix = Mix{Decode: seqs, DecodeContext: ServeContext(c), Prefill: seqs * 200 / 300, PrefillSeqs: seqs / 300, PrefillContext: 100}
		r, err := e.Run(m)
		if err != nil {
			t.Fatalf("%s %s mix: %v", tc.topo, tc.model, err)
		}
		if r.StepS != s.StepS || r.ComputeS != s.ComputeS || r.Energy != s.Energy || r.TokensPerStep != s.TokensPerStep {
			t.Errorf("%s %s: mix step %.6g s (compute %.6g, %g tokens), serve %.6g s (compute %.6g, %g tokens)", tc.topo, tc.model,
				r.StepS, r.ComputeS, r.TokensPerStep, s.StepS, s.ComputeS, s.TokensPerStep)
		}
	}
}

// TestMixGrowsWithItsParts: more decoding sequences, longer contexts or
// more prompt tokens never make a step shorter.
func TestMixGrowsWithItsParts(t *testing.T) {
	e := engine(t, "hgx-h100")
	base := Config{Model: model(t, "llama-3.1-70b"), Accelerators: 8, Phase: Serve, TP: 8, Precision: fp8kv, MicroBatches: 1}
	run := func(mx Mix) float64 {
		c := base
		c.Mix = mx
		r, err := e.Run(c)
		if err != nil {
			t.Fatalf("%+v: %v", mx, err)
		}
		return r.StepS
	}
	ref := Mix{Decode: 32, DecodeContext: 2048, Prefill: 512, PrefillSeqs: 1, PrefillContext: 256}
	t0 := run(ref)
	for _, mx := range []Mix{
		{Decode: 64, DecodeContext: 2048, Prefill: 512, PrefillSeqs: 1, PrefillContext: 256},
		{Decode: 32, DecodeContext: 8192, Prefill: 512, PrefillSeqs: 1, PrefillContext: 256},
		{Decode: 32, DecodeContext: 2048, Prefill: 4096, PrefillSeqs: 1, PrefillContext: 2048},
	} {
		if tm := run(mx); tm <= t0 {
			t.Errorf("%+v: %.3f ms, not more than %+v's %.3f ms", mx, tm*1e3, ref, t0*1e3)
		}
	}
}

// TestKVCapacity: the cache is what the HBM leaves after weights and a
// step's activations, in tokens; a plan whose weights do not fit is
// infeasible, and capacity grows with the HBM share.
func TestKVCapacity(t *testing.T) {
	e := engine(t, "hgx-h100")
	c := Config{Model: model(t, "llama-3.1-70b"), Accelerators: 8, TP: 8, Precision: compute.Precision{Weights: topology.FP8, Activations: topology.BF16, KVCache: topology.FP8}}
	full, err := e.KVCapacity(c, 8192)
	if err != nil {
		t.Fatal(err)
	}
	// 8 x 80 GB less 70 GB of FP8 weights, at 160 kB per token (80 layers,
	// 8 KV heads of 128, K and V, 1 byte): about 3.5 M tokens.
	if full < 3.0e6 || full > 4.0e6 {
		t.Errorf("capacity %.3g tokens, want about 3.5 M", full)
	}
	c.HBMFraction = 0.9
	if part, _ := e.KVCapacity(c, 8192); part >= full {
		t.Errorf("capacity at 90%% HBM %.3g, at all of it %.3g", part, full)
	}
	c.Accelerators, c.TP = 1, 1
	c.Precision.Weights = topology.BF16
	if _, err := e.KVCapacity(c, 8192); err == nil {
		t.Error("70B in BF16 on one 80 GB H100 with room for KV: no error")
	}
}

// TestMixOctaves bounds the error of pricing a Mix's collectives between
// the powers of two around its token counts, against simulating them at
// the counts themselves: within 3% of the step on the fabrics where
// communication weighs most (EP over a whole NVL72, TP8 on HGX).
func TestMixOctaves(t *testing.T) {
	for _, tc := range []struct {
		topo, model string
		acc, tp     int
	}{
		{"gb200-nvl72", "deepseek-r1", 72, 1},
		{"hgx-h100", "llama-3.1-70b", 8, 8},
	} {
		fast, exact := engine(t, tc.topo), engine(t, tc.topo)
		exact.ExactMix = true
		worst := 0.0
		for _, d := range []int{3, 100, 777, 3000} {
			for _, p := range []int{0, 300, 5000} {
				c := Config{Model: model(t, tc.model), Accelerators: tc.acc, Phase: Serve, TP: tc.tp, Precision: fp8kv, MicroBatches: 1,
					Mix: Mix{Decode: d, DecodeContext: 3000, Prefill: p, PrefillSeqs: min(p, 2), PrefillContext: 700}}
				a, err := fast.Run(c)
				if err != nil {
					t.Fatal(err)
				}
				b, err := exact.Run(c)
				if err != nil {
					t.Fatal(err)
				}
				e := math.Abs(a.StepS/b.StepS - 1)
				worst = math.Max(worst, e)
				if e > 0.03 {
					t.Errorf("%s %+v: interpolated %.4f ms, exact %.4f ms (%.1f%%)", tc.topo, c.Mix, a.StepS*1e3, b.StepS*1e3, 100*e)
				}
			}
		}
		t.Logf("%s: worst %.2f%%", tc.topo, 100*worst)
	}
}

// TestMixBusiestReplica: with attention data parallelism one prompt runs
// on one replica, so a step whose busiest replica holds the whole prompt
// is longer than one that spreads it evenly, and no shorter than the
// same prompt's tokens on every replica would make it.
func TestMixBusiestReplica(t *testing.T) {
	e := engine(t, "gb200-nvl72")
	c := Config{Model: model(t, "deepseek-r1"), Accelerators: 72, Phase: Serve, Precision: fp8kv, MicroBatches: 1}
	run := func(mx Mix) float64 {
		cc := c
		cc.Mix = mx
		r, err := e.Run(cc)
		if err != nil {
			t.Fatal(err)
		}
		return r.StepS
	}
	even := run(Mix{Decode: 720, DecodeContext: 2000, Prefill: 4000, PrefillSeqs: 1, PrefillContext: 2000})
	one := run(Mix{Decode: 720, DecodeContext: 2000, Prefill: 4000, PrefillSeqs: 1, PrefillContext: 2000, RankDecode: 10, RankPrefill: 4000})
	if one <= 1.5*even {
		t.Errorf("a 4000-token prompt on one replica: %.2f ms; spread over 72: %.2f ms", one*1e3, even*1e3)
	}
	if _, err := e.Run(Config{Model: c.Model, Accelerators: 72, Phase: Serve, Precision: fp8kv, MicroBatches: 1,
		Mix: Mix{Decode: 10, DecodeContext: 10, RankDecode: 11}}); err == nil {
		t.Error("a busiest replica with more sequences than the step: no error")
	}
}

// TestPerModuleDtypes: NVFP4 experts hold less memory and make a
// memory-bound MoE decode step shorter than FP8 ones; a BF16 dispatch
// payload moves more bytes, so the step is longer than with the 8-bit
// default; FP8 attention weights beside BF16 weights shrink memory.
func TestPerModuleDtypes(t *testing.T) {
	e := engine(t, "gb200-nvl72")
	base := Config{Model: model(t, "deepseek-r1"), Accelerators: 72, Phase: Decode, Batch: 64, Context: 4096, MicroBatches: 1,
		Precision: compute.Precision{Weights: topology.FP8, Activations: topology.BF16, KVCache: topology.BF16}}
	run := func(mod func(*compute.Precision)) Result {
		c := base
		mod(&c.Precision)
		r, err := e.Run(c)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	fp8 := run(func(*compute.Precision) {})
	fp4 := run(func(p *compute.Precision) { p.Experts = compute.Override{Set: true, Dtype: topology.FP4} })
	bf16d := run(func(p *compute.Precision) { p.Dispatch = compute.Override{Set: true, Dtype: topology.BF16} })
	if fp4.Memory.Weights >= fp8.Memory.Weights || fp4.StepS >= fp8.StepS {
		t.Errorf("FP4 experts: %.1f GB, %.2f ms; FP8: %.1f GB, %.2f ms", fp4.Memory.Weights/1e9, fp4.StepS*1e3, fp8.Memory.Weights/1e9, fp8.StepS*1e3)
	}
	if bf16d.StepS <= fp8.StepS || bf16d.Memory != fp8.Memory {
		t.Errorf("BF16 dispatch: %.2f ms, FP8 weights' 8-bit dispatch %.2f ms", bf16d.StepS*1e3, fp8.StepS*1e3)
	}
	bf := base
	bf.Precision.Weights = topology.BF16
	b, err := e.Run(bf)
	if err != nil {
		t.Fatal(err)
	}
	bf.Precision.Attention = compute.Override{Set: true, Dtype: topology.FP8}
	a, err := e.Run(bf)
	if err != nil {
		t.Fatal(err)
	}
	if a.Memory.Weights >= b.Memory.Weights {
		t.Errorf("FP8 attention in BF16 weights: %.1f GB, all BF16 %.1f GB", a.Memory.Weights/1e9, b.Memory.Weights/1e9)
	}
}

// TestEngineCap: an engine's cap on running sequences per replica bounds
// the batch and the searches (the largest batch that fits is at most
// it), and a batch past it is infeasible, naming the cap.
func TestEngineCap(t *testing.T) {
	e := engine(t, "hgx-h100")
	c := Config{Model: model(t, "llama-3.1-8b"), Phase: Decode, Context: 1024, TP: 8, MicroBatches: 1, Precision: fp8kv, MaxSeqs: 100}
	best, err := e.BestUnderSLO(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	// One TP8 replica on 8 GPUs: 100 sequences are 12 per accelerator.
	if best.Config.Batch != 12 || best.MaxBatch != 12 {
		t.Errorf("best batch %d, largest %d; want 12 under a cap of 100 per replica", best.Config.Batch, best.MaxBatch)
	}
	c.Batch = 13
	if _, err := e.Run(c); err == nil || !strings.Contains(err.Error(), "runs at most 100 (max_seqs)") {
		t.Errorf("batch 13 past the cap: %v", err)
	}
}

// TestConcurrency: sequences in flight over the instance, not per
// accelerator. Fewer than the data-parallel replicas leave replicas idle
// (a step no faster, less power), the busiest replica sets the step once
// they do not share out evenly, and TP8 at a concurrency of 4 is four
// sequences on one replica.
func TestConcurrency(t *testing.T) {
	e := engine(t, "hgx-h100")
	run := func(tp, conc int) Result {
		c := Config{Model: model(t, "llama-3.1-8b"), Phase: Decode, Context: 2048, TP: tp, MicroBatches: 1, Precision: fp8kv, Concurrency: conc}
		r, err := e.Run(c)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	one, eight, nine := run(1, 1), run(1, 8), run(1, 9)
	if one.StepS != eight.StepS || one.PowerW >= eight.PowerW || one.TokensPerS*8 != eight.TokensPerS {
		t.Errorf("1 and 8 sequences on 8 replicas: steps %.3f and %.3f ms, power %.0f and %.0f W, %.0f and %.0f tok/s",
			one.StepS*1e3, eight.StepS*1e3, one.PowerW, eight.PowerW, one.TokensPerS, eight.TokensPerS)
	}
	if nine.StepS <= eight.StepS {
		t.Errorf("9 sequences on 8 replicas: step %.3f ms, not longer than 8's %.3f ms (one replica holds two)", nine.StepS*1e3, eight.StepS*1e3)
	}
	tp8 := run(8, 4)
	b := Config{Model: model(t, "llama-3.1-8b"), Phase: Decode, Context: 2048, TP: 8, MicroBatches: 1, Precision: fp8kv, Batch: 1}
	// Batch 1 per accelerator at TP8 is 8 sequences on the one replica.
	b8, err := e.Run(b)
	if err != nil {
		t.Fatal(err)
	}
	if tp8.TokensPerStep != 4 || tp8.StepS > b8.StepS {
		t.Errorf("TP8 at concurrency 4: %g tokens a step in %.3f ms; batch 1 (8 sequences) %.3f ms", tp8.TokensPerStep, tp8.StepS*1e3, b8.StepS*1e3)
	}
}
