package serve

import (
	"math"
	"slices"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/internal/field"
)

// A servingEngine names a serving engine's scheduler defaults. Limits are per
// data-parallel rank (each rank runs its own scheduler); the model's
// context window and the rank's KV capacity feed engines whose limits
// follow them.
type servingEngine struct {
	name string
	// defaults gives the limits for a rank with hbm bytes per device, a
	// KV cache of kvTokens tokens, and a model context window ctx.
	defaults func(hbm, kvTokens float64, ctx int) Settings
	// runtime gives its cost per step around the kernels and its graph
	// sizes on a device of hbm bytes for a replica's scheduler (its
	// limits, TP and draft tokens).
	runtime func(hbm float64, r Replica) infer.Runtime
}

const gib = float64(1 << 30)

// engines are the serving engines cardsea knows, each default with its
// source.
var engines = []servingEngine{
	// vLLM V1 (vllm/engine/arg_utils.py, EngineArgs.get_batch_defaults,
	// the OpenAI server): 8192 batched tokens and 1024 sequences on
	// devices of 70 GiB or more (but A100), 2048 and 256 below; 16-token
	// blocks on CUDA (vllm/config/cache.py).
	{"vllm", func(hbm, _ float64, _ int) Settings {
		if hbm >= 70*gib {
			return Settings{MaxSeqs: 1024, MaxBatchedTokens: 8192, BlockSize: 16}
		}
		return Settings{MaxSeqs: 256, MaxBatchedTokens: 2048, BlockSize: 16}
	}, func(_ float64, r Replica) infer.Runtime { return vllmRuntime(0, r) }},
	// SGLang (python/sglang/srt/server_args.py): chunked_prefill_size
	// 2048 under 35 GB, 8192 under 160 GB (H100, H200, H20), 16384 above
	// (B200, MI300); page_size 1; max_running_requests, when unset,
	// min(max(KV tokens / context x 512, 2048), 4096)
	// (model_runner.init_memory_pool).
	{"sglang", func(hbm, kv float64, ctx int) Settings {
		chunk := 16384
		switch {
		case hbm < 35e9:
			chunk = 2048
		case hbm < 160e9:
			chunk = 8192
		}
		seqs := 4096.0
		if ctx > 0 {
			seqs = min(max(kv/float64(ctx)*512, 2048), 4096)
		}
		return Settings{MaxSeqs: int(seqs), MaxBatchedTokens: chunk, BlockSize: 1}
	}, sglangRuntime},
	// TensorRT-LLM's trtllm-serve (TensorRT-LLM docs, deployment:
	// trtllm-serve options): --max_batch_size 256, --max_num_tokens 8192;
	// 32-token KV blocks (KvCacheConfig.tokens_per_block).
	{"trtllm", func(float64, float64, int) Settings {
		return Settings{MaxSeqs: 256, MaxBatchedTokens: 8192, BlockSize: 32}
	}, trtllmRuntime},
	// vLLM-Ascend runs vLLM's scheduler: an Ascend die (64 GB) takes
	// vLLM's defaults below 70 GiB, 256 sequences and 2048 tokens, with
	// the 128-token blocks its attention kernels need (vllm-ascend docs).
	{"vllm-ascend", func(float64, float64, int) Settings {
		return Settings{MaxSeqs: 256, MaxBatchedTokens: 2048, BlockSize: 128}
	}, vllmAscendRuntime},
	// MindIE Service (config.json ScheduleConfig defaults, MindIE
	// documentation): maxBatchSize 200, maxPrefillTokens 8192,
	// cacheBlockSize 128.
	{"mindie", func(float64, float64, int) Settings {
		return Settings{MaxSeqs: 200, MaxBatchedTokens: 8192, BlockSize: 128}
	}, func(_ float64, r Replica) infer.Runtime { return vllmRuntime(ascendGraphLaunchS, r) }},
}

// Each engine's cost per step around its kernels (infer.Runtime), from
// the frameworks' own profiles, docs and code, not from cardsea's
// validation cases.
const (
	// pythonHostPerSeqS is a Python scheduler's host work per running
	// sequence a step: vLLM issue #10634 (V1, Llama-2-7B, batch 256)
	// measured a 5-6 ms gap between decode steps, ~21 us a sequence.
	pythonHostPerSeqS = 5.5e-3 / 256
	// asyncGapS is the gap between steps left with async scheduling and
	// CUDA graphs: 150-170 us at batch 256 (vLLM PR #11133).
	asyncGapS = 160e-6
	// eagerLayerS is the host's launch time per layer of a step run
	// without CUDA graphs: a Llama-3.1-8B decode step on H100 takes 8.4 ms
	// eager (host-bound) against 5.1 ms in a graph (cloudai.pt, "CUDA
	// Graphs + torch.compile: 1.65x LLM Decode Speedup"): 8.4 ms over its
	// 32 layers.
	eagerLayerS = 8.4e-3 / 32
	// ascendGraphLaunchS is the host's launch of one compute graph on
	// Ascend, once a decode step: 0.6-0.8 ms (CloudMatrix-Infer, arXiv
	// 2506.12708, section 4.2.4).
	ascendGraphLaunchS = 0.7e-3
)

// vllmRuntime is vLLM V1's step cost with launchS of host work per step
// besides its scheduler's: async scheduling on by default
// (vllm/config/vllm.py enables SchedulerConfig.async_scheduling unless an
// option is incompatible), so the host's work hides behind the device's
// and the gap between steps remains; decode batches in CUDA graphs of
// the default capture sizes (VllmConfig._set_cudagraph_sizes: 1, 2, 4,
// then every 8 to 248 and every 16 from 256, in tokens, to
// min(max_num_seqs x (1 + draft tokens) x 2, 512, max_num_batched_tokens),
// which in sequences is the tokens over 1 + draft); steps with prompt
// tokens up to the largest size run in piecewise graphs (cudagraph_mode
// FULL_AND_PIECEWISE, the default), larger ones eagerly. vLLM-Ascend runs
// vLLM's scheduler on Ascend with the graph launch (vllmAscendRuntime);
// MindIE's is taken as the same, with vLLM's sizes (assumption: no
// capture list or overlap setting of its own found).
func vllmRuntime(launchS float64, r Replica) infer.Runtime {
	q := 1 + r.Draft // tokens a decoding sequence runs a step
	top := 512
	if r.MaxSeqs > 0 {
		top = min(top, r.MaxSeqs*q*2)
	}
	if r.MaxBatchedTokens > 0 {
		top = min(top, r.MaxBatchedTokens)
	}
	var sizes []int
	for _, tok := range upTo(captureSizes([][3]int{{1, 1, 1}, {2, 2, 1}, {4, 4, 1}, {8, 248, 8}, {256, 512, 16}}), top) {
		if n := (tok + q - 1) / q; len(sizes) == 0 || n > sizes[len(sizes)-1] {
			sizes = append(sizes, n)
		}
	}
	return infer.Runtime{HostS: launchS, HostPerSeqS: pythonHostPerSeqS, Overlap: true, SyncS: asyncGapS, EagerLayerS: eagerLayerS, GraphSizes: sizes,
		PiecewiseTokens: top}
}

// sglangRuntime is SGLang's: the overlap scheduler, on by default
// (--disable-overlap-schedule turns it off), runs the CPU's work of a
// batch during the GPU's previous one, and its profile shows the GPU busy
// from one decode batch to the next (SGLang v0.4 blog, "zero-overhead
// batch scheduler"), so no gap is charged; the scheduler's host work is
// vLLM's (assumption: the same Python design). CUDA graphs of
// cuda_graph_bs (server_args._generate_cuda_graph_batch_sizes: 1, 2, 4,
// 8, 12, every 8 from 16 to 256, every 16 from 272 to 496, every 32 from
// 512) up
// to cuda_graph_max_bs, which follows the GPU's memory and TP
// (_handle_gpu_memory_settings: 8 under 20 GiB; 24, or 80 at TP 4 or
// more, under 35 GiB; 32 or 160 under 60 GiB; 256 or 512 under 160 GiB;
// 512 above).
func sglangRuntime(hbm float64, r Replica) infer.Runtime {
	mib := hbm / (1 << 20)
	big := r.TP >= 4
	maxBS := 512
	switch {
	case mib < 20*1024:
		maxBS = 8
	case mib < 35*1024:
		maxBS = pick(big, 80, 24)
	case mib < 60*1024:
		maxBS = pick(big, 160, 32)
	case mib < 160*1024:
		maxBS = pick(big, 512, 256)
	}
	sizes := captureSizes([][3]int{{1, 1, 1}, {2, 2, 1}, {4, 4, 1}, {8, 8, 1}, {12, 12, 1}, {16, 256, 8}, {272, 496, 16}, {512, maxBS, 32}})
	return infer.Runtime{HostPerSeqS: pythonHostPerSeqS, Overlap: true, EagerLayerS: eagerLayerS, GraphSizes: upTo(sizes, maxBS)}
}

// trtllmRuntime is TensorRT-LLM's PyTorch backend: the overlap scheduler
// is on by default (TensorRT-LLM docs, "Overlap Scheduler"; its design
// is SGLang's, so no gap is charged, and the host's work is vLLM's as for
// SGLang: assumption). CudaGraphConfig's defaults capture batch sizes 1
// to 32, 64 and 128 (max_batch_size 128, enable_padding false,
// _generate_cuda_graph_batch_sizes), and without padding a batch of
// another size runs eagerly.
func trtllmRuntime(float64, Replica) infer.Runtime {
	return infer.Runtime{HostPerSeqS: pythonHostPerSeqS, Overlap: true, EagerLayerS: eagerLayerS, ExactGraphs: true,
		GraphSizes: captureSizes([][3]int{{1, 32, 1}, {64, 64, 1}, {128, 128, 1}})}
}

// vllmAscendRuntime is vLLM's on Ascend, but ACL graphs are bounded by
// the streams a device has: vllm-ascend (utils.update_aclgraph_sizes)
// keeps at most floor(1800 / (layers + 1) / (1 + [DP > 1] + [TP > 1]))
// of vLLM's capture sizes, sampled evenly with the first and the last.
func vllmAscendRuntime(_ float64, r Replica) infer.Runtime {
	rt := vllmRuntime(ascendGraphLaunchS, r)
	if r.Layers == 0 {
		return rt
	}
	factor := 1
	for _, n := range []int{r.DP, r.TP} {
		if n > 1 {
			factor++
		}
	}
	keep := 1800 / (r.Layers + 1) / factor
	if g := rt.GraphSizes; keep >= 2 && keep < len(g) {
		step := float64(len(g)-1) / float64(keep-1)
		var sampled []int
		for i := range keep {
			if b := g[int(math.RoundToEven(float64(i)*step))]; len(sampled) == 0 || b > sampled[len(sampled)-1] {
				sampled = append(sampled, b)
			}
		}
		rt.GraphSizes = sampled
	}
	return rt
}

// captureSizes expands ranges {from, to, step} into a list.
func captureSizes(ranges [][3]int) []int {
	var out []int
	for _, r := range ranges {
		for b := r[0]; b <= r[1]; b += r[2] {
			out = append(out, b)
		}
	}
	return out
}

// upTo keeps the sizes at most max.
func upTo(sizes []int, max int) []int {
	i, _ := slices.BinarySearch(sizes, max+1)
	return sizes[:i]
}

func pick(c bool, a, b int) int {
	if c {
		return a
	}
	return b
}

// Replica is what an engine's graph sizes follow besides the device: a
// data-parallel replica's tensor parallelism, the data-parallel degree,
// its scheduler's limits (0: the engine's defaults), the draft tokens a
// sequence runs a step and the model's layers.
type Replica struct {
	TP, DP, MaxSeqs, MaxBatchedTokens, Draft, Layers int
}

// EngineRuntime is engine name's cost per step around its kernels and
// its graph sizes (infer.Runtime, its MaxTokens the engine's
// max_num_batched_tokens) on a device of hbm bytes for replica r. Every
// engine overlaps its host's work with the device's step (vLLM's async
// scheduling, on by default; SGLang's and TensorRT-LLM's overlap
// schedulers); the host's work is ~21 us a running sequence (vLLM issue
// #10634: 5-6 ms between decode steps at batch 256); vLLM leaves a 160 us
// gap between steps (PR #11133), SGLang and TensorRT-LLM none (SGLang's
// v0.4 profile); a step without a graph launches each layer from the host
// in 262 us (an eager Llama-3.1-8B H100 decode step, 8.4 ms over 32
// layers); Ascend's engines launch a graph a step, 0.7 ms of host work
// (CloudMatrix-Infer, section 4.2.4). Graph sizes: vLLM's capture sizes
// (1, 2, 4, every 8 to 248, every 16 to 512 tokens), SGLang's cuda_graph_bs
// to a cuda_graph_max_bs set by the GPU's memory and TP, TensorRT-LLM's
// CudaGraphConfig defaults (1 to 32, 64, 128, without padding).
func EngineRuntime(name string, hbm float64, r Replica) (infer.Runtime, error) {
	e, err := engineNamed(name)
	if err != nil {
		return infer.Runtime{}, err
	}
	d := e.defaults(hbm, 0, 0)
	if r.MaxSeqs == 0 {
		r.MaxSeqs = d.MaxSeqs
	}
	if r.MaxBatchedTokens == 0 {
		r.MaxBatchedTokens = d.MaxBatchedTokens
	}
	r.TP = max(r.TP, 1)
	rt := e.runtime(hbm, r)
	rt.MaxTokens = r.MaxBatchedTokens
	return rt, nil
}

// Engines lists the engine names.
func Engines() []string {
	out := make([]string, len(engines))
	for i, e := range engines {
		out[i] = e.name
	}
	return out
}

// engineNamed finds an engine; "" is vLLM.
func engineNamed(name string) (servingEngine, error) {
	if name == "" {
		name = "vllm"
	}
	i := slices.IndexFunc(engines, func(e servingEngine) bool { return e.name == name })
	if i < 0 {
		return servingEngine{}, field.Errorf("engine", "%q: want one of vllm, sglang, trtllm, vllm-ascend or mindie", name)
	}
	return engines[i], nil
}

// EngineDefaults are engine name's limits for a rank with hbm bytes per
// device, a KV cache of kvTokens tokens and a model context window ctx.
func EngineDefaults(name string, hbm, kvTokens float64, ctx int) (Settings, error) {
	e, err := engineNamed(name)
	if err != nil {
		return Settings{}, err
	}
	s := e.defaults(hbm, kvTokens, ctx)
	s.Engine = e.name
	return s, nil
}

// CheckEngine says whether name is a known engine.
func CheckEngine(name string) error {
	_, err := engineNamed(name)
	return err
}
