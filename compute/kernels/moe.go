package kernels

import (
	"math"
	"slices"
)

// MoEModel times one fused MoE layer (routing, the grouped expert GEMMs,
// activation and the weighted combine; no all-to-all) on one GPU under one
// engine's kernel, for one dtype and one token distribution (AIConfigurator's
// "balanced", "power_law_1.01", "power_law_1.2"). With T tokens into the
// kernel, hidden size H, expert intermediate size I, top-k K, E experts,
// MoE TP and EP sizes, the GPU holds El = E/ep experts and the slice
// I' = I/tp of each. The routing decides three counts on it (MoERoute):
//
//	assignments A   (token, local expert) pairs; balanced: T K / ep
//	active experts Ea  local experts with at least one; balanced: min(El, ceil(A))
//	padded rows    R   sum over active experts of ceil(c_e / tile) x tile
//
// Skewed tables are timed on AIConfigurator's own generator (see
// MoERouting): per-expert counts drawn from a power law, and the GPU
// measured is the busiest EP rank, so it gets more assignments on fewer
// experts than balanced routing would give it.
//
// The grouped GEMM pads each expert's rows to a row tile that the kernel
// picks from its own estimate of the rows per expert, not from the rows it
// gets: tile = clamp(pow2ceil(TileScale x est), TileMin, TileMax), with est
// = T K / El (TensorRT-LLM's and FlashInfer's tile heuristic: every token's
// top-k counted as local) or est = T (TileByTokens: a config picked by the
// batch's rows, as SGLang's Triton kernel does). Under expert parallelism
// without DeepEP-style dispatch the estimate is ep times the real rows per
// expert, so the tile over-pads: the table steps up where the estimate
// crosses a power of two, and comes back down as the real rows fill it.
//
//	CTAs   = R/tile x ceil(N/TileN) per GEMM (up: N = 2 I' gated, I' not; down: N = H)
//	waves  = max(1, CTAs/SMs + Quant x (ceil(CTAs/SMs) - CTAs/SMs))
//	Tc = sum over both GEMMs of waves x SMs x 2 tile TileN depth / (peak x EffCompute)
//	bytes  = Ea H I' mats x wbytes + A H x 4 + T H x 4,  Tm = bytes / (HBM x EffMemory)
//	time = LaunchS + T x TokenS + A x AssignS + (Tc^P + Tm^P)^(1/P)
//
// TokenS is the per-token cost of routing every input token (the table's
// tokens are the layer's, of which this GPU computes its experts' share);
// AssignS the per-assignment cost of permute and combine.
// Coefficients but the datasheet's are fitted to measured kernels.
type MoEModel struct {
	System, Engine, Source string // Source: the kernel the table measured
	Dtype, Distribution    string

	Peak   float64 // FLOP/s of the dtype's compute (datasheet)
	HBM    float64 // B/s (datasheet)
	WBytes float64 // weight bytes per element (scales included)
	Gated  bool    // gate and up projections (3 matrices) or 2
	Alpha  float64 // the table's power-law exponent (its distribution's name); 0: balanced
	SMs    int     // streaming multiprocessors (datasheet), the unit of wave quantisation
	// AllSlots: the activation and combine passes run over every top-k
	// slot of the kernel's input tokens, the non-local ones written as
	// zeros (SGLang's Triton kernel as AIConfigurator's legacy SGLang
	// table measured it: at EP 32-256 and 16,384 tokens its time stays
	// near 1.5 ms for a 4096 x 2048 bf16 layer while the local work falls
	// 8x, AIConfigurator h100_sxm/moe/sglang-0.5.14/moe_perf). Set by
	// kernel, not fitted.
	AllSlots bool

	TileMin, TileMax int     // fitted (menu, powers of two 8-256): the row tiles the kernel picks from
	TileScale        float64 // fitted (menu): tile = pow2ceil(TileScale x estimated rows per expert)
	TileByTokens     bool    // fitted (menu): the estimate is the tokens, not tokens x top-k / local experts
	TileN            int     // fitted (menu: 64, 128, 256): the grouped GEMMs' column tile
	EffCompute       float64 // fitted
	EffMemory        float64 // fitted
	LaunchS          float64 // fitted per-call fixed cost, s
	AssignS          float64 // fitted cost per local (token, expert) assignment, s
	TokenS           float64 // fitted cost per input token (routing, top-k, permute of all T), s
	P                float64 // fitted soft-max exponent
	Quant            float64 // fitted weight of a partial last wave, 0..1

	Table string // the table the coefficients came from

	CheckN                int
	CheckMedian, CheckP90 float64
}

// moeTiles is the number of row tiles MoERoute carries padded rows for:
// 8, 16, ..., 256.
const moeTiles = 6

// MoERoute is what the routing of one call leaves on the GPU that the
// table measured: the kernel's input tokens, its local assignments and
// active experts, the padded rows at each row tile (Rows[i] at tile
// 8 << i), and the rows per expert the kernel's tile heuristic estimates
// (Est, T K / El; RankTime: A / El).
type MoERoute struct {
	Tokens, Assign, Active, Est float64
	Slots                       float64 // top-k slots of the input tokens, T K (RankTime: the assignments)
	Rows                        [moeTiles]float64
}

// Time is the predicted time of one fused MoE layer, seconds, for tokens
// tokens on this GPU. Balanced routing is arithmetic; a skewed table's
// routing is replayed (MoERouting: a few thousand math.Pow) and allocates
// nothing either.
func (m *MoEModel) Time(tokens, hidden, inter, topk, experts, tp, ep int) float64 {
	if tokens <= 0 || hidden <= 0 || inter <= 0 || topk <= 0 || experts <= 0 || tp <= 0 || ep <= 0 {
		return m.LaunchS
	}
	r := MoERouting(m.Alpha, tokens, topk, experts, ep)
	return m.RouteTime(&r, hidden, inter, tp)
}

// RankTime is Time for one rank as a serving engine runs it, in the
// model's own terms: tokens rows into the kernel (routed and permuted at
// TokenS each), assignments (token, local expert) pairs spread evenly over
// localExperts experts on this GPU, the experts' intermediate size split
// over tp. An engine with expert parallelism over DeepEP-style dispatch
// hands its kernel only the rows dispatched to it (tokens = assignments),
// not the whole group's, and the kernel's tile heuristic sees the rows
// per expert it really gets. Sizes are real numbers (a busy rank's share
// need not be whole); a zero or negative one takes the launch cost alone.
func (m *MoEModel) RankTime(tokens, assignments, localExperts float64, hidden, inter, tp int) float64 {
	if !(tokens > 0) || !(assignments > 0) || !(localExperts > 0) || hidden <= 0 || inter <= 0 || tp <= 0 {
		return m.LaunchS
	}
	r := evenRoute(tokens, assignments, localExperts, assignments/localExperts)
	r.Slots = assignments
	return m.RouteTime(&r, hidden, inter, tp)
}

// evenRoute spreads a assignments evenly over min(el, ceil(a)) experts.
func evenRoute(tokens, a, el, est float64) MoERoute {
	ea := math.Max(1, math.Min(el, math.Ceil(a)))
	per := a / ea
	r := MoERoute{Tokens: tokens, Assign: a, Active: ea, Est: est}
	for i := range r.Rows {
		t := float64(int(8) << i)
		r.Rows[i] = ea * math.Ceil(per/t) * t
	}
	return r
}

// Tile is the row tile the kernel picks for an estimate of est rows per
// expert (tokens under TileByTokens).
func (m *MoEModel) Tile(r *MoERoute) int {
	est := r.Est
	if m.TileByTokens {
		est = r.Tokens
	}
	t := 8
	for t < m.TileMax && float64(t) < m.TileScale*est {
		t *= 2
	}
	return max(t, m.TileMin)
}

// RouteTime is the time of one call with routing r (MoERouting, or
// RankTime's even spread), seconds.
func (m *MoEModel) RouteTime(r *MoERoute, hidden, inter, tp int) float64 {
	if !(r.Tokens > 0) || !(r.Assign > 0) {
		return m.LaunchS
	}
	ti := 0
	for t := m.Tile(r); t > 8 && ti < moeTiles-1; t /= 2 {
		ti++
	}
	islice := float64(inter) / float64(tp)
	mats := 2.0
	if m.Gated {
		mats = 3
	}
	h := float64(hidden)
	// Two grouped GEMMs, up (gate and up fused: width (mats-1) I', depth
	// H) and down (width H, depth I'), in CTAs of tile x TileN, wave by
	// wave over the SMs: a call with fewer CTAs than SMs still takes a
	// whole wave.
	tiles := r.Rows[ti] / float64(m.Tile(r))
	tn := float64(m.TileN)
	n1 := math.Ceil((mats - 1) * islice / tn)
	n2 := math.Ceil(h / tn)
	cta := 2 * r.Rows[ti] / tiles * tn // FLOPs per unit depth of one CTA
	sms := float64(m.SMs)
	tc := (m.waves(tiles*n1)*sms*cta*h + m.waves(tiles*n2)*sms*cta*islice) / (m.Peak * m.EffCompute)
	// Weights of the active experts; the input read and output written
	// (bf16, 2 bytes each) per token and the gather and scatter per local
	// assignment; and the intermediates between the passes (up GEMM out,
	// activation out, down GEMM out: mats I' + H bf16 values, written once
	// and read once) per slot: local assignments, or under AllSlots every
	// top-k slot of the input tokens.
	slots := r.Assign
	if m.AllSlots && r.Slots > slots {
		slots = r.Slots
	}
	bytes := r.Active*h*islice*mats*m.WBytes + r.Assign*h*4 + r.Tokens*h*4 + slots*(mats*islice+h)*4
	tm := bytes / (m.HBM * m.EffMemory)
	return m.LaunchS + r.Tokens*m.TokenS + r.Assign*m.AssignS + softMax(tc, tm, m.P)
}

// waves is the waves ctas CTAs take on the SMs: in proportion past one
// wave, a partial last wave costing Quant of a whole one, and never less
// than one wave.
func (m *MoEModel) waves(ctas float64) float64 {
	soft := ctas / float64(m.SMs)
	w := soft + m.Quant*(math.Ceil(soft)-soft)
	return math.Max(w, 1)
}

// moeDraws is how many routings MoERouting replays for a skewed table
// (the collector averages its latency over 5 draws per shape; 16 give the
// expectation to a few per cent); moeMaxExperts the most experts it
// replays (more are spread evenly).
const (
	moeDraws      = 16
	moeMaxExperts = 1024
)

// MoERouting is the routing AIConfigurator's MoE collector
// (collector/helper.py, balanced_logits and power_law_logits_v3) gives
// the GPU it times, for tokens tokens of top-k topk over experts experts
// at EP size ep. Balanced (alpha 0): every token's k experts a stride
// apart, so the GPU's El = E/ep experts get T K / ep assignments evenly.
// Power law (alpha > 0): the collector draws one count per expert from
// p(x) ~ x^-alpha on [1, 0.8 T] (on [0.01, 2] when T K <= E), scales the
// counts to T K, rounds them, moves the rounding remainder onto the
// largest experts (or, short, takes it from the smallest) and times the
// EP rank with the most assignments. MoERouting replays that on a fixed
// pseudo-random stream, moeDraws times, and averages the busiest rank's
// counts: same input, same routing, bit for bit.
func MoERouting(alpha float64, tokens, topk, experts, ep int) MoERoute {
	el := max(1, experts/ep)
	est := float64(tokens) * float64(topk) / float64(el)
	if alpha <= 0 || experts > moeMaxExperts || alpha == 1 {
		a := float64(tokens) * float64(topk) / float64(ep)
		r := evenRoute(float64(tokens), a, float64(el), est)
		r.Slots = float64(tokens) * float64(topk)
		return r
	}
	var x [moeMaxExperts]float64
	var c [moeMaxExperts]int
	var idx [moeMaxExperts]int
	target := tokens * topk
	xmin, xmax := 1.0, 0.8*float64(tokens)
	if target <= experts {
		xmin, xmax = 0.01, 2
	}
	e1 := 1 - alpha
	lo := math.Pow(xmin, e1)
	span := math.Pow(xmax, e1) - lo
	out := MoERoute{Tokens: float64(tokens), Est: est, Slots: float64(tokens) * float64(topk)}
	state := uint64(0x9e3779b97f4a7c15)
	for range moeDraws {
		sum := 0.0
		for e := range experts {
			state += 0x9e3779b97f4a7c15
			z := state
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
			z = (z ^ (z >> 27)) * 0x94d049bb133111eb
			z ^= z >> 31
			u := float64(z>>11) / (1 << 53)
			x[e] = math.Pow(span*u+lo, 1/e1)
			sum += x[e]
		}
		tot := 0
		for e := range experts {
			c[e] = int(math.RoundToEven(x[e] / sum * float64(target)))
			tot += c[e]
		}
		if delta := target - tot; delta != 0 {
			ids := idx[:experts]
			for e := range ids {
				ids[e] = e
			}
			slices.SortFunc(ids, func(a, b int) int {
				if c[a] != c[b] {
					return c[b] - c[a]
				}
				return a - b
			})
			for i := 0; i < delta; i++ {
				c[ids[i%experts]]++
			}
			for i := 0; i < -delta; i++ {
				if j := ids[experts-1-i%experts]; c[j] > 0 {
					c[j]--
				} else {
					c[argmaxInt(c[:experts])]--
				}
			}
		}
		best, br := -1, 0
		for r := 0; r+el <= experts; r += el {
			s := 0
			for _, v := range c[r : r+el] {
				s += v
			}
			if s > best {
				best, br = s, r
			}
		}
		for _, v := range c[br : br+el] {
			if v <= 0 {
				continue
			}
			out.Active++
			out.Assign += float64(v)
			for i := range out.Rows {
				t := int(8) << i
				out.Rows[i] += float64((v + t - 1) / t * t)
			}
		}
	}
	out.Active /= moeDraws
	out.Assign /= moeDraws
	for i := range out.Rows {
		out.Rows[i] /= moeDraws
	}
	if out.Active < 1 {
		out.Active = 1
	}
	return out
}

func argmaxInt(v []int) int {
	j := 0
	for i, x := range v {
		if x > v[j] {
			j = i
		}
	}
	return j
}

// moeDtype is the compute dtype (whose peak applies) and the weight bytes
// per element of an MoE dtype: mxfp4 is 4 bits plus one 8-bit scale per 32;
// w4a16 computes in bf16, w4a8 in fp8; int4 weight-only in bf16.
func moeDtype(d string) (compute string, wbytes float64, ok bool) {
	switch d {
	case "bf16":
		return "bf16", 2, true
	case "fp8":
		return "fp8", 1, true
	case "fp8_block":
		return "fp8_block", 1 + 4.0/(128*128), true
	case "nvfp4":
		return "nvfp4", 0.5 + 1.0/16, true
	case "w4a16_mxfp4", "int4_wo":
		return "bf16", 0.5 + 1.0/32, true
	case "w4a8_mxfp4_mxfp8":
		return "fp8", 0.5 + 1.0/32, true
	}
	return "", 0, false
}

// MoEDtype reports the compute dtype and weight bytes per element the MoE
// model uses for an AIConfigurator MoE dtype.
func MoEDtype(d string) (compute string, wbytes float64, ok bool) { return moeDtype(d) }
