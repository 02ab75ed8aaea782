package llm

import "sort"

// AttentionKind is the attention of a model.
type AttentionKind string

// Attention kinds.
const (
	MHA AttentionKind = "mha" // multi-head: one K and V head per query head
	GQA AttentionKind = "gqa" // grouped-query: KV heads shared by groups of query heads
	MLA AttentionKind = "mla" // multi-head latent (DeepSeek): K and V from a cached low-rank latent
)

// LayerType says whether a layer attends to the whole context or a window.
type LayerType string

// Layer types in attention.layer_pattern.
const (
	FullAttention    LayerType = "full"
	SlidingAttention LayerType = "sliding"
)

// Bytes per parameter or cached element of common data types. FP4 ignores
// the block scales (MXFP4 adds 1 byte per 32 values, about 3%).
const (
	BytesFP32 = 4.0
	BytesBF16 = 2.0
	BytesFP8  = 1.0
	BytesINT8 = 1.0
	BytesFP4  = 0.5
)

// Model is a language model's architecture, as loaded from a model file.
type Model struct {
	Name, Title, Description string
	// Config says where the published configuration is; File is the file
	// the model was loaded from ("models/NAME.yaml" for the zoo).
	Config, File string
	Notes        []string

	Layers int
	// DenseLayers is how many leading layers have a dense FFN; the rest
	// are MoE layers. Equal to Layers for a dense model.
	DenseLayers    int
	Hidden         int
	Vocab          int
	TiedEmbeddings bool
	MaxContext     int
	Attention      Attention
	FFN            FFN
	MoE            *MoE // nil for a dense model
	MTPLayers      int
	Published      Published
	// Sources lists every figure of the file with its source comment, in
	// file order.
	Sources []Sourced
}

// Attention describes each layer's attention.
type Attention struct {
	Kind    AttentionKind
	Heads   int
	KVHeads int // MLA: equal to Heads (K and V are expanded per head)
	// HeadDim is the query/key head size (MLA: nope + rope); VHeadDim the
	// value head size.
	HeadDim, VHeadDim int
	// MLA only; QLoRARank 0 projects queries directly.
	QLoRARank, KVLoRARank, QKRopeHeadDim, QKNopeHeadDim int
	Bias, QKNorm, Sinks                                 bool
	// SlidingWindow applies to the layers LayerPattern marks sliding; the
	// pattern repeats from layer 0. Empty: every layer is full.
	SlidingWindow int
	LayerPattern  []LayerType
}

// FFN describes the dense feed-forward network and the activation.
type FFN struct {
	Intermediate int // 0 when no layer is dense
	Activation   string
	Gated        bool // gate, up and down matrices (SwiGLU); else up and down
}

// MoE describes the mixture-of-experts layers.
type MoE struct {
	RoutedExperts      int
	SharedExperts      int // always active, each of ExpertIntermediate
	TopK               int // routed experts per token
	ExpertIntermediate int
	ExpertBias         bool
	RouterBias         bool
	// Groups > 0 limits routing to TopKGroups of Groups equal groups of
	// experts (DeepSeek-V3: 8 and 4); 0 routes over all experts.
	Groups, TopKGroups int
}

// Published holds the parameter counts the authors publish (0 if none).
type Published struct {
	TotalParams, ActiveParams float64
	// TotalParamsWithMTP is the checkpoint's count with the MTP modules
	// (DeepSeek-V3 on Hugging Face: 685B).
	TotalParamsWithMTP float64
}

// IsMoELayer reports whether layer i (0-based) is a MoE layer. i may be
// Layers or more for MTP modules, whose block is built like the last layer.
func (m *Model) IsMoELayer(i int) bool { return m.MoE != nil && i >= m.DenseLayers }

// MoELayers is the number of MoE layers.
func (m *Model) MoELayers() int {
	if m.MoE == nil {
		return 0
	}
	return m.Layers - m.DenseLayers
}

// IsSliding reports whether layer i attends within a sliding window.
func (m *Model) IsSliding(i int) bool {
	p := m.Attention.LayerPattern
	return len(p) > 0 && p[i%len(p)] == SlidingAttention
}

// SlidingLayers is the number of sliding-window layers.
func (m *Model) SlidingLayers() int {
	n := 0
	for i := range m.Layers {
		if m.IsSliding(i) {
			n++
		}
	}
	return n
}

// LayerParams is one layer's parameters by kind.
type LayerParams struct {
	// Attention holds the projections and their biases, per-head q/k
	// norms, MLA's latent norms and attention sinks.
	Attention float64
	// Norms are the layer's two RMSNorm weight vectors.
	Norms float64
	// FFN is the dense FFN (0 in a MoE layer).
	FFN float64
	// Router is the gate that picks experts, with its bias.
	Router float64
	// Expert is one routed expert; RoutedExperts of them.
	Expert        float64
	RoutedExperts int
	TopK          int
	// SharedExperts is all the layer's shared experts together.
	SharedExperts float64
}

// Total is every parameter of the layer.
func (l LayerParams) Total() float64 {
	return l.Attention + l.Norms + l.FFN + l.Router + l.Expert*float64(l.RoutedExperts) + l.SharedExperts
}

// Active is the parameters one token uses.
func (l LayerParams) Active() float64 {
	return l.Attention + l.Norms + l.FFN + l.Router + l.Expert*float64(l.TopK) + l.SharedExperts
}

// attnMatmul is the attention projection weights of one layer, without
// biases and norms.
func (m *Model) attnMatmul() float64 {
	a := m.Attention
	h, H := float64(m.Hidden), float64(a.Heads)
	if a.Kind == MLA {
		qk := float64(a.QKNopeHeadDim + a.QKRopeHeadDim)
		q := h * H * qk
		if a.QLoRARank > 0 {
			r := float64(a.QLoRARank)
			q = h*r + r*H*qk
		}
		c := float64(a.KVLoRARank)
		kvA := h * (c + float64(a.QKRopeHeadDim))
		kvB := c * H * float64(a.QKNopeHeadDim+a.VHeadDim)
		o := H * float64(a.VHeadDim) * h
		return q + kvA + kvB + o
	}
	d, kv := float64(a.HeadDim), float64(a.KVHeads)
	return h*H*d + 2*h*kv*d + H*d*h
}

// attnExtra is the attention parameters outside the projections.
func (m *Model) attnExtra() float64 {
	a := m.Attention
	var x float64
	if a.Kind == MLA {
		x += float64(a.QLoRARank + a.KVLoRARank) // q_a and kv_a layernorms
	}
	if a.Bias {
		x += float64(a.Heads*a.HeadDim + 2*a.KVHeads*a.HeadDim + m.Hidden)
	}
	if a.QKNorm {
		x += float64(2 * a.HeadDim)
	}
	if a.Sinks {
		x += float64(a.Heads)
	}
	return x
}

func (m *Model) ffnMatrices() float64 {
	if m.FFN.Gated {
		return 3
	}
	return 2
}

// expertMatmul is one expert's weights without biases.
func (m *Model) expertMatmul() float64 {
	return m.ffnMatrices() * float64(m.Hidden) * float64(m.MoE.ExpertIntermediate)
}

func (m *Model) expertParams() float64 {
	p := m.expertMatmul()
	if m.MoE.ExpertBias {
		p += (m.ffnMatrices()-1)*float64(m.MoE.ExpertIntermediate) + float64(m.Hidden)
	}
	return p
}

// Layer returns the parameters of layer i (0-based; Layers and above are
// MTP blocks, built like the last layer).
func (m *Model) Layer(i int) LayerParams {
	l := LayerParams{
		Attention: m.attnMatmul() + m.attnExtra(),
		Norms:     2 * float64(m.Hidden),
	}
	if !m.IsMoELayer(i) {
		l.FFN = m.ffnMatrices() * float64(m.Hidden) * float64(m.FFN.Intermediate)
		return l
	}
	e := m.MoE
	l.Router = float64(e.RoutedExperts) * float64(m.Hidden)
	if e.RouterBias {
		l.Router += float64(e.RoutedExperts)
	}
	l.Expert = m.expertParams()
	l.RoutedExperts, l.TopK = e.RoutedExperts, e.TopK
	l.SharedExperts = float64(e.SharedExperts) * m.expertParams()
	return l
}

// Params is a model's parameters by kind, over all layers.
type Params struct {
	Embedding     float64 // input embedding table
	LMHead        float64 // output projection; 0 when tied to the embedding
	Attention     float64
	Norms         float64 // per-layer and final RMSNorm weights
	DenseFFN      float64
	Router        float64
	RoutedExperts float64
	SharedExperts float64
	// MTP is the multi-token-prediction modules' own parameters (they
	// share the embedding and output head); not in Total.
	MTP float64
}

// Total is the model's parameters without the MTP modules.
func (p Params) Total() float64 {
	return p.Embedding + p.LMHead + p.Attention + p.Norms + p.DenseFFN + p.Router + p.RoutedExperts + p.SharedExperts
}

// Params returns the model's parameters by kind.
func (m *Model) Params() Params {
	h, v := float64(m.Hidden), float64(m.Vocab)
	p := Params{Embedding: v * h, Norms: h}
	if !m.TiedEmbeddings {
		p.LMHead = v * h
	}
	for i := range m.Layers {
		l := m.Layer(i)
		p.Attention += l.Attention
		p.Norms += l.Norms
		p.DenseFFN += l.FFN
		p.Router += l.Router
		p.RoutedExperts += l.Expert * float64(l.RoutedExperts)
		p.SharedExperts += l.SharedExperts
	}
	p.MTP = m.MTPParams()
	return p
}

// TotalParams is every parameter of the model without MTP modules
// (DeepSeek-V3: 671B).
func (m *Model) TotalParams() float64 { return m.Params().Total() }

// ActiveParams is the parameters one token's forward pass multiplies by:
// all but the input embedding table and the routed experts it skips
// (DeepSeek-V3: 37B).
func (m *Model) ActiveParams() float64 {
	h, v := float64(m.Hidden), float64(m.Vocab)
	a := h + v*h // final norm and the output head (tied or not)
	for i := range m.Layers {
		a += m.Layer(i).Active()
	}
	return a
}

// MTPParams is the multi-token-prediction modules' own parameters: per
// module two RMSNorms on its inputs, a 2h x h projection, one transformer
// block and the output head's norm. The embedding and output head are
// shared with the main model (a checkpoint may store copies: DeepSeek-V3's
// 685B on Hugging Face = 671B + MTPParams + embedding + head).
func (m *Model) MTPParams() float64 {
	h := float64(m.Hidden)
	var p float64
	for k := range m.MTPLayers {
		p += 2*h + 2*h*h + m.Layer(m.Layers+k).Total() + h
	}
	return p
}

// KVElementsPerToken is the KV-cache elements one token adds to one layer:
// kv_lora_rank + qk_rope_head_dim for MLA (the latent and the shared rope
// key), 2 x kv_heads x head_dim otherwise.
func (m *Model) KVElementsPerToken() float64 {
	a := m.Attention
	if a.Kind == MLA {
		return float64(a.KVLoRARank + a.QKRopeHeadDim)
	}
	return float64(2 * a.KVHeads * a.HeadDim)
}

// KVBytesPerToken is the KV-cache bytes each further token of context adds
// at dtypeBytes per element: every full-attention layer's elements. A
// sliding-window layer's cache stops growing at its window (see KVBytes).
func (m *Model) KVBytesPerToken(dtypeBytes float64) float64 {
	return float64(m.Layers-m.SlidingLayers()) * m.KVElementsPerToken() * dtypeBytes
}

// KVBytes is the KV cache of one sequence of context tokens, with
// sliding-window layers holding at most their window.
func (m *Model) KVBytes(context int, dtypeBytes float64) float64 {
	var n float64
	for i := range m.Layers {
		n += float64(m.attendedTokens(i, context))
	}
	return n * m.KVElementsPerToken() * dtypeBytes
}

func (m *Model) attendedTokens(layer, context int) int {
	if m.IsSliding(layer) {
		return min(context, m.Attention.SlidingWindow)
	}
	return context
}

// LayerWeightBytes is layer i's weights at bytesPerParam.
func (m *Model) LayerWeightBytes(i int, bytesPerParam float64) float64 {
	return m.Layer(i).Total() * bytesPerParam
}

// WeightBytes is the model's weights (without MTP) at bytesPerParam.
func (m *Model) WeightBytes(bytesPerParam float64) float64 {
	return m.TotalParams() * bytesPerParam
}

// FLOPs is the work of one token's forward pass by operator class.
type FLOPs struct {
	// DenseGEMM is every matrix multiply all tokens make: attention
	// projections, dense FFNs, shared experts, routers and the output head.
	DenseGEMM float64
	// ExpertGEMM is the routed experts' matrix multiplies (top-k per MoE
	// layer), the part expert parallelism distributes.
	ExpertGEMM float64
	// AttentionScores (Q·K) and AttentionValues (softmax·V) grow with the
	// context each layer attends to.
	AttentionScores float64
	AttentionValues float64
}

// Total is all the FLOPs.
func (f FLOPs) Total() float64 {
	return f.DenseGEMM + f.ExpertGEMM + f.AttentionScores + f.AttentionValues
}

// Attention is the scores and values together.
func (f FLOPs) Attention() float64 { return f.AttentionScores + f.AttentionValues }

// FLOPsPerToken is the forward-pass work of a token that attends to
// context tokens (itself and those before it; sliding layers at most their
// window). For decode, context is the sequence length so far; a prefill of
// L tokens averages about L/2. MLA is counted in its expanded form (keys
// of nope + rope and values of v_head_dim per head), as prefill runs it.
// Elementwise work (norms, activations, softmax, rope) and MTP modules are
// not counted.
func (m *Model) FLOPsPerToken(context int) FLOPs {
	a := m.Attention
	return m.flops(context, float64(a.HeadDim), float64(a.VHeadDim))
}

// FLOPsPerTokenAbsorbed is FLOPsPerToken with MLA's up-projections
// absorbed into the query and output (as decode kernels such as FlashMLA
// run it): each head attends over the cached latent, so scores cost
// kv_lora_rank + qk_rope_head_dim and values kv_lora_rank per head and
// token. The projection FLOPs are the same. For MHA and GQA it equals
// FLOPsPerToken.
func (m *Model) FLOPsPerTokenAbsorbed(context int) FLOPs {
	a := m.Attention
	if a.Kind != MLA {
		return m.FLOPsPerToken(context)
	}
	return m.flops(context, float64(a.KVLoRARank+a.QKRopeHeadDim), float64(a.KVLoRARank))
}

func (m *Model) flops(context int, qkDim, vDim float64) FLOPs {
	h, H := float64(m.Hidden), float64(m.Attention.Heads)
	f := FLOPs{DenseGEMM: 2 * float64(m.Vocab) * h}
	for i := range m.Layers {
		f.DenseGEMM += 2 * m.attnMatmul()
		if m.IsMoELayer(i) {
			e := m.MoE
			f.DenseGEMM += 2 * (float64(e.RoutedExperts)*h + float64(e.SharedExperts)*m.expertMatmul())
			f.ExpertGEMM += 2 * float64(e.TopK) * m.expertMatmul()
		} else {
			f.DenseGEMM += 2 * m.ffnMatrices() * h * float64(m.FFN.Intermediate)
		}
		L := float64(m.attendedTokens(i, context))
		f.AttentionScores += 2 * H * qkDim * L
		f.AttentionValues += 2 * H * vDim * L
	}
	return f
}

func sortSources(s []Sourced) {
	sort.SliceStable(s, func(i, j int) bool { return s[i].Line < s[j].Line })
}
