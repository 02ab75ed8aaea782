package study

// InstanceSpec is what an inference step and a served instance share:
// the model, how many accelerators, the parallelism over their dies, the
// data types, MTP, micro-batches, the HBM share and the serving engine's
// limits and costs per step. InferenceSpec and ServeSpec inline it, so
// each field is declared once and is the same key (and flag) in both.
type InstanceSpec struct {
	// Model: a zoo name (cardsea models list) or a model file.
	Model string `yaml:"model" short:"m" help:"model: zoo name or model file (required; see 'cardsea models list')"`
	// Accelerators: how many serve, the first of the topology (default
	// all).
	Accelerators int `yaml:"accelerators" flag:"ranks" short:"r" min:"1" help:"accelerators of the instance: the first R (default all; serve: of each instance)"`
	// TP, PP, EP: parallel degrees over dies (default TP 1, PP 1, EP all).
	TP int `yaml:"tp" min:"1" help:"tensor parallel degree (default 1)"`
	PP int `yaml:"pp" min:"1" help:"pipeline parallel degree (default 1)"`
	EP int `yaml:"ep" min:"1" help:"expert parallel degree (default: every die of a stage)"`
	// DP sets the data-parallel degree (TP becomes the serving dies over PP
	// x DP unless tp is given, which must agree); AttnDP runs attention
	// data parallel (TP 1, experts over the stage), as DeepSeek serves.
	DP     int  `yaml:"dp" min:"1" help:"data parallel degree: TP becomes the serving dies / (PP x DP) unless --tp is given, which must agree"`
	AttnDP bool `yaml:"attn_dp" help:"attention data parallelism (DeepSeek style): TP 1, each die attends to its own sequences, experts spread over the stage"`
	// Dtypes of weights, KV cache and activations (default bf16), and a
	// mapping for dtypes the chip lacks, e.g. fp8=int8.
	WeightsDtype string `yaml:"weights_dtype" help:"weights dtype: bf16, fp8, int8, fp4"`
	KVDtype      string `yaml:"kv_dtype" help:"KV cache dtype"`
	ActDtype     string `yaml:"act_dtype" help:"activation dtype"`
	DtypeMap     string `yaml:"dtype_map" help:"map dtypes the chip lacks, e.g. fp8=int8"`
	// Per-module dtypes (default: the weights'; dispatch: 8-bit with
	// scales for 8-bit weights, else the activations'): the attention
	// projections' weights, the routed experts' weights, and the MoE
	// dispatch payload.
	AttnDtype     string `yaml:"attn_dtype" help:"attention weights dtype (default: --weights-dtype), e.g. fp8 with --moe-dtype fp4"`
	MoEDtype      string `yaml:"moe_dtype" help:"routed experts' weights dtype (default: --weights-dtype), e.g. fp4 (NVFP4)"`
	DispatchDtype string `yaml:"dispatch_dtype" help:"MoE dispatch payload dtype (default: 8-bit with scales for 8-bit weights, else --act-dtype)"`
	// MTPDraft tokens per step, accepted with probability MTPAccept
	// (default 0.7).
	MTPDraft  int     `yaml:"mtp_draft" help:"multi-token prediction: draft tokens per step"`
	MTPAccept float64 `yaml:"mtp_accept" help:"acceptance rate of a draft token"`
	// MicroBatches: 1, 2 or 0 (the faster).
	MicroBatches int `yaml:"microbatches" help:"1, 2 (overlap communication with computation) or 0 for the faster"`
	// ExpertImbalance: the busiest expert rank's load over the mean
	// (default 1).
	ExpertImbalance float64 `yaml:"expert_imbalance" help:"busiest expert rank's load over the mean"`
	// HBMFraction: the share of each die's HBM the engine may fill
	// (default 1, the physical limit; vLLM's gpu_memory_utilization is
	// 0.9).
	HBMFraction float64 `yaml:"hbm_fraction" help:"share of each die's HBM the engine may fill (weights, KV cache, activations); vLLM reserves 10% (0.9)"`
	// Engine names the serving engine whose limits and step costs apply
	// (default vllm; none for the bare device and memory alone): its cap
	// on running sequences, which MaxSeqs overrides (per data-parallel
	// replica), its token budget, graphs and cost per step (below).
	Engine  string `yaml:"engine" help:"serving engine whose limits and costs apply: its cap on running sequences and token budget per replica, its CUDA/ACL graphs and cost per step beyond the kernels (serve: and its KV block): vllm (default), sglang, trtllm, vllm-ascend, mindie; none (infer only) for the bare device and memory alone"`
	MaxSeqs int    `yaml:"max_seqs" min:"1" help:"sequences a data-parallel replica runs at once (default: the engine's, e.g. vLLM's 1024 on GPUs of 70 GiB or more, else 256)"`
	// MaxBatchedTokens is the engine's token budget per step and
	// replica (prompts past it are prefilled in chunks); GraphSizes the
	// decode batches it captured as CUDA (ACL) graphs, EnforceEager none;
	// StepOverhead replaces the engine's modelled cost per step beyond
	// its kernels (host work, the gap between steps) by a fixed time.
	MaxBatchedTokens int    `yaml:"max_batched_tokens" min:"1" help:"tokens per step per DP rank; prompts past it are prefilled in chunks, a step each (vLLM's max_num_batched_tokens; default the engine's: vLLM 8192 on 70 GiB or more, else 2048)"`
	GraphSizes       []int  `yaml:"graph_sizes" help:"decode batch sizes per replica captured as CUDA/ACL graphs, ascending; a batch runs as the next size up, eager past the largest (default the engine's, e.g. vLLM's 1,2,4,8,...,512)"`
	EnforceEager     bool   `yaml:"enforce_eager" help:"no CUDA/ACL graphs: every step launches its kernels from the host (vLLM's --enforce-eager)"`
	StepOverhead     string `yaml:"step_overhead" help:"the engine's cost per step beyond its kernels, e.g. 0.2ms, instead of its model (host work behind an overlap scheduler, the gap between steps); 0 for none"`
}
