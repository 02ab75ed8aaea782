package infer

import (
	"math"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/topology"
)

var fp8kv = compute.Precision{Weights: topology.FP8, Activations: topology.BF16, KVCache: topology.FP8}

// serveCfg is Llama 2 70B served on two H100s (TP 2) with a short-prompt
// request mix.
func serveCfg(t *testing.T, batch int) Config {
	return Config{Model: model(t, "llama-2-70b"), Accelerators: 2, Phase: Serve, Batch: batch, InputLen: 200, OutputLen: 300,
		TP: 2, Precision: fp8kv, MicroBatches: 1}
}

// TestServeThroughputRisesUntilMemory: output tokens/s rise with the
// batch (weights are read once per step for more sequences) while the
// step grows; past the largest batch that fits, the run is refused.
func TestServeThroughputRisesUntilMemory(t *testing.T) {
	e := engine(t, "hgx-h100")
	var prev Result
	for i, b := range []int{1, 8, 64, 256} {
		r, err := e.Run(serveCfg(t, b))
		if err != nil {
			t.Fatalf("batch %d: %v", b, err)
		}
		if i > 0 && (r.TokensPerS <= prev.TokensPerS || r.StepS <= prev.StepS) {
			t.Errorf("batch %d: %.0f tok/s at %.1f ms step; batch %d: %.0f tok/s at %.1f ms", b, r.TokensPerS, r.StepS*1e3,
				prev.Config.Batch, prev.TokensPerS, prev.StepS*1e3)
		}
		if r.TokensPerStep != float64(2*b) || r.TPOTS != r.StepS || r.TTFTS < 1.5*r.StepS {
			t.Errorf("batch %d: %.0f tokens per step, TPOT %.2f ms, TTFT %.2f ms, step %.2f ms", b, r.TokensPerStep, r.TPOTS*1e3, r.TTFTS*1e3, r.StepS*1e3)
		}
		prev = r
	}
	if prev.MaxBatch <= 256 {
		t.Fatalf("largest batch that fits %d, want more than 256", prev.MaxBatch)
	}
	_, err := e.Run(serveCfg(t, prev.MaxBatch+1))
	if err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("batch %d, past the %d that fit: %v", prev.MaxBatch+1, prev.MaxBatch, err)
	}
	if _, err := e.Run(serveCfg(t, prev.MaxBatch)); err != nil {
		t.Errorf("the largest batch that fits, %d: %v", prev.MaxBatch, err)
	}
}

// TestServeStepCostsAtLeastItsDecode: a mixed step decodes the same
// sequences over the same mean context as a decode step, and prefills
// prompts besides, so it costs at least as much; its extra time is at
// most a prefill of those prompts alone.
func TestServeStepCostsAtLeastItsDecode(t *testing.T) {
	e := engine(t, "hgx-h100")
	for _, b := range []int{1, 16, 128} {
		c := serveCfg(t, b)
		s, err := e.Run(c)
		if err != nil {
			t.Fatal(err)
		}
		d := c
		d.Phase, d.Context, d.InputLen, d.OutputLen = Decode, c.InputLen+c.OutputLen/2, 0, 0
		dr, err := e.Run(d)
		if err != nil {
			t.Fatal(err)
		}
		if s.StepS < dr.StepS {
			t.Errorf("batch %d: mixed step %.2f ms, its decode alone %.2f ms", b, s.StepS*1e3, dr.StepS*1e3)
		}
		// The step's prompts (b/300 per accelerator) prefilled on their own,
		// scaled from a whole prompt per accelerator.
		p := c
		p.Phase, p.Batch = Prefill, 1
		pr, err := e.Run(p)
		if err != nil {
			t.Fatal(err)
		}
		if extra := s.StepS - dr.StepS; extra > pr.StepS*(1+float64(b)/float64(c.OutputLen)) {
			t.Errorf("batch %d: the prompts add %.2f ms, a whole prompt's prefill takes %.2f ms", b, extra*1e3, pr.StepS*1e3)
		}
	}
}

// TestServeDeterministic: the same configuration on fresh engines gives
// identical results.
func TestServeDeterministic(t *testing.T) {
	var first Result
	for i := range 2 {
		r, err := engine(t, "hgx-h100").Run(serveCfg(t, 200))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = r
			continue
		}
		if r.StepS != first.StepS || r.TokensPerS != first.TokensPerS || r.MemoryBytesPerDie != first.MemoryBytesPerDie {
			t.Errorf("run %d: step %v, %v tok/s, %v B; first: %v, %v, %v", i, r.StepS, r.TokensPerS, r.MemoryBytesPerDie,
				first.StepS, first.TokensPerS, first.MemoryBytesPerDie)
		}
	}
}

// TestServeUnderSLO: the TPOT search keeps the step within the limit and
// picks a larger batch for a looser limit.
func TestServeUnderSLO(t *testing.T) {
	e := engine(t, "hgx-h100")
	var prev Result
	for _, slo := range []float64{0.03, 0.06} {
		r, err := e.BestUnderSLO(serveCfg(t, 1), slo)
		if err != nil {
			t.Fatal(err)
		}
		if r.TPOTS > slo || r.Config.Batch <= prev.Config.Batch {
			t.Errorf("limit %.0f ms: batch %d at %.2f ms (previous batch %d)", slo*1e3, r.Config.Batch, r.TPOTS*1e3, prev.Config.Batch)
		}
		prev = r
	}
}

func TestServeErrors(t *testing.T) {
	e := engine(t, "hgx-h100")
	for _, tc := range []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.OutputLen = 0 }, "serve needs at least 1 token of each per request"},
		{func(c *Config) { c.InputLen = 0 }, "serve needs at least 1 token of each per request"},
		{func(c *Config) { c.MTPDraft = 1 }, "has no MTP module"},
		{func(c *Config) { c.Phase = "mixed" }, "serve (continuous batching)"},
	} {
		c := serveCfg(t, 4)
		tc.edit(&c)
		if _, err := e.Run(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

// TestServeMTP: with MTP in the serve phase every running sequence
// verifies its draft tokens in the step and yields the accepted ones: TPOT
// is the step over the tokens accepted per step, output tokens/s per step
// scale by them, requests finish (and prompts arrive) that much faster,
// and without drafts the step is the plain serve step.
func TestServeMTP(t *testing.T) {
	e := engine(t, "gb200-nvl72")
	c := Config{Model: model(t, "deepseek-r1"), Phase: Serve, Batch: 32, InputLen: 1024, OutputLen: 512,
		Precision: fp8kv, MicroBatches: 1}
	c.Precision.Weights = topology.FP8
	plain, err := e.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	c.MTPDraft, c.MTPAccept = 1, 0.7
	mtp, err := e.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(mtp.TPOTS-mtp.StepS/1.7) > 1e-12*mtp.StepS || math.Abs(mtp.TokensPerSPerUser-1.7/mtp.StepS) > 1e-9*mtp.TokensPerSPerUser {
		t.Errorf("TPOT %g s over a %g s step, %g tokens/s per user: want step / 1.7 accepted", mtp.TPOTS, mtp.StepS, mtp.TokensPerSPerUser)
	}
	if mtp.StepS <= plain.StepS || mtp.TPOTS >= plain.TPOTS || mtp.TokensPerS <= plain.TokensPerS {
		t.Errorf("MTP: step %g s (plain %g), TPOT %g (plain %g), %g tokens/s (plain %g): want a longer step, shorter TPOT, more tokens/s",
			mtp.StepS, plain.StepS, mtp.TPOTS, plain.TPOTS, mtp.TokensPerS, plain.TokensPerS)
	}
}

// TestServeTTFTAtLeastThePrompt: a request's prompt arrives whole, so at
// low load its first token waits for a step that prefills all of it:
// TTFT is at least half a step of waiting plus a prefill of that one
// prompt alone (issue #13: it was below the prompt's own GEMMs).
func TestServeTTFTAtLeastThePrompt(t *testing.T) {
	e := engine(t, "hgx-h200")
	c := Config{Model: model(t, "llama-3.1-70b"), Phase: Serve, Batch: 1, InputLen: 1024, OutputLen: 256, TP: 8, MicroBatches: 1, Precision: fp8kv}
	r, err := e.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	p := c
	p.Phase, p.Accelerators, p.OutputLen = Prefill, 8, 0
	// One prompt over the 8 GPUs: batch 1 per accelerator is 8 prompts
	// at TP8, so run the prefill of one as a batch of 1 sequence.
	p.Batch = 1
	pre, err := e.Run(p)
	if err != nil {
		t.Fatal(err)
	}
	// 8 prompts prefilled at once take at most 8x one; one takes at least
	// the GEMMs of one: a lower bound of an eighth is loose but sure.
	if r.TTFTS < r.StepS/2+pre.TTFTS/8 {
		t.Errorf("TTFT %.2f ms, below half a step %.2f ms plus an eighth of an 8-prompt prefill %.2f ms", r.TTFTS*1e3, r.StepS/2*1e3, pre.TTFTS*1e3)
	}
	t.Logf("serve batch 1: step %.2f ms, TTFT %.2f ms; an 8-prompt prefill %.2f ms", r.StepS*1e3, r.TTFTS*1e3, pre.TTFTS*1e3)
}
