package fidelity

import "github.com/cardsea/cardsea/validation"

// The DeepSeek-R1 run: one instance of TensorRT-LLM's PyTorch backend
// over the DGX B200's 8 GPUs, attention DP 8 and expert parallelism 8
// (WIDEEP MoE), NVFP4 weights, FP8 KV cache, no chunked prefill. A query
// lives about 250 s (the Server run's mean latency, 248.9 s), the longest
// stratum's (9,974 output tokens) about 660 s.
var deepseekR1Scenarios = []mlperfLongScenario{
	// Server/deepseek-r1.py: tensor_parallelism 8 with enable_attention_dp,
	// moe_expert_parallelism 8, gpu_batch_size 512 (per attention-DP
	// rank, as TensorRT-LLM's max_batch_size is), server_target_qps 5,
	// max_num_tokens 3456, enable_chunked_context False,
	// kvcache_free_gpu_mem_frac 0.9. loadgen/mlperf.conf:
	// deepseek-r1.Server ttft_latency 2000, tpot_latency 80 (ms).
	// assumption: no chunking is taken as chunks of max_num_tokens (every
	// prompt, at most 3,140 tokens, fits one step's 3,456 whole).
	// use_graphs True, cuda_graph_batch_sizes [128, 256, 384, 512],
	// cuda_graph_padding_enabled True; the overlap scheduler on
	// (code/llmlib/config.py: disable_overlap_scheduler False for the
	// PyTorch backend).
	{key: "server", sys: mlperfSystem{preset: "hgx-b200", tp: 8, accels: 8, serverBatch: 512, serverQPS: 5, maxTokens: 3456, kvFrac: 0.9,
		graphs: []int{128, 256, 384, 512}},
		lim: mlperfLimits{2, 0.08}, tp: 1, ep: 8, mix: deepseekR1Mix, warmupS: 450, measureS: 600, tailS: 450},
}

// mlperfR1Case runs X10: MLPerf v5.1 DeepSeek-R1 on a DGX B200.
func mlperfR1Case(c *validation.InferenceCase) ([]Row, error) {
	return mlperfLongCase(c, deepseekR1Scenarios)
}
