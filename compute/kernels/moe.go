package kernels

import "math"

// MoEModel times one fused MoE layer (routing, the grouped expert GEMMs,
// activation and the weighted combine; no all-to-all) on one GPU under one
// engine's kernel, for one dtype and one token distribution (AIConfigurator's
// "balanced", "power_law_1.01", "power_law_1.2"). With T tokens, hidden size
// H, expert intermediate size I, top-k K, E experts, MoE TP and EP sizes:
//
//	local experts  El = E/ep,  slice I' = I/tp,  assignments A = T K / ep
//	active experts Ea = min(El, ceil(A))          (balanced routing)
//	               Ea = El x (1 - exp(-A Spread/El))   (skewed: fewer hit)
//	padded rows    R  = Ea x ceil(A/Ea / TileM) x TileM
//	FLOPs  = 2 R H I' x mats       (mats: 3 gated, 2 non-gated)
//	bytes  = Ea H I' mats x wbytes + A H x 4 + T H x 4
//	Tc = FLOPs / (peak x EffCompute),  Tm = bytes / (HBM x EffMemory)
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

	TileM      int     // fitted row tile of the grouped GEMM (menu)
	EffCompute float64 // fitted
	EffMemory  float64 // fitted
	LaunchS    float64 // fitted per-call fixed cost, s
	AssignS    float64 // fitted cost per local (token, expert) assignment, s
	TokenS     float64 // fitted cost per input token (routing, top-k, permute of all T), s
	P          float64 // fitted soft-max exponent
	Spread     float64 // fitted: skewed routing's distinct experts per assignment, relative to uniform

	Table string // the table the coefficients came from

	CheckN                int
	CheckMedian, CheckP90 float64
}

// Time is the predicted time of one fused MoE layer, seconds, for tokens
// tokens on this GPU. It costs one math.Pow for the expected active
// experts (skewed routing), two for the soft maximum, and allocates nothing.
func (m *MoEModel) Time(tokens, hidden, inter, topk, experts, tp, ep int) float64 {
	if tokens <= 0 || hidden <= 0 || inter <= 0 || topk <= 0 || experts <= 0 || tp <= 0 || ep <= 0 {
		return m.LaunchS
	}
	el := math.Max(1, float64(experts)/float64(ep))
	a := float64(tokens) * float64(topk) / float64(ep)
	return m.RankTime(float64(tokens), a, el, hidden, inter, tp)
}

// RankTime is Time for one rank as a serving engine runs it, in the
// model's own terms: tokens rows into the kernel (routed and permuted at
// TokenS each), assignments (token, local expert) pairs over local experts
// on this GPU, the experts' intermediate size split over tp. Time(T, ...,
// E, tp, ep) is RankTime(T, T K/ep, max(1, E/ep), ...); an engine with
// expert parallelism over DeepEP-style dispatch hands its kernel only the
// rows dispatched to it (tokens = assignments), not the whole group's.
// Sizes are real numbers (a busy rank's share need not be whole); a zero
// or negative one takes the launch cost alone.
func (m *MoEModel) RankTime(tokens, assignments, localExperts float64, hidden, inter, tp int) float64 {
	if !(tokens > 0) || !(assignments > 0) || !(localExperts > 0) || hidden <= 0 || inter <= 0 || tp <= 0 {
		return m.LaunchS
	}
	el, a := localExperts, assignments
	islice := float64(inter) / float64(tp)
	var ea float64
	if m.Distribution == "balanced" {
		ea = math.Min(el, math.Ceil(a)) // balanced routing spreads assignments over distinct experts
	} else {
		ea = el * -math.Expm1(-a*m.Spread/el) // skewed routing hits fewer
	}
	ea = math.Max(ea, 1)
	per := a / ea
	rows := ea * math.Ceil(per/float64(m.TileM)) * float64(m.TileM)
	mats := 2.0
	if m.Gated {
		mats = 3
	}
	h := float64(hidden)
	flops := 2 * rows * h * islice * mats
	bytes := ea*h*islice*mats*m.WBytes + a*h*4 + tokens*h*4
	tc := flops / (m.Peak * m.EffCompute)
	tm := bytes / (m.HBM * m.EffMemory)
	return m.LaunchS + tokens*m.TokenS + a*m.AssignS + softMax(tc, tm, m.P)
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
