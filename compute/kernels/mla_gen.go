package kernels

import (
	"fmt"
	"math"
)

// DispatchMLAGen (Blackwell MLA generation): TensorRT-LLM's trtllm-gen
// FMHA kernels for DeepSeek's absorbed MLA decode (head sizes 576 and
// 512), launched as mlaGenLaunch works out. MLAModel.Time takes the cost
// form of mlaGenTime for a model with this dispatch.
const DispatchMLAGen = "trtllm-gen-mla"

// mlaStepKv is the trtllm-gen MLA decode kernels' KV step (tileSizeKv
// 128); TensorRT-LLM splits a sequence's KV into at most
// ceil(s / (2 x 128)) CTAs and assumes 256 tokens per split in its kernel
// choice (fmhaKernels.h, see mlaGenLaunch).
const mlaStepKv = 128

// mlaReduction is how the split-KV partials of one sequence are combined.
type mlaReduction int

const (
	redNone     mlaReduction = iota // one CTA per (sequence, head tile): no split
	redCGA                          // a cluster of the splits reduces in distributed shared memory
	redGmem                         // partials to global memory, the last CTA reduces them
	redSeparate                     // partials to global memory, a separate reduction kernel
)

// mlaGenLaunchInfo is one trtllm-gen MLA decode launch.
type mlaGenLaunchInfo struct {
	keeps   bool         // the high-throughput KeepsMmaAb kernel (tile of 64 heads); else the low-latency SwapsMmaAb one
	twoCTA  bool         // KeepsMmaAb with a 2-CTA MMA (128 heads over a CTA pair)
	tileH   int          // query heads one CTA's MMA covers (8, 16 or 64)
	dimV    int          // value dimensions per CTA (512, 256 or 128)
	splits  int          // CTAs per sequence's KV
	ctas    int          // CTAs in the grid
	readers int          // CTAs that each stream their KV span from HBM (a 2-CTA pair shares one)
	seqCTA  int          // KV tokens per CTA
	red     mlaReduction // how the splits combine
	cluster int          // CGA cluster size (splits), 1 without
}

// mlaGenLaunch is TensorRT-LLM's launch of one MLA decode call of b
// sequences of KV length s with h query heads (one latent KV head) on
// sms SMs, from its source (github.com/NVIDIA/TensorRT-LLM,
// cpp/tensorrt_llm/kernels/trtllmGenKernels/fmha/fmhaKernels.h: the
// kernel choice as at commit 52cd475a56f5 (useSwapsMmaAbMlaGenKernel), the
// factor-2 split cap and selectMlaGenerationKernel from the later main
// version of the same file (TRTLLM_NAMESPACE_BEGIN, CtaLaunchParams);
// AIConfigurator's tables ran trtllm-1.3.0rc20, whose exact file we
// have not seen, so the fitted costs absorb any difference):
//
//   - SwapsMmaAb (low latency, 8 or 16 heads per CTA) when h <= 32, or when
//     b ceil(h/16) <= sms and the KV per CTA at ceil(s/256) splits capped
//     to sms / (b ceil(h/16)) is at most 1,024 tokens
//     (useSwapsMmaAbMlaGenKernel); else KeepsMmaAb (64 heads per CTA, a
//     2-CTA MMA at 128 heads with 256 value dimensions per CTA, its
//     split partials combined by a separate reduction kernel)
//   - splits = min(ceil(s / (2 x 128)), max(1, sms / CTAs without split))
//     (computeNumCtas); one split runs unsplit
//   - 2 to 16 splits of a SwapsMmaAb call reduce in a CGA cluster
//     (CgaSmemReduction), except for b = 1 (isDsv3MinLatencyMode); the
//     rest through global memory
//   - a SwapsMmaAb grid still under half the SMs splits the value
//     dimensions (headDimPerCtaV 512 -> 256, or 128 under a quarter; b = 1
//     takes the whole GPU as its bound), and is laid out again
//
// The runtime's one further switch, CGA clusters that would not fit in
// one wave fall back to global-memory reduction (cuOccupancyMaxActiveClusters),
// is left to the cost's cluster limit (mlaGenTime). Cost: a few dozen
// integer operations, no allocation.
func mlaGenLaunch(b, s, h, sms int) mlaGenLaunchInfo {
	var l mlaGenLaunchInfo
	hq16 := ceilDiv(h, 16)
	swaps := h <= 32
	if !swaps {
		n := b * hq16
		if n <= sms {
			sp := min(ceilDiv(s, 256), max(1, sms/n))
			swaps = ceilDiv(s, sp) <= 1024
		}
	}
	minLat := b == 1
	dimV := 512
	var y, x int // head-tile CTAs and CTAs per split of one sequence
	if swaps {
		l.tileH = 16
		if h <= 8 {
			l.tileH = 8
		}
		y, x = ceilDiv(h, l.tileH), 1
	} else {
		l.keeps, l.tileH = true, 64
		y, x = ceilDiv(h, 64), 1
		if h%128 == 0 {
			// The pair covers 128 heads, both head tiles and both value
			// halves. Past the tables' 128 heads (MTP's draft tokens
			// folded into the heads) each query token is its own pair
			// (computeNumCtas: numCtasPerSeqQ = seqLenQ in generation).
			l.twoCTA, dimV = true, 256
			y, x = h/128, 2
		}
	}
	for range 4 { // at most one value-dimension split: two layouts
		perSeq := x * y * (512 / dimV)
		if l.twoCTA {
			perSeq = x * y
		}
		sp := min(ceilDiv(s, 2*mlaStepKv), max(1, sms/(perSeq*b)))
		l.splits, l.ctas = sp, b*perSeq*sp
		switch {
		case sp <= 1:
			l.red, l.cluster = redNone, 1
		case l.keeps:
			l.red, l.cluster = redSeparate, 1
		case sp <= 16 && !minLat:
			l.red, l.cluster = redCGA, sp
		default:
			l.red, l.cluster = redGmem, 1
		}
		corr := 2
		if minLat {
			corr = 1
		}
		if !swaps || dimV != 512 || l.ctas*corr > sms {
			break
		}
		dimV = 256
		if l.ctas*2*corr <= sms {
			dimV = 128
		}
	}
	l.dimV = dimV
	l.seqCTA = ceilDiv(s, l.splits)
	l.readers = l.ctas
	if l.twoCTA {
		l.readers = l.ctas / 2
	}
	return l
}

// mlaGenTime is the cost of one trtllm-gen MLA decode call of b
// sequences, KV length s, h heads, laid out by mlaGenLaunch, seconds:
//
//	bytes = readers x seqCTA x 576 x kvbytes + 4 b h 512     (each CTA streams its span of the latent and RoPE key)
//	flops = ctas x 2 tileH x seqCTA x (576 + dimV)          (the MMA pads the heads to its tile)
//	waves = max(1, ctas/SMs + Quant (ceil(ctas/SMs) - ctas/SMs))
//	Tc    = flops / (Peak x EffCompute (x MHAMem on KeepsMmaAb)) x waves x SMs / ctas
//	hbm   = bytes with the re-reads cut by Reuse: one (sequence, split) span
//	        comes from HBM once, its other head tiles and value slices
//	        (readers - b splits of them) re-read it from L2, Reuse x faster
//	hit   = 1 / (1 + (hbm/L2Bytes)^4)                        (the collector re-runs one call on the same KV:
//	                                                          a working set under L2 comes from L2)
//	Tm    = ((hbm (1 - hit + hit/L2Gain) / bw)^Q + (bytes / (min(ctas, SMs) x CTABW))^Q)^(1/Q),  bw = HBM x EffMemory
//	fixed = ctas x HeadS                                     (per CTA: Q load, softmax epilogue, O store)
//	red   = splits x GroupS on global-memory reduction, + GroupLaunchS for
//	        KeepsMmaAb's separate reduction kernel; CGA reduction is free
//	time  = LaunchS + fixed + red + b s 576 x TokenBytes / HBM + (Tc^P + Tm^P)^(1/P)
//
// A CGA launch in clusters of 9 to 16 splits whose CTAs, counted in
// 512-wide value CTAs (ctas x dimV/512: shared memory grows with the value
// width), exceed KMin cannot be held by the GPU at once and runs
// global-memory reduction instead, the runtime's fallback; KMin is fitted
// from a menu. Cost: mlaGenLaunch and two dozen floating-point operations.
func (a *AttentionModel) mlaGenTime(b, s, h int) float64 {
	l := mlaGenLaunch(b, s, h, a.SMs)
	if l.red == redCGA && l.cluster > 8 && float64(l.ctas*l.dimV)/512 > a.KMin {
		l.red = redGmem
	}
	kvb := elemBytes(a.KVDtype)
	fb, fh := float64(b), float64(h)
	ctas, sms := float64(l.ctas), float64(a.SMs)
	seq := float64(l.seqCTA)
	bytes := float64(l.readers)*seq*(mlaLatent+mlaRope)*kvb + 4*fb*fh*mlaLatent
	// One (sequence, split) span is read from HBM once; the other head
	// tiles and value slices of it run alongside and re-read it from L2.
	uniq := float64(b * l.splits)
	hbm := bytes
	if a.Reuse > 1 && float64(l.readers) > uniq {
		hbm = (uniq+(float64(l.readers)-uniq)/a.Reuse)*seq*(mlaLatent+mlaRope)*kvb + 4*fb*fh*mlaLatent
	}
	flops := ctas * 2 * float64(l.tileH) * seq * float64(mlaLatent+mlaRope+l.dimV)
	rate := a.Peak * a.EffCompute
	if l.keeps && a.MHAMem > 0 {
		rate *= a.MHAMem
	}
	soft := ctas / sms
	waves := math.Max(1, soft+a.Quant*(math.Ceil(soft)-soft))
	tc := flops / rate * waves * sms / ctas
	bw := a.HBM * a.EffMemory
	eff := hbm
	if a.L2Bytes > 0 && a.L2Gain > 0 {
		r := hbm / a.L2Bytes
		r *= r
		hit := 1 / (1 + r*r)
		eff = hbm * (1 - hit + hit/a.L2Gain)
	}
	tm := softMax(eff/bw, bytes/(math.Min(ctas, sms)*a.CTABW), a.Q)
	red := 0.0
	switch l.red {
	case redGmem:
		red = float64(l.splits) * a.GroupS
	case redSeparate:
		red = float64(l.splits)*a.GroupS + a.GroupLaunchS
	}
	tt := fb * float64(s) * (mlaLatent + mlaRope) * a.TokenBytes / a.HBM
	return a.LaunchS + ctas*a.HeadS + red + tt + softMax(tc, tm, a.P)
}

// MLAGenLaunchString describes the trtllm-gen MLA decode launch of b
// sequences of KV length s with h heads on sms SMs (for the fit's dumps).
func MLAGenLaunchString(b, s, h, sms int) string {
	l := mlaGenLaunch(b, s, h, sms)
	k := "swaps"
	if l.twoCTA {
		k = "keeps2"
	} else if l.keeps {
		k = "keeps"
	}
	return fmt.Sprintf("%s/t%d/v%d sp=%d ctas=%d seq=%d red=%d", k, l.tileH, l.dimV, l.splits, l.ctas, l.seqCTA, l.red)
}
