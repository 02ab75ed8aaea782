package kernels

import (
	"math"
	"strconv"
)

// GEMMModel times one GEMM C[m,n] = A[m,k] x B[k,n] on one GPU under one
// serving engine's kernels. It is a roofline with wave quantisation and a
// fixed cost, every coefficient fitted to measured kernels:
//
//	tiles = ceil(m/TileM) x ceil(n/TileN)
//	waves = max(1, tiles/SMs + Quant x (ceil(tiles/SMs) - tiles/SMs))
//	Tc    = waves x (SMs x 2 TileM TileN k / (peak x EffCompute) + WaveS)
//	Tm    = (m k + k n) x bytes(dtype) + 2 m n) / (HBM x EffMemory)
//	time  = LaunchS + (Tc^P + Tm^P)^(1/P)
//
// Tc is the compute of the tiles actually issued (padding included), wave
// by wave; Quant in [0, 1] says how much a partial last wave costs (1: a
// full wave, as with fixed tiles; 0: in proportion, as with stream-K).
// WaveS is a per-wave prologue and epilogue. The P-norm is a soft maximum
// of the two roofline terms (P large: the hard max).
//
// Two refinements follow the kernels' own heuristics. With Menu set, each
// shape runs the fastest tile of the menu TileM/2^i x TileN/2^j (sides down
// to 64), as cuBLAS, DeepGEMM and CUTLASS dispatchers pick a tile per shape;
// with FeedBW set, a CTA's k loop also waits for the (tm + tn) x bytes(dtype)
// per step of k it streams from L2, so small tiles cost more than their
// FLOPs and the menu does not collapse to the smallest tile:
//
//	Tc(tm, tn) = waves x (max(SMs 2 tm tn k / (peak EffCompute), (tm + tn) k bytes / FeedBW) + WaveS)
//
// The menu costs at most nine tile evaluations per call.
type GEMMModel struct {
	System, Engine, Dtype string

	Peak float64 // dense peak, FLOP/s (datasheet)
	HBM  float64 // HBM bandwidth, B/s (datasheet)
	SMs  int     // datasheet

	TileM, TileN int     // fitted tile shape (from a fixed menu)
	AdaptM       bool    // fitted: small m runs a halved M tile (down to 16)
	EffCompute   float64 // fitted fraction of Peak
	EffMemory    float64 // fitted fraction of HBM
	Quant        float64 // fitted weight of the partial last wave, 0..1
	WaveS        float64 // fitted per-wave fixed cost, s
	LaunchS      float64 // fitted per-call fixed cost, s
	P            float64 // fitted soft-max exponent, >= 1
	KMin         float64 // fitted least k per split-K slice, elements
	CTABW        float64 // fitted HBM bandwidth one CTA can draw, B/s
	ActBytes     float64 // fitted HBM bytes per activation element outside the GEMM (quantisation), B
	Menu         bool    // fitted: each shape runs the fastest tile of the menu up to TileM x TileN
	FeedBW       float64 // fitted L2-to-SM bandwidth per SM that feeds a tile's k loop, B/s (0: unlimited)

	Source string // the table the coefficients came from

	// The fit's own report on the held-out (check) part of the embedded
	// sample: number of shapes, median and p90 of |predicted/measured - 1|.
	CheckN                int
	CheckMedian, CheckP90 float64
}

// Terms are the parts of one GEMM's predicted time, seconds.
type Terms struct {
	Compute, Memory, Quant, Launch float64
	Waves                          float64
	Time                           float64
}

// Time is the predicted time of one GEMM, seconds. It costs a few dozen
// floating-point operations per tile evaluated (one, or up to nine with
// Menu), one or two math.Pow calls and allocates nothing. Shapes with a zero or negative side take the
// launch cost alone.
func (g *GEMMModel) Time(m, n, k int) float64 { return g.Terms(m, n, k).Time }

// Terms is Time with its roofline terms.
func (g *GEMMModel) Terms(m, n, k int) Terms {
	if m <= 0 || n <= 0 || k <= 0 {
		return Terms{Launch: g.LaunchS, Time: g.LaunchS}
	}
	sms := float64(g.SMs)
	tm0 := g.TileM
	for g.AdaptM && tm0 > 16 && tm0/2 >= m {
		tm0 /= 2 // small m: the kernel's smaller M tile (or swap-AB)
	}
	tc, ctas, waves := g.compute(m, n, k, tm0, g.TileN)
	if g.Menu {
		// the kernel's heuristic runs the fastest tile of its menu
		for tm := tm0; tm >= min(tm0, 64); tm /= 2 {
			for tn := g.TileN; tn >= 64; tn /= 2 {
				if tm == tm0 && tn == g.TileN {
					continue
				}
				if c, cs, w := g.compute(m, n, k, tm, tn); c < tc {
					tc, ctas, waves = c, cs, w
				}
			}
		}
	}
	fm, fn, fk := float64(m), float64(n), float64(k)
	bytes := (fm*fk+fk*fn)*elemBytes(g.Dtype) + 2*fm*fn
	tm := bytes / math.Min(g.HBM*g.EffMemory, math.Min(ctas, sms)*g.CTABW)
	var t float64
	switch {
	case g.P <= 1:
		t = tc + tm
	case g.P >= 64:
		t = math.Max(tc, tm)
	default:
		// scale by the larger term so the power cannot overflow
		big := math.Max(tc, tm)
		t = big * math.Pow(math.Pow(tc/big, g.P)+math.Pow(tm/big, g.P), 1/g.P)
	}
	tq := fm * fk * g.ActBytes / g.HBM
	return Terms{Compute: tc, Memory: tm, Quant: tq, Launch: g.LaunchS, Waves: waves, Time: g.LaunchS + tq + t}
}

// compute is the wave-quantised compute time of one tile shape, with the
// CTAs it launches and its wave count.
func (g *GEMMModel) compute(m, n, k, tm, tn int) (tc, ctas, waves float64) {
	sms := float64(g.SMs)
	tiles := float64(ceilDiv(m, tm) * ceilDiv(n, tn))
	splits := math.Min(sms/tiles, float64(k)/g.KMin)
	if splits < 1 {
		splits = 1
	}
	ctas = tiles * splits
	soft := ctas / sms
	waves = soft + g.Quant*(math.Ceil(soft)-soft)
	if waves < 1 {
		waves = 1
	}
	tile := 2 * float64(tm) * float64(tn) * float64(k) / splits
	per := sms * tile / (g.Peak * g.EffCompute)
	if g.FeedBW > 0 {
		// a CTA streams (tm + tn) elements per step of k from L2
		per = math.Max(per, float64(tm+tn)*float64(k)/splits*elemBytes(g.Dtype)/g.FeedBW)
	}
	return waves * (per + g.WaveS), ctas, waves
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// GEMMKey is a GEMM shape's key for the sample and the split, "MxNxK".
func GEMMKey(m, n, k int) string {
	return strconv.Itoa(m) + "x" + strconv.Itoa(n) + "x" + strconv.Itoa(k)
}

// GEMMSamplePerMille is the rate at which GEMM shapes enter the embedded
// sample (see internal/mksample).
const GEMMSamplePerMille = 12
