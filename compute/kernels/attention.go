package kernels

import "math"

// Attention phases.
const (
	Context    = "context"    // prefill: a whole prompt attends to itself, causally
	Generation = "generation" // decode: one new token per sequence attends to its KV cache
)

// AttentionModel times one fused attention kernel (GQA/MHA, full causal
// attention, no sliding window) on one GPU under one engine's kernels, for
// one phase and one pair of dtypes. Like GEMMModel it is a roofline with
// wave quantisation and fixed costs, every coefficient but the datasheet's
// fitted to measured kernels. With b sequences of length s (context: the
// prompt; generation: the KV length), h query heads, g KV heads of size d:
//
//	context:    FLOPs = 4 b h d s (s+1)/2 (causal QK^T and PV)
//	            CTAs  = b h ceil(s/TileQ)
//	            bytes = b s d (4h + 2g x kvbytes)   (Q, O in bf16; K, V)
//	generation: FLOPs = 4 b h d s
//	            u     = g if 1 < h/g <= GroupMax (grouped kernel), else h (MHA, or the fallback)
//	            CTAs  = b u x splits, splits = clamp(SMs/(b u), 1, s/KMin)
//	            bytes = b s r d 2 x kvbytes + 4 b h d,  r = u, but for the
//	                    fallback r = g + (h - g)/Reuse: each KV head once
//	                    from HBM, its group's other heads re-read it from L2
//	scores   = b h s (s+1)/2 (context), b h s (generation): one exp each
//	context:    Tc = FLOPs/rate + scores/ExpRate
//	               + Quant x SMs x min(TileQ, s) s (4d/rate + 1/ExpRate)
//	            (the causal mask makes the last query tile the longest;
//	            Quant is how much of one such tile the schedule exposes)
//	generation: waves = max(1, CTAs/SMs + Quant x (ceil(CTAs/SMs) - CTAs/SMs))
//	            Tc = (FLOPs/rate + scores/ExpRate) x waves x SMs / CTAs
//	rate     = peak x EffCompute,  bw = HBM x EffMemory (x MHAMem on the per-head kernel)
//	context:    Tm = bytes / (bw x CTAs / (CTAs + c0)),  c0 = bw / CTABW
//	generation: Tm = ((bytes/bw)^Q + (bytes/(CTAs x CTABW))^Q)^(1/Q)
//	            (the same two limits, saturated HBM and CTABW per CTA in
//	            flight, with a fitted sharpness; Q = 1 is context's ramp)
//	Tt    = b s (h + 2g) d x TokenBytes / HBM   (per-token work outside the kernel: RoPE, KV-cache write)
//	time  = LaunchS + fixed + Tt + (Tc^P + Tm^P)^(1/P)
//	        (generation: LaunchS + (1-Overlap) fixed + Tt + ((Tc + Overlap fixed)^P + Tm^P)^(1/P))
//
// where fixed is b h HeadS (context; generation's MHA kernel and the
// per-head fallback) or b g GroupS (the grouped decode kernel), a fixed
// cost per CTA-sized unit of work, plus in generation b h d DimS, the
// per-head work that grows with the head size outside the KV stream (the
// query in, the output out, the split-KV partials combined). On H200, 512
// sequences of 8 tokens take 10-11 ns per (sequence, head) on the MHA path
// and 30-55 ns per (sequence, KV head) on the grouped one (AIConfigurator
// h200_sxm/attention/trtllm-1.3.0rc20/generation_attention_perf). MHA
// (TensorRT-LLM's masked MHA kernel) and the grouped kernel (XQA) are
// different kernels, hence MHAMem, and MHACTA (the per-head kernel's own
// per-CTA bandwidth, ctabw = CTABW x MHACTA in Tm: it runs without tensor
// cores and dequantises fp8 K and V in registers; on Hopper with fp8 KV it
// fits 0.1-0.2). Overlap is the share of the fixed cost that is SM work
// (CTA setup, epilogue) hidden behind the KV stream of the CTAs in flight:
// without it, 1,024 sequences of 256 tokens with 8 heads of 64 on B200
// were timed at 157 us against 93 us measured, the 8,192 (sequence,
// head) units' 77 us added on top of the stream. A model with Q, Reuse,
// MHAMem, DimS, MHACTA and Overlap zero is the form before them.
//
// With Dispatch set, generation picks its kernel by TensorRT-LLM's own
// rules (DispatchXQA, DispatchTRTLLMGen) instead of GroupMax alone; on
// DispatchXQA the grouped kernel's splits are XQA's (xqaSplits) and its
// fixed cost GroupS is per CTA, each split its own: on H200, 128
// sequences of 1,024 tokens over one KV head of 64 take 39 us for 34 MB
// of KV, 7 splits x 128 CTAs in 6.8 waves, against 10.7 us for 128
// sequences of 128 tokens in one wave (AIConfigurator h200_sxm/attention/
// trtllm-1.3.0rc20/generation_attention_perf). GroupLaunchS is the
// grouped kernel's own call cost (Hopper's fp8-KV GMMA kernel fuses RoPE
// and the KV write: 5.5-6 us where the others take 8.5 us).
type AttentionModel struct {
	System, Engine, Phase string
	Dtype, KVDtype        string // compute dtype, KV-cache dtype

	Peak float64 // dense peak of Dtype, FLOP/s (datasheet)
	HBM  float64 // B/s (datasheet)
	SMs  int     // datasheet

	TileQ      int     // fitted query tile (context; from a fixed menu)
	GroupMax   int     // fitted largest heads/KV-heads ratio the grouped decode kernel takes (generation; menu)
	EffCompute float64 // fitted fraction of Peak
	EffMemory  float64 // fitted fraction of HBM
	Quant      float64 // fitted weight of the partial last wave, 0..1
	LaunchS    float64 // fitted per-call fixed cost, s
	P          float64 // fitted soft-max exponent
	KMin       float64 // fitted least KV tokens per split (generation)
	CTABW      float64 // fitted bandwidth one CTA draws while few are in flight, B/s
	TokenBytes float64 // fitted bytes of per-token work per head element
	ExpRate    float64 // fitted softmax rate, attention scores per second (exp units, not tensor cores)
	HeadS      float64 // fitted fixed cost per (sequence, query head): CTA setup, softmax epilogue, s
	GroupS     float64 // fitted fixed cost per (sequence, KV head) of the grouped decode kernel, s
	Reuse      float64 // fitted (generation): per-head fallback's re-reads of a KV head come from L2 this many times faster than HBM; <= 1: none
	MHAMem     float64 // fitted (generation): the per-head kernel's (MHA, fallback) bandwidth relative to the grouped kernel's; 0: the same
	DimS       float64 // fitted (generation): cost per (sequence, query head, head element) outside the KV stream (Q in, O out, split-KV combine), s
	Q          float64 // fitted (generation): soft-max exponent of the two bandwidth limits, HBM and CTAs x CTABW; <= 1: their harmonic sum
	MHACTA     float64 // fitted (generation): the per-head kernel's (MHA, fallback) per-CTA bandwidth relative to CTABW; 0: the same
	Overlap    float64 // fitted (generation): share of the fixed per-unit cost (HeadS, GroupS, DimS) that overlaps the KV stream, 0..1; 0: none

	// Dispatch is the engine's decode-kernel choice (generation): "" the
	// GroupMax rule alone, DispatchXQA or DispatchTRTLLMGen (see there).
	Dispatch     string
	Ungated      bool    // fitted (menu; with Dispatch): the table shows no XQA fill gate, the grouped kernel runs at every size
	GroupLaunchS float64 // fitted (generation, with Dispatch): the grouped kernel's own per-call fixed cost, s; 0: LaunchS

	// DispatchMLAGen only (see mlaGenTime): the KV working set the
	// collector's repeated calls find in L2, bytes, and how much faster
	// than HBM x EffMemory those bytes come; 0: no L2 term.
	L2Bytes, L2Gain float64

	Source string // the table the coefficients came from

	// The fit's report on the held-out part of the embedded sample.
	CheckN                int
	CheckMedian, CheckP90 float64
}

// TensorRT-LLM's decode-kernel dispatch (generation), from its source
// (github.com/NVIDIA/TensorRT-LLM, cpp/tensorrt_llm/kernels/):
const (
	// DispatchXQA (Hopper): the grouped XQA kernel takes 1 < h/g <= 32
	// (decoderXQAImplJIT/kernelUtils.cpp, supportConfigQGMMA/HMMA:
	// head_grp_size > 32 is unsupported, vanilla MHA excluded) and only
	// when it fills the GPU: 4 x b g max(1, floor((s-1)/128)) >= SMs
	// (decoderXQAImplJIT.cpp mayHavePerfGain; decoderXQAConstants.h
	// kEnableMinBlockFactor 4, kMinHistoryTokensPerBlock 128); every other
	// call runs the masked MHA kernel, one CTA per (sequence, query head).
	DispatchXQA = "xqa"
	// DispatchTRTLLMGen (Blackwell): the trtllm-gen decode kernel takes
	// every h/g <= 16, MHA included, and falls back to masked MHA above
	// (xqaDispatcher.cpp XqaDispatcher::shouldUse: "num_q_heads per
	// kv_head > 16 is not supported by TRTLLM-GEN kernels").
	DispatchTRTLLMGen = "trtllm-gen"
)

// xqaMinBlockFactor and xqaMinHistoryPerBlock are DispatchXQA's gate
// (TensorRT-LLM decoderXQAConstants.h kEnableMinBlockFactor,
// kMinHistoryTokensPerBlock).
const (
	xqaMinBlockFactor     = 4
	xqaMinHistoryPerBlock = 128
)

// xqaSplits is the XQA kernel's split-KV (multi-block) count for b
// sequences of KV length s over g KV heads on sms SMs, TensorRT-LLM's
// computeMultiBlockCount (decoderXQAImplJIT/kernelUtils.h): one block per
// 128 history tokens, at most round(sqrt(8 m)) of them ("otherwise the
// final reduction may dominate"), cut back to 8 waves of the SMs
// (kTargetWaveFactor) and to 6,000 sub-sequences of workspace.
func xqaSplits(b, s, g, sms int) int {
	m := (s - 1) / xqaMinHistoryPerBlock
	m = min(m, int(math.Round(math.Sqrt(8*float64(m)))))
	m = max(m, 1)
	if adj := float64(b*g*m) / float64(sms) / 8; adj > 1 {
		m = int(math.Floor(float64(m) / adj))
	}
	return max(min(m, 6000/b), 1)
}

// grouped reports whether a decode call of b sequences of KV length s with
// h query heads over g KV heads runs the grouped kernel (one unit per
// (sequence, KV head)) rather than the per-head one.
func (a *AttentionModel) grouped(b, s, h, g int) bool {
	xqa := func() bool {
		if h == g || h > 32*g {
			return false
		}
		if a.Ungated {
			return true
		}
		blocks := b * g * max(1, (s-1)/xqaMinHistoryPerBlock)
		return xqaMinBlockFactor*blocks >= a.SMs
	}
	switch a.Dispatch {
	case DispatchXQA:
		return xqa()
	case DispatchTRTLLMGen:
		return h <= 16*g || xqa()
	}
	return h != g && h <= a.GroupMax*g
}

// Time is the predicted time of one attention call, seconds: batch b
// sequences of length s (context: prompt tokens; generation: KV length
// including the new token), heads query heads and kvHeads KV heads of size
// headDim. It costs a few dozen floating-point operations and allocates
// nothing; a zero or negative size takes the launch cost alone.
func (a *AttentionModel) Time(b, s, heads, kvHeads, headDim int) float64 {
	if b <= 0 || s <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0 {
		return a.LaunchS
	}
	fb, fs, fh, fg, fd := float64(b), float64(s), float64(heads), float64(kvHeads), float64(headDim)
	sms := float64(a.SMs)
	kvb := elemBytes(a.KVDtype)
	var flops, ctas, bytes float64
	launch := a.LaunchS
	units := fb * fh // work units with a fixed cost HeadS each: (sequence, query head)
	fixed := 0.0     // or the grouped decode kernel's fixed cost
	if a.Phase == Context {
		flops = 4 * fb * fh * fd * fs * (fs + 1) / 2
		ctas = fb * fh * float64(ceilDiv(s, a.TileQ))
		bytes = fb * fs * fd * (2*fh*2 + 2*fg*kvb)
	} else {
		flops = 4 * fb * fh * fd * fs
		// A grouped kernel reads each KV head once for its group of
		// query heads; past GroupMax the kernel falls back to one unit
		// per query head, re-reading K and V for each.
		kvUnits := fg
		if !a.grouped(b, s, heads, kvHeads) {
			kvUnits = fh // MHA kernel, or the per-head fallback
		} else {
			units = 0
			fixed = fb * fg * a.GroupS // grouped kernel
			if a.GroupLaunchS > 0 {
				launch = a.GroupLaunchS
			}
		}
		splits := math.Min(sms/(fb*kvUnits), fs/a.KMin)
		if splits < 1 {
			splits = 1
		}
		if a.Dispatch == DispatchXQA && kvUnits == fg {
			splits = float64(xqaSplits(b, s, kvHeads, a.SMs))
		}
		ctas = fb * kvUnits * splits
		if a.Dispatch == DispatchXQA && units == 0 {
			// XQA's fixed cost is per CTA, each split-KV block its own
			// (set-up, Q load, partial write and reduction)
			fixed = ctas * a.GroupS
		}
		reads := kvUnits
		if kvUnits == fh && heads != kvHeads && a.Reuse > 1 {
			// The per-head fallback reads each KV head once from HBM;
			// the other query heads of its group re-read it, mostly
			// from L2.
			reads = fg + (fh-fg)/a.Reuse
		}
		bytes = fb*fs*reads*fd*2*kvb + 4*fb*fh*fd
	}
	soft := ctas / sms
	waves := soft + a.Quant*(math.Ceil(soft)-soft)
	if waves < 1 {
		waves = 1
	}
	rate := a.Peak * a.EffCompute
	var tc float64
	if a.Phase == Context {
		// Causal work grows along the prompt: the last query tile
		// attends to all s keys, twice the mean. List scheduling of the
		// CTAs takes the total over the SMs plus up to one longest tile;
		// Quant is how much of that tile shows.
		tq := math.Min(float64(a.TileQ), fs)
		scores := fb * fh * fs * (fs + 1) / 2
		tc = flops/rate + scores/a.ExpRate + a.Quant*sms*tq*fs*(4*fd/rate+1/a.ExpRate)
	} else {
		tc = (flops/rate + fb*fh*fs/a.ExpRate) * waves * sms / ctas
	}
	// Bandwidth ramps with the CTAs in flight (Little's law: bytes in
	// flight over latency) and saturates at HBM x EffMemory: CTABW each
	// while few, half the saturated rate at c0 = HBM x EffMemory / CTABW.
	bw := a.HBM * a.EffMemory
	ctabw := a.CTABW
	if a.Phase != Context && units > 0 && a.MHAMem > 0 {
		bw *= a.MHAMem // the per-head kernel is another kernel, with its own bandwidth
	}
	if a.Phase != Context && units > 0 && a.MHACTA > 0 {
		ctabw *= a.MHACTA // and its own rate per CTA
	}
	var tm float64
	if a.Phase == Context || a.Q <= 1 {
		c0 := bw / ctabw
		tm = bytes / (bw * ctas / (ctas + c0))
	} else {
		// Generation: the larger of the saturated-HBM time and the
		// time at CTABW per CTA, softened by Q (Q = 1 is the ramp above).
		tm = softMax(bytes/bw, bytes/(ctas*ctabw), a.Q)
	}
	tt := fb * fs * (fh + 2*fg) * fd * a.TokenBytes / a.HBM
	fixed += units * a.HeadS
	if a.Phase != Context {
		fixed += fb * fh * fd * a.DimS
		if a.Overlap > 0 {
			// CTA setup and epilogue are SM work: while some CTAs do
			// theirs, the others stream KV, so that share of the fixed
			// cost joins the compute side of the roofline instead of
			// adding to it.
			ov := a.Overlap * fixed
			return launch + (fixed - ov) + tt + softMax(tc+ov, tm, a.P)
		}
	}
	return launch + fixed + tt + softMax(tc, tm, a.P)
}

// softMax is the P-norm of two non-negative terms: their sum at P = 1, the
// larger as P grows (P >= 64 is the hard maximum).
func softMax(x, y, p float64) float64 {
	switch {
	case p <= 1:
		return x + y
	case p >= 64:
		return math.Max(x, y)
	}
	big := math.Max(x, y)
	if big == 0 {
		return 0
	}
	return big * math.Pow(math.Pow(x/big, p)+math.Pow(y/big, p), 1/p)
}
