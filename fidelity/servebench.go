package fidelity

import (
	"fmt"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/serve"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/validation"
)

// ShareGPT's request mix as sglang.bench_serving draws it (the first two
// turns of a conversation, prompts of 4 to 1,024 tokens and prompt plus
// output at most 2,048, Llama 3's tokenizer):
const (
	// assumption (from a published run): mean prompt 226.8 tokens,
	// sgl-project/sglang issue 1639 (zhyncs, 2024-10-17: 2,000 ShareGPT
	// prompts, "Total input tokens: 453502"); other runs of the same
	// sampler agree within 2% (sglang issue 2805: 369,103 over 1,648,
	// 224.0; vllm pull request 18566: 229,711 over 1,000).
	shareGPTInputTokens = 227
	// mean output 194.4 tokens: the same README's offline run of 5,000
	// prompts, 3,856.01 output tokens/s over 19.84 requests/s.
	shareGPTOutputTokens = 194
)

// benchRun is one online run of SGLang v0.3.0's benchmark against vLLM
// v0.6.0 (sgl-project/sglang benchmark/benchmark_vllm_060/README.md,
// "Online benchmark results"): `sglang.bench_serving --dataset-name
// sharegpt --num-prompts N --request-rate R` against one SGLang server.
// The README's Llama 3.1 8B runs on A100 are left out: A100 has no
// measured kernel tables, and two runs of one deployment at two loads
// are the comparison wanted.
type benchRun struct {
	key     string // the case's measured group: "70b_rps4"
	preset  string
	model   string
	tp      int
	rate    float64 // requests/s, Poisson (bench_serving's default)
	prompts int
	// memFrac is SGLang's mem_fraction_static, the share of each GPU's
	// memory for the weights and the KV pool (the README: 0.85 at TP 4,
	// SGLang v0.3.0's default, which the online runs keep).
	memFrac float64
}

var benchRuns = []benchRun{
	// "Llama 3.1 70B Instruct 4 x H100 80G": launch_server --tp 4
	// --disable-radix-cache, BF16; RPS 4 with 1,200 prompts and RPS 8 with
	// 2,400.
	{"70b_rps4", "hgx-h100", "llama-3.1-70b", 4, 4, 1200, 0.85},
	{"70b_rps8", "hgx-h100", "llama-3.1-70b", 4, 8, 2400, 0.85},
}

// bf16 is the runs' precision: the models as published, BF16 weights,
// activations and KV cache (no quantization flag).
var bf16 = compute.Precision{Weights: topology.BF16, Activations: topology.BF16, KVCache: topology.BF16}

// serveBenchCase runs X11: each of the README's online runs served
// request by request (package serve) on one SGLang instance of its TP,
// with SGLang's scheduler defaults (serve's sglang engine: chunked
// prefill of 8,192 tokens under 160 GB, page size 1) and no prefix cache,
// Poisson arrivals at the run's rate for its prompt count, every request
// counted as bench_serving counts them; it compares the median TPOT and
// median TTFT. The step's engine cost is serve's sglang runtime without
// the overlap scheduler; kernels SGLang's measured GEMM tables on H100
// (as I03). assumption: ShareGPT's mean lengths
// for every request (the medians of a spread of lengths are near the
// means' for TPOT, below them for TTFT).
func serveBenchCase(c *validation.InferenceCase) ([]Row, error) {
	engines := map[string]*infer.Engine{}
	var rows []Row
	for _, b := range benchRuns {
		m, err := llm.Load(b.model)
		if err != nil {
			return nil, err
		}
		e := engines[b.preset]
		if e == nil {
			t, err := topology.Load(b.preset, 0)
			if err != nil {
				return nil, err
			}
			e = infer.NewEngine(t)
			engines[b.preset] = e
		}
		inst := infer.Config{Model: m, Accelerators: b.tp, TP: b.tp, Precision: bf16, HBMFraction: b.memFrac, Kernels: infer.KernelsSGLang}
		st, err := serve.EngineDefaults("sglang", e.Topo.Accels[0].Spec.HBMBytes, 0, m.MaxContext)
		if err != nil {
			return nil, err
		}
		// The running cap follows the KV pool (serve sizes it); --disable-radix-cache.
		st.MaxSeqs, st.NoPrefixCache = 0, true
		rt, err := serve.EngineRuntime("sglang", compute.PerDie(e.Topo.Accels[0].Spec).HBMBytes, serve.Replica{TP: b.tp, Layers: m.Layers})
		if err != nil {
			return nil, err
		}
		// SGLang v0.3.0 predates its overlap scheduler ("Zero-overhead
		// batch scheduler", new in v0.4: lmsys.org/blog/2024-12-04-sglang-v0-4):
		// its host's work runs between the GPU's steps.
		rt.Overlap = false
		inst.Runtime = rt
		traffic := serve.Traffic{Rate: b.rate, Requests: b.prompts, Input: serve.Lengths{Mean: shareGPTInputTokens},
			Output: serve.Lengths{Mean: shareGPTOutputTokens}, Seed: 1}
		reqs, err := traffic.Generate()
		if err != nil {
			return nil, err
		}
		res, err := serve.Run(serve.Config{Engine: e, Instance: inst, Settings: st}, reqs)
		if err != nil {
			return nil, fmt.Errorf("case %s %s: %w", c.ID, b.key, err)
		}
		probe := inst
		probe.Phase, probe.Batch, probe.InputLen, probe.OutputLen = infer.Serve, 8, shareGPTInputTokens, shareGPTOutputTokens
		k, err := e.Run(probe)
		if err != nil {
			return nil, fmt.Errorf("case %s %s step: %w", c.ID, b.key, err)
		}
		for _, p := range []struct {
			label, key string
			v          float64
		}{
			{"median TPOT", "median_tpot_ms", res.TPOT.P50 * 1e3},
			{"median TTFT", "median_ttft_ms", res.TTFT.P50 * 1e3},
		} {
			want, ok := c.Measured.Get(b.key, p.key)
			if !ok {
				return nil, fmt.Errorf("case %s has no measured %s %s", c.ID, b.key, p.key)
			}
			row := Row{Case: c.ID, Preset: b.preset, Point: b.key + " " + p.label, Unit: "ms", Measured: want,
				Simulated: p.v, Tolerance: c.Tolerance.For(0), Kernels: KernelsLabel(k)}
			pass(&row)
			rows = append(rows, row)
		}
	}
	return rows, nil
}
