package llm

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/internal/strictyaml"
	"github.com/cardsea/cardsea/units"
)

// Figure is one value of the file as written, with its source comment
// and position (see strictyaml.Figure).
type Figure = strictyaml.Figure

// File is the schema of a model file. The zoo's models are files of this
// form; users write their own in the same form. Field names follow the
// architecture, not any one framework's config.json; each zoo file's
// comments name the config.json key every figure comes from.
type File struct {
	Name        string   `yaml:"name"`
	Title       string   `yaml:"title"`
	Description string   `yaml:"description"`
	Config      string   `yaml:"config"` // where the published configuration is
	Notes       []string `yaml:"notes"`
	// Layers is the number of transformer blocks (num_hidden_layers).
	Layers Figure `yaml:"layers"`
	// DenseLayers is how many leading blocks have a dense FFN in a MoE
	// model (first_k_dense_replace); absent means 0 for MoE models and
	// every layer for dense ones.
	DenseLayers    Figure        `yaml:"dense_layers"`
	Hidden         Figure        `yaml:"hidden"`
	Vocab          Figure        `yaml:"vocab"`
	TiedEmbeddings Figure        `yaml:"tied_embeddings"`
	MaxContext     Figure        `yaml:"max_context"`
	Attention      AttentionFile `yaml:"attention"`
	FFN            FFNFile       `yaml:"ffn"`
	MoE            *MoEFile      `yaml:"moe"`
	// MTPLayers is the number of multi-token-prediction modules
	// (num_nextn_predict_layers).
	MTPLayers Figure        `yaml:"mtp_layers"`
	Published PublishedFile `yaml:"published"`
}

// AttentionFile describes the attention of every layer.
type AttentionFile struct {
	Kind    string `yaml:"kind"` // mha, gqa or mla
	Heads   Figure `yaml:"heads"`
	KVHeads Figure `yaml:"kv_heads"` // mha and gqa
	HeadDim Figure `yaml:"head_dim"` // mha and gqa; default hidden / heads
	// MLA (multi-head latent attention).
	QLoRARank     Figure `yaml:"q_lora_rank"`
	KVLoRARank    Figure `yaml:"kv_lora_rank"`
	QKRopeHeadDim Figure `yaml:"qk_rope_head_dim"`
	QKNopeHeadDim Figure `yaml:"qk_nope_head_dim"`
	VHeadDim      Figure `yaml:"v_head_dim"`
	// Bias says the q, k, v and o projections have biases.
	Bias Figure `yaml:"bias"`
	// QKNorm says queries and keys are RMS-normalised per head.
	QKNorm Figure `yaml:"qk_norm"`
	// Sinks says each head has a learned attention-sink logit.
	Sinks Figure `yaml:"sinks"`
	// SlidingWindow is the window of the layers LayerPattern marks
	// "sliding"; LayerPattern repeats from layer 0 ([sliding, full]
	// alternates). Absent: every layer attends to the full context.
	SlidingWindow Figure   `yaml:"sliding_window"`
	LayerPattern  []string `yaml:"layer_pattern"`
}

// FFNFile describes the feed-forward network of dense layers and the
// activation every FFN (dense or expert) uses.
type FFNFile struct {
	Intermediate Figure `yaml:"intermediate"`
	Activation   string `yaml:"activation"`
}

// MoEFile describes the mixture-of-experts layers.
type MoEFile struct {
	RoutedExperts      Figure `yaml:"routed_experts"`
	SharedExperts      Figure `yaml:"shared_experts"`
	TopK               Figure `yaml:"top_k"`
	ExpertIntermediate Figure `yaml:"expert_intermediate"`
	ExpertBias         Figure `yaml:"expert_bias"`
	RouterBias         Figure `yaml:"router_bias"`
	// ExpertGroups and TopKGroups limit routing (DeepSeek-V3 n_group and
	// topk_group): a token's experts come from its top groups only.
	ExpertGroups Figure `yaml:"expert_groups"`
	TopKGroups   Figure `yaml:"topk_groups"`
}

// PublishedFile holds the parameter counts the authors publish, which the
// tests check the computed counts against.
type PublishedFile struct {
	TotalParams        Figure `yaml:"total_params"`
	ActiveParams       Figure `yaml:"active_params"`
	TotalParamsWithMTP Figure `yaml:"total_params_with_mtp"`
}

// Sourced is one figure of a model file with where it comes from.
type Sourced struct {
	Field  string // dotted path, e.g. "attention.kv_lora_rank"
	Value  string
	Source string
	Line   int
}

// Activations accepted in ffn.activation, and whether each is gated (an
// FFN of three matrices: gate, up, down) or not (two: up, down).
var activations = map[string]bool{
	"swiglu": true, "geglu": true, "reglu": true,
	"gelu": false, "relu": false, "silu": false,
}

// Limits on figures, so that absurd files fail with a message rather than
// overflow arithmetic.
const (
	maxDim     = 1 << 22 // hidden, head and FFN sizes, vocabulary
	maxCount   = 1 << 16 // layers, heads, experts
	maxContext = 1 << 34
)

// Parse decodes a model file strictly and checks it. file is used in
// messages.
func Parse(file string, data []byte) (*Model, error) {
	var f File
	if _, err := strictyaml.Decode(file, data, &f); err != nil {
		return nil, err
	}
	return f.Model(file)
}

type conv struct {
	file    string
	err     error
	sources []Sourced
}

func (c *conv) fail(f Figure, field, format string, args ...any) {
	if c.err == nil {
		c.err = &strictyaml.Error{File: c.file, Line: f.Line, Column: f.Column, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
}

func (c *conv) failf(field, format string, args ...any) {
	if c.err == nil {
		c.err = &strictyaml.Error{File: c.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
}

func (c *conv) note(f Figure, field string) {
	c.sources = append(c.sources, Sourced{Field: field, Value: f.Text, Source: f.Source, Line: f.Line})
}

// int parses a whole number in [lo, hi]; absent gives def, or an error
// when required.
func (c *conv) int(f Figure, field string, required bool, def, lo, hi int) int {
	if !f.IsSet() {
		if required {
			c.failf(field, "missing; add it, e.g. `%s: %d`", field[strings.LastIndex(field, ".")+1:], max(lo, 1))
		}
		return def
	}
	c.note(f, field)
	v, err := strconv.Atoi(f.Text)
	if err != nil {
		c.fail(f, field, "%q is not a whole number", f.Text)
		return def
	}
	if v < lo || v > hi {
		c.fail(f, field, "%d is out of range (want %d to %d)", v, lo, hi)
		return def
	}
	return v
}

func (c *conv) bool(f Figure, field string) bool {
	if !f.IsSet() {
		return false
	}
	c.note(f, field)
	b, err := strconv.ParseBool(f.Text)
	if err != nil {
		c.fail(f, field, "%q is not true or false", f.Text)
	}
	return b
}

// count parses a published parameter count such as "671B" or "8.03e9".
func (c *conv) count(f Figure, field string) float64 {
	if !f.IsSet() {
		return 0
	}
	c.note(f, field)
	v, err := units.ParseCount(f.Text)
	if err != nil {
		c.fail(f, field, "%v", err)
		return 0
	}
	if v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		c.fail(f, field, "%q must be a positive count such as 671B", f.Text)
	}
	return v
}

// notFor reports a figure that does not apply to an attention kind.
func (c *conv) notFor(f Figure, field string, kind AttentionKind) {
	if f.IsSet() {
		c.fail(f, field, "does not apply to %s attention; remove it", kind)
	}
}

// Model converts the file into a Model and checks that its figures are
// consistent. file is used in messages.
func (f *File) Model(file string) (*Model, error) {
	c := &conv{file: file}
	m := &Model{Name: f.Name, Title: f.Title, Description: f.Description, Config: f.Config, Notes: f.Notes, File: file}
	if f.Name == "" {
		c.failf("name", "missing; add it, e.g. `name: my-model`")
	}
	if m.Title == "" {
		m.Title = m.Name
	}
	m.Layers = c.int(f.Layers, "layers", true, 1, 1, maxCount)
	m.Hidden = c.int(f.Hidden, "hidden", true, 1, 1, maxDim)
	m.Vocab = c.int(f.Vocab, "vocab", true, 1, 1, maxDim)
	m.TiedEmbeddings = c.bool(f.TiedEmbeddings, "tied_embeddings")
	m.MaxContext = c.int(f.MaxContext, "max_context", true, 1, 1, maxContext)

	a := f.Attention
	at := &m.Attention
	at.Kind = AttentionKind(a.Kind)
	at.Heads = c.int(a.Heads, "attention.heads", true, 1, 1, maxCount)
	switch at.Kind {
	case MHA, GQA:
		at.KVHeads = c.int(a.KVHeads, "attention.kv_heads", at.Kind == GQA, at.Heads, 1, maxCount)
		if at.Kind == MHA && at.KVHeads != at.Heads {
			c.fail(a.KVHeads, "attention.kv_heads", "multi-head attention has as many KV heads as heads (%d); use kind: gqa for %d", at.Heads, at.KVHeads)
		}
		if at.Heads%at.KVHeads != 0 {
			c.fail(a.KVHeads, "attention.kv_heads", "%d heads do not divide into %d KV-head groups", at.Heads, at.KVHeads)
		}
		at.HeadDim = c.int(a.HeadDim, "attention.head_dim", false, m.Hidden/at.Heads, 1, maxDim)
		if at.HeadDim == 0 {
			c.failf("attention.head_dim", "hidden %d / heads %d is 0; give head_dim", m.Hidden, at.Heads)
		}
		at.VHeadDim = at.HeadDim
		for _, x := range []struct {
			f     Figure
			field string
		}{{a.QLoRARank, "q_lora_rank"}, {a.KVLoRARank, "kv_lora_rank"}, {a.QKRopeHeadDim, "qk_rope_head_dim"}, {a.QKNopeHeadDim, "qk_nope_head_dim"}, {a.VHeadDim, "v_head_dim"}} {
			c.notFor(x.f, "attention."+x.field, at.Kind)
		}
	case MLA:
		c.notFor(a.KVHeads, "attention.kv_heads", MLA)
		c.notFor(a.HeadDim, "attention.head_dim", MLA)
		at.QLoRARank = c.int(a.QLoRARank, "attention.q_lora_rank", false, 0, 1, maxDim)
		at.KVLoRARank = c.int(a.KVLoRARank, "attention.kv_lora_rank", true, 1, 1, maxDim)
		at.QKRopeHeadDim = c.int(a.QKRopeHeadDim, "attention.qk_rope_head_dim", true, 1, 1, maxDim)
		at.QKNopeHeadDim = c.int(a.QKNopeHeadDim, "attention.qk_nope_head_dim", true, 1, 1, maxDim)
		at.VHeadDim = c.int(a.VHeadDim, "attention.v_head_dim", true, 1, 1, maxDim)
		at.KVHeads = at.Heads
		at.HeadDim = at.QKNopeHeadDim + at.QKRopeHeadDim
	case "":
		c.failf("attention.kind", "missing; add it, e.g. `kind: gqa` (mha, gqa or mla)")
	default:
		c.failf("attention.kind", "unknown attention kind %q (want mha, gqa or mla)", a.Kind)
	}
	at.Bias = c.bool(a.Bias, "attention.bias")
	at.QKNorm = c.bool(a.QKNorm, "attention.qk_norm")
	at.Sinks = c.bool(a.Sinks, "attention.sinks")
	at.SlidingWindow = c.int(a.SlidingWindow, "attention.sliding_window", false, 0, 1, maxContext)
	sliding := false
	for i, p := range a.LayerPattern {
		lt := LayerType(p)
		if lt != FullAttention && lt != SlidingAttention {
			c.failf(fmt.Sprintf("attention.layer_pattern[%d]", i), "unknown layer type %q (want full or sliding)", p)
		}
		sliding = sliding || lt == SlidingAttention
		at.LayerPattern = append(at.LayerPattern, lt)
	}
	if sliding && at.SlidingWindow == 0 {
		c.failf("attention.sliding_window", "layer_pattern has sliding layers but no window; add e.g. `sliding_window: 128`")
	}
	if at.SlidingWindow > 0 && !sliding {
		c.fail(a.SlidingWindow, "attention.sliding_window", "no layer slides; add e.g. `layer_pattern: [sliding, full]` (repeats from layer 0)")
	}

	gated, ok := activations[f.FFN.Activation]
	if f.FFN.Activation == "" {
		c.failf("ffn.activation", "missing; add it, e.g. `activation: swiglu`")
	} else if !ok {
		c.failf("ffn.activation", "unknown activation %q (want swiglu, geglu or reglu, which are gated, or gelu, relu or silu)", f.FFN.Activation)
	}
	m.FFN.Activation, m.FFN.Gated = f.FFN.Activation, gated

	if f.MoE != nil {
		e := f.MoE
		moe := &MoE{}
		moe.RoutedExperts = c.int(e.RoutedExperts, "moe.routed_experts", true, 1, 1, maxCount)
		moe.SharedExperts = c.int(e.SharedExperts, "moe.shared_experts", false, 0, 0, maxCount)
		moe.TopK = c.int(e.TopK, "moe.top_k", true, 1, 1, maxCount)
		if moe.TopK > moe.RoutedExperts {
			c.fail(e.TopK, "moe.top_k", "top-%d of %d routed experts", moe.TopK, moe.RoutedExperts)
		}
		moe.ExpertIntermediate = c.int(e.ExpertIntermediate, "moe.expert_intermediate", true, 1, 1, maxDim)
		moe.ExpertBias = c.bool(e.ExpertBias, "moe.expert_bias")
		moe.RouterBias = c.bool(e.RouterBias, "moe.router_bias")
		moe.Groups = c.int(e.ExpertGroups, "moe.expert_groups", false, 0, 1, maxCount)
		moe.TopKGroups = c.int(e.TopKGroups, "moe.topk_groups", moe.Groups > 0, 0, 1, maxCount)
		switch {
		case c.err != nil:
		case moe.Groups == 0 && e.TopKGroups.IsSet():
			c.fail(e.TopKGroups, "moe.topk_groups", "topk_groups needs expert_groups")
		case moe.Groups > 0 && moe.RoutedExperts%moe.Groups != 0:
			c.fail(e.ExpertGroups, "moe.expert_groups", "%d routed experts do not split into %d groups", moe.RoutedExperts, moe.Groups)
		case moe.TopKGroups > moe.Groups:
			c.fail(e.TopKGroups, "moe.topk_groups", "top-%d of %d groups", moe.TopKGroups, moe.Groups)
		case moe.Groups > 0 && moe.TopK > moe.TopKGroups*(moe.RoutedExperts/moe.Groups):
			c.fail(e.TopK, "moe.top_k", "top-%d experts from %d groups of %d", moe.TopK, moe.TopKGroups, moe.RoutedExperts/moe.Groups)
		}
		m.MoE = moe
		m.DenseLayers = c.int(f.DenseLayers, "dense_layers", false, 0, 0, maxCount)
		if m.DenseLayers >= m.Layers && c.err == nil {
			c.fail(f.DenseLayers, "dense_layers", "%d dense layers leave no MoE layer of %d", m.DenseLayers, m.Layers)
		}
	} else {
		m.DenseLayers = c.int(f.DenseLayers, "dense_layers", false, m.Layers, 0, maxCount)
		if m.DenseLayers != m.Layers {
			c.fail(f.DenseLayers, "dense_layers", "a model without a moe section has every layer dense (%d); remove dense_layers or add moe", m.Layers)
		}
	}
	m.FFN.Intermediate = c.int(f.FFN.Intermediate, "ffn.intermediate", m.DenseLayers > 0, 0, 1, maxDim)
	m.MTPLayers = c.int(f.MTPLayers, "mtp_layers", false, 0, 0, maxCount)

	p := f.Published
	m.Published.TotalParams = c.count(p.TotalParams, "published.total_params")
	m.Published.ActiveParams = c.count(p.ActiveParams, "published.active_params")
	m.Published.TotalParamsWithMTP = c.count(p.TotalParamsWithMTP, "published.total_params_with_mtp")
	if c.err != nil {
		return nil, c.err
	}
	sortSources(c.sources)
	m.Sources = c.sources
	return m, nil
}
