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

// MLPerf Inference's Llama 2 70B request mix: the 24,576 OpenOrca samples.
const (
	// Mean prompt tokens, 222.33: tok_input_length over all 24,576 rows
	// of openshift-psap/performance-dashboard
	// mlperf-data/summaries/llama2-70b-99.csv, a per-sample extract of
	// open_orca_gpt4_tokenized_llama.sampled_24576.pkl (MLCommons
	// publishes no mean; the rows are the data set's count).
	orcaInputTokens = 222
	// mlcommons/inference language/llama2-70b/README.md: "Tokens per
	// sample: 294.45" (the reference's mean output), rounded.
	orcaOutputTokens = 294
)

// mlperfTPOTLimit and mlperfTTFTLimit are the server scenario's latency
// limits (validation case I13's setup: TTFT <= 2 s, TPOT <= 200 ms).
const mlperfTPOTLimit, mlperfTTFTLimit = 0.2, 2.0

// mlperfSystem is NVIDIA's MLPerf Inference v4.1 configuration of one
// 8-GPU node (mlcommons/inference_results_v4.1,
// closed/NVIDIA/configs/llama2-70b/{Offline,Server}/__init__.py): TP
// instances of TensorRT-LLM over the 8 GPUs, with gpu_batch_size the most
// sequences one instance keeps in flight.
type mlperfSystem struct {
	preset                    string
	tp                        int
	offlineBatch, serverBatch int // per instance
	// serverQPS is the Poisson load NVIDIA's server run offered the
	// node (server_target_qps).
	serverQPS float64
	// maxTokens is max_num_tokens, the tokens a step takes (0: the trtllm
	// engine's default), and kvFrac kvcache_free_gpu_mem_frac (0: 0.90).
	maxTokens int
	kvFrac    float64
	// accels is an instance's accelerators (0: tp); data-parallel ranks
	// fill what TP leaves (attention DP with TP 1).
	accels int
	// graphs, when set, are the decode batch sizes per rank a run of
	// TensorRT-LLM's PyTorch backend captured as CUDA graphs, padded
	// (cuda_graph_batch_sizes, cuda_graph_padding_enabled): the run has
	// serve's trtllm runtime (its overlap scheduler and host work) with
	// these graphs. None: the run's engine cost is not counted.
	graphs []int
}

var mlperfSystems = []mlperfSystem{
	// Offline/__init__.py H100_SXM_80GB_TP2x4: tensor_parallelism 2 (4
	// instances), gpu_batch_size 896; Server/__init__.py
	// H100_SXM_80GB_TP2x4 (from TP2x1): gpu_batch_size 1024.
	// Server/__init__.py H100_SXM_80GB_TP2x4: server_target_qps 75.
	{preset: "hgx-h100", tp: 2, offlineBatch: 896, serverBatch: 1024, serverQPS: 75},
	// Offline/__init__.py H200_SXM_141GBx8 (from H200_SXM_141GBx1):
	// tensor_parallelism 1 (8 instances), gpu_batch_size 806;
	// Server/__init__.py H200_SXM_141GBx8: gpu_batch_size 896.
	// Server/__init__.py H200_SXM_141GBx8: server_target_qps 102.5.
	{preset: "hgx-h200", tp: 1, offlineBatch: 806, serverBatch: 896, serverQPS: 102.5},
}

// mlperfPrecision: FP8 weights and GEMMs (use_fp8 = True in both configs),
// FP8 KV cache (NVIDIA's llama2-70b README quantizes with
// --qformat=fp8 --kv_cache_dtype=fp8, as HPE's v4.1 copy of those steps
// and TensorRT-LLM's MLPerf test record), 16-bit activations (precision =
// "fp16" in the configs).
var mlperfPrecision = compute.Precision{Weights: topology.FP8, Activations: topology.FP16, KVCache: topology.FP8}

// mlperfCase runs I13: MLPerf Inference v4.1 closed, Llama 2 70B, on
// each node. Offline is the steady state of TensorRT-LLM's in-flight
// batching (infer.Serve) at NVIDIA's offline batch. Server is served
// request by request (mlperfServerRequests) at the load NVIDIA offered,
// and compares the throughput and the mean TPOT that load produces.
func mlperfCase(c *validation.InferenceCase) ([]Row, error) {
	m, err := llm.Load(modelName(c.Model))
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, s := range mlperfSystems {
		t, err := topology.Load(s.preset, 0)
		if err != nil {
			return nil, err
		}
		e := infer.NewEngine(t)
		// assumption: one batch per step, as TensorRT-LLM's in-flight
		// batching runs it (it has no two-micro-batch overlap of the TP
		// allreduce with the GEMMs), so MicroBatches 1.
		cfg := infer.Config{Model: m, Phase: infer.Serve, InputLen: orcaInputTokens, OutputLen: orcaOutputTokens,
			TP: s.tp, Precision: mlperfPrecision, MicroBatches: 1}
		cfg.Batch = s.offlineBatch / s.tp // per accelerator
		off, err := e.Run(cfg)
		if err != nil {
			return nil, fmt.Errorf("case %s %s offline: %w", c.ID, s.preset, err)
		}
		req, err := mlperfServerRequests(e, cfg, s, mlperfLimits{mlperfTTFTLimit, mlperfTPOTLimit}, mlperfServerRequestsN, mlperfWarmupS)
		if err != nil {
			return nil, fmt.Errorf("case %s %s server (requests): %w", c.ID, s.preset, err)
		}
		served, err := mlperfServedRows(c, s.preset, s.preset, s.preset+" server", " (requests)", "server_", req, mlperfLimits{mlperfTTFTLimit, mlperfTPOTLimit}, KernelsLabel(off))
		if err != nil {
			return nil, err
		}
		rows = append(rows, served...)
		for _, p := range []struct {
			label, key string
			r          infer.Result
		}{{"offline tok/s", "offline_tokens_per_s", off}} {
			want, ok := c.Measured.Get(s.preset, p.key)
			if !ok {
				return nil, fmt.Errorf("case %s has no measured %s %s", c.ID, s.preset, p.key)
			}
			row := Row{Case: c.ID, Preset: s.preset, Point: s.preset + " " + p.label, Unit: "tok/s", Measured: want,
				Simulated: p.r.TokensPerS, Tolerance: c.Tolerance.For(0), Kernels: KernelsLabel(p.r)}
			pass(&row)
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// mlperfServerRequests runs the server scenario request by request
// (package serve): Poisson arrivals at NVIDIA's server_target_qps over
// the node's TP instances, each holding at most NVIDIA's server batch,
// the OpenOrca mean lengths, and TensorRT-LLM's scheduler limits. The
// measured throughput and mean TPOT then follow from the load offered, as
// in the run NVIDIA submitted.
func mlperfServerRequests(e *infer.Engine, cfg infer.Config, s mlperfSystem, lim mlperfLimits, n int, warmupS float64) (serve.Result, error) {
	traffic := serve.Traffic{Rate: s.serverQPS, Requests: n, Input: serve.Lengths{Mean: orcaInputTokens},
		Output: serve.Lengths{Mean: orcaOutputTokens}, Seed: 1}
	reqs, err := traffic.Generate()
	if err != nil {
		return serve.Result{}, err
	}
	return mlperfServe(e, cfg, s, lim, reqs, warmupS, false)
}

// mlperfServe serves reqs on system s: instances of s.accels
// accelerators (s.tp when 0) over the node, each data-parallel rank
// holding at most NVIDIA's server batch, with TensorRT-LLM's scheduler
// limits and the KV share NVIDIA set; keep keeps each request's and
// step's record.
func mlperfServe(e *infer.Engine, cfg infer.Config, s mlperfSystem, lim mlperfLimits, reqs []serve.Request, warmupS float64, keep bool) (serve.Result, error) {
	inst := cfg
	acc := s.accels
	if acc == 0 {
		acc = s.tp
	}
	inst.Accelerators = acc
	// kvcache_free_gpu_mem_frac (0.90 in v4.1's Server/__init__.py):
	// TensorRT-LLM gives the KV cache that share of what the weights
	// leave; as a share of the HBM that is f + (1 - f) x the weights'.
	// assumption: the weights spread evenly over the instance's GPUs
	// (with attention DP each GPU also holds the attention weights whole,
	// a few per cent of a MoE model's, which moves the share by less
	// than 0.5%).
	frac := s.kvFrac
	if frac == 0 {
		frac = 0.9
	}
	hbm := e.Topo.Accels[0].Spec.HBMBytes
	weights := cfg.Model.Params().Total() * cfg.Precision.Weights.Bytes() / float64(acc)
	inst.HBMFraction = frac + (1-frac)*weights/hbm
	// TensorRT-LLM's scheduler limits (serve's trtllm engine, sourced
	// there) with NVIDIA's server batch as the running cap; assumption:
	// NVIDIA's harness spreads queries over the instances by load.
	trt, err := serve.EngineDefaults("trtllm", hbm, 0, cfg.Model.MaxContext)
	if err != nil {
		return serve.Result{}, err
	}
	trt.MaxSeqs = s.serverBatch
	if s.maxTokens > 0 {
		trt.MaxBatchedTokens = s.maxTokens
	}
	if s.graphs != nil {
		dp := max(acc/max(cfg.TP, 1), 1)
		rt, err := serve.EngineRuntime("trtllm", compute.PerDie(e.Topo.Accels[0].Spec).HBMBytes,
			serve.Replica{TP: cfg.TP, DP: dp, MaxSeqs: trt.MaxSeqs, MaxBatchedTokens: trt.MaxBatchedTokens, Layers: cfg.Model.Layers})
		if err != nil {
			return serve.Result{}, err
		}
		rt.GraphSizes, rt.ExactGraphs = s.graphs, false
		inst.Runtime = rt
	}
	return serve.Run(serve.Config{Engine: e, Instance: inst, Replicas: len(e.Topo.Accels) / acc,
		Settings: trt, Router: "least-loaded",
		WarmupS: warmupS, TTFTSLOS: lim.ttft, TPOTSLOS: lim.tpot, KeepRequests: keep}, reqs)
}

// mlperfLimits are a scenario's TTFT and TPOT limits at p99, seconds.
type mlperfLimits struct{ ttft, tpot float64 }

// mlperfServedRows compares a served run with case c's measured output
// tokens per second and mean TPOT (keys prefix+"tokens_per_s" and
// prefix+"mean_tpot_ms" under group), points named point+" tok/s"+suffix
// and point+" mean TPOT"+suffix; a run past MLPerf's p99 limits fails.
func mlperfServedRows(c *validation.InferenceCase, preset, group, point, suffix, prefix string, req serve.Result, lim mlperfLimits, kernels string) ([]Row, error) {
	var rows []Row
	for _, p := range []struct {
		label, key, unit string
		v                float64
	}{
		{"tok/s", "tokens_per_s", "tok/s", req.OutputTokensPerS},
		{"mean TPOT", "mean_tpot_ms", "ms", req.TPOT.Mean * 1e3},
	} {
		want, ok := c.Measured.Get(group, prefix+p.key)
		if !ok {
			return nil, fmt.Errorf("case %s has no measured %s %s", c.ID, group, prefix+p.key)
		}
		row := Row{Case: c.ID, Preset: preset, Point: point + " " + p.label + suffix, Unit: p.unit, Measured: want,
			Simulated: p.v, Tolerance: c.Tolerance.For(0), Kernels: kernels}
		if req.TTFT.P99 > lim.ttft || req.TPOT.P99 > lim.tpot {
			row.Status = "fail"
			row.Why = fmt.Sprintf("at NVIDIA's offered load the simulated service misses MLPerf's limits (TTFT p99 %.2f s, TPOT p99 %.0f ms)", req.TTFT.P99, req.TPOT.P99*1e3)
		}
		pass(&row)
		rows = append(rows, row)
	}
	return rows, nil
}

// mlperfServerRequestsN requests, the first mlperfWarmupS seconds of them
// not counted: the service fills to its steady state (a request lives
// about 294 steps) before the count starts, as MLPerf's 10-minute
// minimum run makes the fill negligible.
const (
	mlperfServerRequestsN = 30000
	mlperfWarmupS         = 120
)
