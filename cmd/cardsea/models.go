package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/report"
)

const modelsUsage = `
Usage:
  cardsea models list [--format table|markdown|json|csv]
  cardsea models show NAME|FILE.yaml... [--context N] [--format table|markdown|json|csv]

'list' prints the model zoo: total and active parameters, layers, attention
and experts. 'show' prints every figure of one or more models' published
configuration, side by side, and what follows from it for serving: parameters
by kind, KV-cache bytes per token (BF16, FP8), weight bytes (BF16, FP8, INT8,
FP4) and FLOPs per token at a context length, split into dense GEMMs, routed
expert GEMMs and attention.

NAME is a zoo model (see 'cardsea models list'); a path ending in .yaml is a
model file in the same form as the zoo's (llm/models/*.yaml), where every
figure's line comment names its source.

Active parameters are those one token multiplies by: all but the input
embedding table and the routed experts it is not sent to. Total parameters
leave out multi-token-prediction modules, shown separately. FLOPs count a
multiply-add as 2 for one token attending to --context tokens (decode); MLA
attention is shown expanded and, on its own line, absorbed into the latent.

JSON and CSV carry SI units in the field names (params, bytes, flops);
tables use human units with the unit in every header.

Examples:
  cardsea models list
  cardsea models show deepseek-r1
  cardsea models show llama-3.1-70b qwen3-32b --context 32768
  cardsea models show my-model.yaml --format json
`

func runModels(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		if len(args) == 0 {
			fmt.Fprint(stderr, strings.TrimLeft(modelsUsage, "\n"))
		} else {
			fmt.Fprint(stdout, strings.TrimLeft(modelsUsage, "\n"))
		}
		if len(args) == 0 {
			return usagef("models needs a subcommand: list or show")
		}
		return nil
	}
	switch args[0] {
	case "list":
		return runModelsList(args[1:], stdout, stderr)
	case "show":
		return runModelsShow(args[1:], stdout, stderr)
	}
	return usagef("models: unknown subcommand %q (want list or show)", args[0])
}

func runModelsList(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("models list", modelsUsage)
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("models list takes no arguments, got %q", fs.Args())
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("models list: %v", err)
	}
	sheet := &report.Sheet{Columns: []report.Column{
		{Key: "name", Header: "Name"},
		{Key: "title", Header: "Model"},
		{Key: "total_params", Header: "Total params (B)", Scale: 1e9, Digits: 1},
		{Key: "active_params", Header: "Active params (B)", Scale: 1e9, Digits: 1},
		{Key: "layers", Header: "Layers"},
		{Key: "attention", Header: "Attention"},
		{Key: "routed_experts", Header: "Routed experts"},
		{Key: "shared_experts", Header: "Shared experts"},
		{Key: "top_k", Header: "Experts per token"},
	}, Notes: []string{
		"Parameters are computed from each published config (checked against the published counts);",
		"active excludes the input embedding. Sources: 'cardsea models show NAME'.",
	}}
	for _, name := range llm.Names() {
		m, err := llm.Load(name)
		if err != nil {
			return err
		}
		var routed, shared, topK any
		if m.MoE != nil {
			routed, shared, topK = m.MoE.RoutedExperts, m.MoE.SharedExperts, m.MoE.TopK
		}
		sheet.Rows = append(sheet.Rows, []any{m.Name, m.Title, m.TotalParams(), m.ActiveParams(),
			m.Layers, string(m.Attention.Kind), routed, shared, topK})
	}
	return sheet.Write(stdout, f)
}

func runModelsShow(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("models show", modelsUsage)
	context := fs.IntP("context", "c", 4096, "context length in tokens for the FLOPs per token")
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("models show needs a model name or file, e.g. 'cardsea models show deepseek-r1' (see 'cardsea models list')")
	}
	if *context < 1 {
		return usagef("--context is %d; want 1 or more tokens", *context)
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("models show: %v", err)
	}
	var models []*llm.Model
	for _, name := range fs.Args() {
		m, err := llm.Load(name)
		if err != nil {
			return err
		}
		models = append(models, m)
	}
	return modelsSheet(models, *context).Write(stdout, f)
}

// nz returns nil for a zero count, so that figures a model lacks are
// absent rather than 0.
func nz[T int | float64](v T) any {
	if v == 0 {
		return nil
	}
	return v
}

// modelsSheet is the record per model that 'models show' prints.
func modelsSheet(models []*llm.Model, context int) *report.Sheet {
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
