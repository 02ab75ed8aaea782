package serve

import (
	"slices"

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
	}},
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
	}},
	// TensorRT-LLM's trtllm-serve (TensorRT-LLM docs, deployment:
	// trtllm-serve options): --max_batch_size 256, --max_num_tokens 8192;
	// 32-token KV blocks (KvCacheConfig.tokens_per_block).
	{"trtllm", func(float64, float64, int) Settings {
		return Settings{MaxSeqs: 256, MaxBatchedTokens: 8192, BlockSize: 32}
	}},
	// vLLM-Ascend runs vLLM's scheduler: an Ascend die (64 GB) takes
	// vLLM's defaults below 70 GiB, 256 sequences and 2048 tokens, with
	// the 128-token blocks its attention kernels need (vllm-ascend docs).
	{"vllm-ascend", func(float64, float64, int) Settings {
		return Settings{MaxSeqs: 256, MaxBatchedTokens: 2048, BlockSize: 128}
	}},
	// MindIE Service (config.json ScheduleConfig defaults, MindIE
	// documentation): maxBatchSize 200, maxPrefillTokens 8192,
	// cacheBlockSize 128.
	{"mindie", func(float64, float64, int) Settings {
		return Settings{MaxSeqs: 200, MaxBatchedTokens: 8192, BlockSize: 128}
	}},
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
