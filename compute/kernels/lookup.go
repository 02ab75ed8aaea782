package kernels

import "strings"

// DefaultEngine is the engine whose kernels Lookup returns: TensorRT-LLM,
// whose tables cover every dtype on every system measured.
const DefaultEngine = "trtllm"

// Lookup returns the fitted GEMM model of a system and dtype under the
// default engine's kernels (TensorRT-LLM). Systems are AIConfigurator's
// names ("h100_sxm", "h200_sxm", "b200_sxm", "gb200"; "h100", "h200" and
// "b200" also work); dtypes are "bf16", "fp8" (per-tensor scales),
// "fp8_block" (DeepSeek-style 1x128 / 128x128 block scales) and "nvfp4"
// (Blackwell only). The second result is false when no table was fitted.
// It costs a scan of a few dozen entries and allocates nothing.
func Lookup(system, dtype string) (GEMMModel, bool) {
	return LookupEngine(system, DefaultEngine, dtype)
}

// LookupEngine is Lookup under a named engine's kernels, "trtllm" or
// "sglang" (a prefix of the table's folder, e.g. "sglang-0.5.14").
func LookupEngine(system, engine, dtype string) (GEMMModel, bool) {
	system, dtype = SystemName(system), DtypeName(dtype)
	for i := range gemmFits {
		g := &gemmFits[i]
		if g.System == system && g.Dtype == dtype && strings.HasPrefix(g.Engine, engine) {
			return *g, true
		}
	}
	return GEMMModel{}, false
}

// GEMMModels returns every fitted GEMM model, in table order (system,
// engine, dtype as fitted). The slice is a copy.
func GEMMModels() []GEMMModel { return append([]GEMMModel(nil), gemmFits...) }

// SystemName maps common names to AIConfigurator's system names.
func SystemName(s string) string {
	switch strings.ToLower(s) {
	case "h100", "h100_sxm", "h100-sxm":
		return "h100_sxm"
	case "h200", "h200_sxm", "h200-sxm":
		return "h200_sxm"
	case "b200", "b200_sxm", "b200-sxm":
		return "b200_sxm"
	case "gb200":
		return "gb200"
	}
	return s
}

// LookupAttention returns the fitted attention model of a system, phase
// (Context or Generation), compute dtype and KV-cache dtype ("bf16" or
// "fp8") under TensorRT-LLM's kernels (the only engine fitted so far),
// full attention (no sliding window). Generation tables are bf16 compute
// only; context has bf16/bf16, bf16/fp8 and fp8/fp8. The second result is
// false when no table was fitted.
func LookupAttention(system, phase, dtype, kvDtype string) (AttentionModel, bool) {
	system, dtype, kvDtype = SystemName(system), DtypeName(dtype), DtypeName(kvDtype)
	for i := range attentionFits {
		a := &attentionFits[i]
		if a.System == system && a.Phase == phase && a.Dtype == dtype && a.KVDtype == kvDtype && strings.HasPrefix(a.Engine, DefaultEngine) {
			return *a, true
		}
	}
	return AttentionModel{}, false
}

// AttentionModels returns every fitted attention model (a copy).
func AttentionModels() []AttentionModel { return append([]AttentionModel(nil), attentionFits...) }

// LookupMoE returns the fitted fused-MoE model of a system, engine prefix
// ("trtllm" or "sglang"), dtype (AIConfigurator's moe_dtype, e.g. "fp8_block",
// "nvfp4", "w4a8_mxfp4_mxfp8") and token distribution ("balanced",
// "power_law_1.01", "power_law_1.2"), with the kernel the table measured
// when the engine has several (empty: the first fitted). The second result
// is false when no table was fitted.
func LookupMoE(system, engine, kernel, dtype, distribution string) (MoEModel, bool) {
	system, dtype = SystemName(system), DtypeName(dtype)
	for i := range moeFits {
		m := &moeFits[i]
		if m.System == system && strings.HasPrefix(m.Engine, engine) && (kernel == "" || m.Source == kernel) &&
			m.Dtype == dtype && m.Distribution == distribution {
			return *m, true
		}
	}
	return MoEModel{}, false
}

// MoEModels returns every fitted fused-MoE model (a copy).
func MoEModels() []MoEModel { return append([]MoEModel(nil), moeFits...) }
