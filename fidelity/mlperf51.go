package fidelity

import (
	"fmt"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/validation"
)

// mlperf51Scenario is one of NVIDIA's MLPerf Inference v5.1 Llama 2 70B
// runs on a DGX B200 (mlcommons/inference_results_v5.1,
// closed/NVIDIA/configs/B200-SXM-180GBx8/{Server,Interactive}/llama2-70b.py):
// eight TP 1 instances of TensorRT-LLM, with the scenario's limits
// (mlcommons/inference loadgen/mlperf.conf).
type mlperf51Scenario struct {
	key string // the case's measured group
	sys mlperfSystem
	lim mlperfLimits
}

var mlperf51Scenarios = []mlperf51Scenario{
	// Server/llama2-70b.py: tensor_parallelism 1, gpu_batch_size 2048,
	// server_target_qps 364, max_num_tokens 3584,
	// kvcache_free_gpu_mem_frac 0.95. mlperf.conf: llama2-70b.Server
	// ttft_latency 2000, tpot_latency 200 (ms).
	{"server", mlperfSystem{preset: "hgx-b200", tp: 1, serverBatch: 2048, serverQPS: 364, maxTokens: 3584, kvFrac: 0.95}, mlperfLimits{2, 0.2}},
	// Interactive/llama2-70b.py: gpu_batch_size 768, server_target_qps
	// 220, max_num_tokens 768, kvcache_free_gpu_mem_frac 0.95.
	// mlperf.conf: llama2-70b-interactive.Server ttft_latency 450,
	// tpot_latency 40 (ms).
	{"interactive", mlperfSystem{preset: "hgx-b200", tp: 1, serverBatch: 768, serverQPS: 220, maxTokens: 768, kvFrac: 0.95}, mlperfLimits{0.45, 0.04}},
}

// mlperf51Precision: NVFP4 weights and GEMMs (precision 'fp4'), FP8 KV
// cache (trtllm_checkpoint_flags kv_cache_dtype 'fp8'), 16-bit
// activations (the configs' FP8 context FMHA aside).
var mlperf51Precision = compute.Precision{Weights: topology.FP4, Activations: topology.FP16, KVCache: topology.FP8}

// mlperf51Requests requests per scenario, the first mlperf51WarmupS
// seconds not counted: a request lives about 294 steps (36 s at the
// server scenario's 123 ms TPOT), so the service is in its steady state
// well before the count starts, and the 140 s counted hold 30,000 to
// 50,000 requests.
const (
	mlperf51WarmupS  = 60
	mlperf51MeasureS = 140
)

// mlperf51Case runs X08: each scenario served request by request
// (mlperfServerRequests) at the load NVIDIA offered, comparing the
// throughput and the mean TPOT that load produces; a scenario whose
// simulated p99 TTFT or TPOT misses MLPerf's limit fails its points.
func mlperf51Case(c *validation.InferenceCase) ([]Row, error) {
	m, err := llm.Load(modelName(c.Model))
	if err != nil {
		return nil, err
	}
	var e *infer.Engine
	var rows []Row
	for _, sc := range mlperf51Scenarios {
		s := sc.sys
		if e == nil {
			t, err := topology.Load(s.preset, 0)
			if err != nil {
				return nil, err
			}
			e = infer.NewEngine(t)
		}
		// assumption: one batch per step, as TensorRT-LLM's in-flight
		// batching runs it (I13's).
		cfg := infer.Config{Model: m, Phase: infer.Serve, InputLen: orcaInputTokens, OutputLen: orcaOutputTokens,
			TP: s.tp, Precision: mlperf51Precision, MicroBatches: 1}
		// One step, for what timed the operators.
		probe := cfg
		probe.Batch = 256
		k, err := e.Run(probe)
		if err != nil {
			return nil, fmt.Errorf("case %s %s step: %w", c.ID, sc.key, err)
		}
		n := int(s.serverQPS * (mlperf51WarmupS + mlperf51MeasureS))
		req, err := mlperfServerRequests(e, cfg, s, sc.lim, n, mlperf51WarmupS)
		if err != nil {
			return nil, fmt.Errorf("case %s %s: %w", c.ID, sc.key, err)
		}
		served, err := mlperfServedRows(c, s.preset, sc.key, sc.key, "", "", req, sc.lim, KernelsLabel(k))
		if err != nil {
			return nil, err
		}
		rows = append(rows, served...)
	}
	return rows, nil
}
