package serve

import (
	"math"
	"testing"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/topology"
)

var fp8 = compute.Precision{Weights: topology.FP8, Activations: topology.BF16, KVCache: topology.FP8}

func engine(t testing.TB, topo string, domains int) *infer.Engine {
	t.Helper()
	top, err := topology.Load(topo, domains)
	if err != nil {
		t.Fatal(err)
	}
	return infer.NewEngine(top)
}

func model(t testing.TB, name string) *llm.Model {
	t.Helper()
	m, err := llm.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// llama70 is Llama 3.1 70B on one HGX H100 at TP8.
func llama70(t testing.TB) Config {
	return Config{Engine: engine(t, "hgx-h100", 0),
		Instance: infer.Config{Model: model(t, "llama-3.1-70b"), Accelerators: 8, TP: 8, Precision: fp8, MicroBatches: 1}}
}

func traffic(rate float64, n, in, out int) []Request {
	reqs, err := Traffic{Rate: rate, Requests: n, Input: Lengths{Mean: float64(in)}, Output: Lengths{Mean: float64(out)}, Seed: 1}.Generate()
	if err != nil {
		panic(err)
	}
	return reqs
}

// TestMD1: one sequence at a time, one token each, a fixed prompt: every
// request is one step of fixed length S, so the queue is M/D/1, whose
// mean wait is rho S / (2 (1 - rho)) (Pollaczek-Khinchine): within 3%
// over 400,000 requests (the sample mean's own spread at rho 0.8).
func TestMD1(t *testing.T) {
	cfg := llama70(t)
	cfg.Settings = Settings{MaxSeqs: 1, MaxBatchedTokens: 4096, BlockSize: 16}
	// The service time: one request alone.
	one, err := Run(cfg, traffic(1, 1, 1024, 1))
	if err != nil {
		t.Fatal(err)
	}
	s := one.TTFT.Mean
	for _, rho := range []float64{0.5, 0.8} {
		res, err := Run(cfg, traffic(rho/s, 400000, 1024, 1))
		if err != nil {
			t.Fatal(err)
		}
		want := rho * s / (2 * (1 - rho))
		t.Logf("rho %.1f: mean wait %.3f ms, M/D/1 %.3f ms", rho, res.Queue.Mean*1e3, want*1e3)
		if got := res.Queue.Mean; math.Abs(got/want-1) > 0.03 {
			t.Errorf("rho %.1f: mean wait %.3f ms, M/D/1 says %.3f ms (service %.3f ms)", rho, got*1e3, want*1e3, s*1e3)
		}
		if math.Abs(res.TTFT.Mean-res.Queue.Mean-s) > 1e-9 {
			t.Errorf("rho %.1f: TTFT %.6f s is not wait %.6f s + service %.6f s", rho, res.TTFT.Mean, res.Queue.Mean, s)
		}
	}
}

// TestDeterministic: the same input gives the same result, bit for bit.
func TestDeterministic(t *testing.T) {
	reqs := traffic(20, 500, 700, 150)
	a, err := Run(llama70(t), reqs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(llama70(t), reqs)
	if err != nil {
		t.Fatal(err)
	}
	if a.TTFT != b.TTFT || a.TPOT != b.TPOT || a.EnergyJ != b.EnergyJ || a.Steps != b.Steps {
		t.Errorf("two runs differ: %+v\n%+v", a.TTFT, b.TTFT)
	}
}

// TestLoadRaisesLatency: more load, more throughput and longer latency,
// until the instance saturates.
func TestLoadRaisesLatency(t *testing.T) {
	cfg := llama70(t)
	var prev Result
	for i, rate := range []float64{1, 4, 16} {
		res, err := Run(cfg, traffic(rate, 600, 1000, 200))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("rate %g: %.1f req/s, %.0f tok/s, TTFT p50 %.0f ms p99 %.0f ms, TPOT p50 %.1f ms p99 %.1f ms, KV %.0f%%, %d steps, %d engine runs",
			rate, res.RequestsPerS, res.OutputTokensPerS, res.TTFT.P50*1e3, res.TTFT.P99*1e3, res.TPOT.P50*1e3, res.TPOT.P99*1e3, 100*res.KVUseMean, res.Steps, res.EngineRuns)
		if res.Requests != 600 {
			t.Errorf("rate %g: %d requests counted", rate, res.Requests)
		}
		if i > 0 && (res.OutputTokensPerS <= prev.OutputTokensPerS || res.TPOT.P50 <= prev.TPOT.P50) {
			t.Errorf("rate %g: %.0f tok/s, TPOT %.2f ms; rate before: %.0f tok/s, TPOT %.2f ms", rate, res.OutputTokensPerS, res.TPOT.P50*1e3, prev.OutputTokensPerS, prev.TPOT.P50*1e3)
		}
		prev = res
	}
}

// TestTTFTAboveComputeBound: a lone request's TTFT is at least its
// prompt's prefill (issue #13: the steady-state serve phase said less).
func TestTTFTAboveComputeBound(t *testing.T) {
	cfg := llama70(t)
	res, err := Run(cfg, traffic(0.1, 5, 1024, 16))
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Instance
	c.Phase, c.Batch, c.InputLen = infer.Prefill, 1, 1024
	c.Accelerators = 8
	c.Batch = 1
	pre, err := cfg.Engine.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	// Prefill batch 1 per accelerator is 8 prompts; one prompt alone
	// costs at least an eighth of it.
	if res.TTFT.P50 < pre.TTFTS/8 {
		t.Errorf("TTFT %.2f ms, below an eighth of an 8-prompt prefill %.2f ms", res.TTFT.P50*1e3, pre.TTFTS*1e3)
	}
}
