package fidelity

import (
	"fmt"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/validation"
)

// mlperfLongScenario is one of NVIDIA's MLPerf Inference v5.1 runs of a
// long-request benchmark (mlcommons/inference_results_v5.1,
// closed/NVIDIA/configs/B200-SXM-180GBx8/<scenario>/<benchmark>.py), run
// at its offered load with the benchmark's request mix (mlperfmix.go).
type mlperfLongScenario struct {
	key string // the case's measured group
	sys mlperfSystem
	lim mlperfLimits
	// tp and ep are the instance's parallelism (infer.Config's; TP 1 is
	// attention DP over the instance's GPUs).
	tp, ep int
	mix    []mlperfPair
	// warmupS, measureS: the steady window [warmupS, warmupS+measureS],
	// and tailS of arrivals after it, so the window's queries finish
	// under the same load (a query of the longest stratum lives about
	// tailS).
	warmupS, measureS, tailS float64
}

// The Llama 3.1 405B runs: two TP 4 instances of TensorRT-LLM on the DGX
// B200's 8 GPUs, NVFP4, FP8 KV cache, chunked prefill, no CUDA graphs
// (use_graphs False). A query lives about 70 s (the Server run's mean
// latency, 67.6 s), the longest stratum's about 100 s.
var llama405Scenarios = []mlperfLongScenario{
	// Server/llama3_1-405b.py: tensor_parallelism 4, gpu_batch_size 256,
	// server_target_qps 1.9, max_num_tokens 2048,
	// kvcache_free_gpu_mem_frac 0.95. loadgen/mlperf.conf:
	// llama3_1-405b.Server ttft_latency 6000, tpot_latency 175 (ms).
	{key: "server", sys: mlperfSystem{preset: "hgx-b200", tp: 4, serverBatch: 256, serverQPS: 1.9, maxTokens: 2048, kvFrac: 0.95},
		lim: mlperfLimits{6, 0.175}, tp: 4, mix: llama405Mix, warmupS: 150, measureS: 600, tailS: 120},
	// Interactive/llama3_1-405b.py: gpu_batch_size 256, server_target_qps
	// 1.15, runtime max_num_tokens 1536. mlperf.conf:
	// llama3_1-405b-interactive.Server ttft_latency 4500, tpot_latency 80.
	{key: "interactive", sys: mlperfSystem{preset: "hgx-b200", tp: 4, serverBatch: 256, serverQPS: 1.15, maxTokens: 1536, kvFrac: 0.95},
		lim: mlperfLimits{4.5, 0.08}, tp: 4, mix: llama405Mix, warmupS: 120, measureS: 600, tailS: 90},
}

// mlperf405Case runs X09: MLPerf v5.1 Llama 3.1 405B on a DGX B200.
func mlperf405Case(c *validation.InferenceCase) ([]Row, error) {
	return mlperfLongCase(c, llama405Scenarios)
}

// mlperfLongCase serves each scenario request by request (mlperfServe)
// at the load NVIDIA offered, with the benchmark's strata drawn as
// loadgen draws its samples, and compares the steady state's output
// tokens per second and mean TPOT (mlperfSteady) with the run's; a
// scenario whose simulated p99 TTFT or TPOT misses MLPerf's limit fails
// its points (mlperfServedRows).
func mlperfLongCase(c *validation.InferenceCase, scenarios []mlperfLongScenario) ([]Row, error) {
	m, err := llm.Load(modelName(c.Model))
	if err != nil {
		return nil, err
	}
	var e *infer.Engine
	var rows []Row
	for _, sc := range scenarios {
		if e == nil {
			t, err := topology.Load(sc.sys.preset, 0)
			if err != nil {
				return nil, err
			}
			e = infer.NewEngine(t)
		}
		// assumption: one batch per step, as TensorRT-LLM's in-flight
		// batching runs it (I13's).
		cfg := infer.Config{Model: m, Phase: infer.Serve, TP: sc.tp, EP: sc.ep, Precision: mlperf51Precision, MicroBatches: 1}
		// One step, for what timed the operators.
		probe := cfg
		probe.Accelerators, probe.Batch, probe.InputLen, probe.OutputLen = max(sc.sys.accels, sc.sys.tp), 64, 1024, 1024
		k, err := e.Run(probe)
		if err != nil {
			return nil, fmt.Errorf("case %s %s step: %w", c.ID, sc.key, err)
		}
		reqs, err := mlperfMixRequests(sc.mix, sc.sys.serverQPS, sc.warmupS+sc.measureS+sc.tailS, 1)
		if err != nil {
			return nil, err
		}
		res, err := mlperfServe(e, cfg, sc.sys, sc.lim, reqs, sc.warmupS, true)
		if err != nil {
			return nil, fmt.Errorf("case %s %s: %w", c.ID, sc.key, err)
		}
		st, err := mlperfSteady(res, sc.warmupS, sc.warmupS+sc.measureS)
		if err != nil {
			return nil, fmt.Errorf("case %s %s: %w", c.ID, sc.key, err)
		}
		served, err := mlperfServedRows(c, sc.sys.preset, sc.key, sc.key, "", "", st, sc.lim, KernelsLabel(k))
		if err != nil {
			return nil, err
		}
		rows = append(rows, served...)
	}
	return rows, nil
}
