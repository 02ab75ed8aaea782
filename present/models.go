package present

import (
	"strings"

	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/report"
)

// nz returns nil for a zero count, so that figures a model lacks are
// absent rather than 0.
func nz[T int | float64](v T) any {
	if v == 0 {
		return nil
	}
	return v
}

// Models is the record per model that 'models show' prints.
func Models(models []*llm.Model, context int) *report.Sheet {
	cols := []report.Column{
		{Key: "model", Header: "Model"},
		{Key: "title", Header: "Title"},
		{Key: "layers", Header: "Layers"},
		{Key: "dense_layers", Header: "Dense-FFN layers"},
		{Key: "moe_layers", Header: "MoE layers"},
		{Key: "hidden", Header: "Hidden size"},
		{Key: "vocab", Header: "Vocabulary"},
		{Key: "tied_embeddings", Header: "Tied embeddings"},
		{Key: "max_context_tokens", Header: "Max context (tokens)"},
		{Key: "attention.kind", Header: "Attention"},
		{Key: "attention.heads", Header: "Attention heads"},
		{Key: "attention.kv_heads", Header: "KV heads"},
		{Key: "attention.head_dim", Header: "Query/key head size"},
		{Key: "attention.v_head_dim", Header: "Value head size"},
		{Key: "attention.q_lora_rank", Header: "MLA query latent (q_lora_rank)"},
		{Key: "attention.kv_lora_rank", Header: "MLA KV latent (kv_lora_rank)"},
		{Key: "attention.qk_rope_head_dim", Header: "MLA rope head size"},
		{Key: "attention.qk_nope_head_dim", Header: "MLA no-rope head size"},
		{Key: "attention.sliding_window_tokens", Header: "Sliding window (tokens)"},
		{Key: "attention.sliding_layers", Header: "Sliding-window layers"},
		{Key: "ffn.intermediate", Header: "Dense FFN intermediate size"},
		{Key: "ffn.activation", Header: "FFN activation"},
		{Key: "moe.routed_experts", Header: "Routed experts per MoE layer"},
		{Key: "moe.shared_experts", Header: "Shared experts per MoE layer"},
		{Key: "moe.top_k", Header: "Routed experts per token"},
		{Key: "moe.expert_intermediate", Header: "Expert intermediate size"},
		{Key: "moe.expert_groups", Header: "Expert groups (routing)"},
		{Key: "moe.topk_groups", Header: "Groups a token routes to"},
		{Key: "mtp_layers", Header: "MTP modules"},
		{Key: "published_params.total", Header: "Published total params (B)", Scale: 1e9, Digits: 2},
		{Key: "published_params.active", Header: "Published active params (B)", Scale: 1e9, Digits: 2},
		{Key: "params.total", Header: "Total params (B)", Scale: 1e9, Digits: 2},
		{Key: "params.active", Header: "Active params per token (B)", Scale: 1e9, Digits: 2},
		{Key: "params.embedding", Header: "Params: embedding (B)", Scale: 1e9, Digits: 2},
		{Key: "params.lm_head", Header: "Params: output head (B)", Scale: 1e9, Digits: 2},
		{Key: "params.attention", Header: "Params: attention (B)", Scale: 1e9, Digits: 2},
		{Key: "params.dense_ffn", Header: "Params: dense FFN (B)", Scale: 1e9, Digits: 2},
		{Key: "params.routed_experts", Header: "Params: routed experts (B)", Scale: 1e9, Digits: 2},
		{Key: "params.shared_experts", Header: "Params: shared experts (B)", Scale: 1e9, Digits: 2},
		{Key: "params.router", Header: "Params: routers (B)", Scale: 1e9, Digits: 3},
		{Key: "params.norms", Header: "Params: norms (M)", Scale: 1e6, Digits: 2},
		{Key: "params.mtp", Header: "Params: MTP modules, not in total (B)", Scale: 1e9, Digits: 2},
		{Key: "kv_bytes_per_token.bf16", Header: "KV cache per token, BF16 (KB)", Scale: 1e3, Digits: 1},
		{Key: "kv_bytes_per_token.fp8", Header: "KV cache per token, FP8 (KB)", Scale: 1e3, Digits: 1},
		{Key: "weight_bytes.bf16", Header: "Weights, BF16 (GB)", Scale: 1e9, Digits: 1},
		{Key: "weight_bytes.fp8", Header: "Weights, FP8 (GB)", Scale: 1e9, Digits: 1},
		{Key: "weight_bytes.int8", Header: "Weights, INT8 (GB)", Scale: 1e9, Digits: 1},
		{Key: "weight_bytes.fp4", Header: "Weights, FP4 (GB)", Scale: 1e9, Digits: 1},
		{Key: "layer_weight_bytes_bf16.dense", Header: "Weights per dense-FFN layer, BF16 (MB)", Scale: 1e6, Digits: 0},
		{Key: "layer_weight_bytes_bf16.moe", Header: "Weights per MoE layer, BF16 (MB)", Scale: 1e6, Digits: 0},
		{Key: "flops_per_token.context_tokens", Header: "FLOPs below: context (tokens)"},
		{Key: "flops_per_token.dense_gemm", Header: "FLOPs per token: dense GEMM (GFLOP)", Scale: 1e9, Digits: 2},
		{Key: "flops_per_token.expert_gemm", Header: "FLOPs per token: routed-expert GEMM (GFLOP)", Scale: 1e9, Digits: 2},
		{Key: "flops_per_token.attention", Header: "FLOPs per token: attention (GFLOP)", Scale: 1e9, Digits: 2},
		{Key: "flops_per_token.attention_absorbed", Header: "FLOPs per token: MLA attention absorbed (GFLOP)", Scale: 1e9, Digits: 2},
		{Key: "flops_per_token.total", Header: "FLOPs per token: total (GFLOP)", Scale: 1e9, Digits: 2},
	}
	var rows [][]any
	sliding := false
	for _, m := range models {
		a := m.Attention
		p := m.Params()
		fl := m.FLOPsPerToken(context)
		var kvHeads, vHead, absorbed any = a.KVHeads, nil, nil
		if a.Kind == llm.MLA {
			kvHeads, vHead = nil, a.VHeadDim
			absorbed = m.FLOPsPerTokenAbsorbed(context).Attention()
		}
		var routed, shared, topK, expertI, groups, topKG, moeLayerBytes any
		if e := m.MoE; e != nil {
			routed, shared, topK, expertI = e.RoutedExperts, e.SharedExperts, e.TopK, e.ExpertIntermediate
			groups, topKG = nz(e.Groups), nz(e.TopKGroups)
			moeLayerBytes = m.LayerWeightBytes(m.Layers-1, llm.BytesBF16)
		}
		var denseLayerBytes any
		if m.DenseLayers > 0 {
			denseLayerBytes = m.LayerWeightBytes(0, llm.BytesBF16)
		}
		sliding = sliding || m.SlidingLayers() > 0
		rows = append(rows, []any{
			m.Name, m.Title, m.Layers, m.DenseLayers, nz(m.MoELayers()), m.Hidden, m.Vocab, m.TiedEmbeddings, m.MaxContext,
			string(a.Kind), a.Heads, kvHeads, a.HeadDim, vHead,
			nz(a.QLoRARank), nz(a.KVLoRARank), nz(a.QKRopeHeadDim), nz(a.QKNopeHeadDim),
			nz(a.SlidingWindow), nz(m.SlidingLayers()),
			nz(m.FFN.Intermediate), m.FFN.Activation,
			routed, shared, topK, expertI, groups, topKG, nz(m.MTPLayers),
			nz(m.Published.TotalParams), nz(m.Published.ActiveParams),
			m.TotalParams(), m.ActiveParams(), p.Embedding, p.LMHead, p.Attention, nz(p.DenseFFN),
			nz(p.RoutedExperts), nz(p.SharedExperts), nz(p.Router), p.Norms, nz(p.MTP),
			m.KVBytesPerToken(llm.BytesBF16), m.KVBytesPerToken(llm.BytesFP8),
			m.WeightBytes(llm.BytesBF16), m.WeightBytes(llm.BytesFP8), m.WeightBytes(llm.BytesINT8), m.WeightBytes(llm.BytesFP4),
			denseLayerBytes, moeLayerBytes,
			context, fl.DenseGEMM, nz(fl.ExpertGEMM), fl.Attention(), absorbed, fl.Total(),
		})
	}
	notes := []string{
		"Computed from the published config: active params exclude the input embedding; KV cache is what each",
		"further token of context adds; FP4 weights leave out block scales; FLOPs count a multiply-add as 2.",
	}
	if sliding {
		notes = append(notes, "Sliding-window layers cache at most their window, so KV per token counts full-attention layers only.")
	}
	if len(models) == 1 {
		m := models[0]
		for _, n := range m.Notes {
			notes = append(notes, "Note: "+n)
		}
		notes = append(notes, "Every figure's source: "+sourceOf(m)+".")
	} else {
		notes = append(notes, "Every figure's source: llm/models/NAME.yaml, one line comment per figure.")
	}
	title := ""
	if len(models) == 1 {
		title = models[0].Title
	}
	return &report.Sheet{Title: title, Columns: cols, Rows: rows, Vertical: true, Notes: notes}
}

// sourceOf names where a model's figures and their sources are.
func sourceOf(m *llm.Model) string {
	if strings.HasPrefix(m.File, "models/") {
		s := "llm/" + m.File + " (one line comment per figure)"
		if m.Config != "" {
			s += "; config " + m.Config
		}
		return s
	}
	return m.File
}
