package infer

import (
	"fmt"
	"math"
	"strings"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/compute/kernels"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/topology"
)

// Kernel tables a step may be timed from (Config.Kernels).
const (
	// KernelsTRTLLM times GEMM, attention, MLA and fused MoE from the
	// models fitted to TensorRT-LLM's measured kernels (the default).
	KernelsTRTLLM = "trtllm"
	// KernelsSGLang times GEMM and fused MoE from SGLang's measured
	// kernels; attention and MLA, measured under TensorRT-LLM only, from
	// TensorRT-LLM's.
	KernelsSGLang = "sglang"
	// KernelsRoofline keeps the preset's roofline efficiencies even where
	// tables were measured.
	KernelsRoofline = "roofline"
)

// KernelSource says where one operator class of a step took its time:
// a model fitted to measured kernels (Fitted, with the table it was fitted
// to) or the preset's roofline efficiency.
type KernelSource struct {
	// Class is gemm, attention, mla or moe.
	Class  string
	Fitted bool
	// Source is the fit's table (kernels' Source or Table line), or why
	// the roofline applies.
	Source string
	// Calls is how many of the class's calls one pass over the layers and
	// the head makes; Fallbacks how many of them lie outside every fitted
	// table's range (or dtype) and took the roofline instead.
	Calls, Fallbacks int
}

// kernelClasses are the classes a step records, in Result.Kernels order.
var kernelClasses = [...]string{"gemm", "attention", "mla", "moe"}

const (
	kGEMM = iota
	kAttention
	kMLA
	kMoE
)

// kernelSet is the fitted models a step on one accelerator uses: nil
// where it keeps the roofline.
type kernelSet struct {
	system, engine string
	// gemm by the table's dtype name; moe likewise, balanced routing.
	gemm map[string]*kernels.GEMMModel
	moe  map[string]*kernels.MoEModel
	// attention by phase and KV dtype ("bf16", "fp8"), bf16 compute; mla
	// likewise.
	attn, mla map[string]*kernels.AttentionModel
}

// Measured ranges of the AIConfigurator tables (compute/kernels/data,
// README: GEMM m 1-32768, n and k 32-65536; attention and MLA batch,
// sequence, heads and head size as sampled; MoE tokens 1-16384, EP 1-256).
const (
	gemmMaxM, gemmMaxNK        = 32768, 65536
	ctxMaxBatch, ctxMaxSeq     = 256, 16384
	ctxMaxHeads, genMaxHeads   = 96, 128
	genMaxBatch, genMaxSeq     = 2048, 131072
	genMaxKVHeads              = 64
	mlaCtxMaxSeq, mlaGenMaxBat = 32768, 1024
	moeMaxTokens               = 16384
)

// KernelTables is the one place that says how a step on an accelerator is
// timed: the measured system whose fitted models time its GEMMs,
// attention, MLA and fused MoE, and under which engine's kernels, or ok
// false where the accelerator keeps its roofline efficiencies (no table
// measured it: Ascend, AMD, TPU, Trainium, H20, H800, A100, B300; or
// engine is KernelsRoofline). engine is Config.Kernels ("" is
// KernelsTRTLLM). The accelerator is known by its name: a topology file
// that keeps a measured GPU's name but changes its figures still gets the
// fits (set Kernels to roofline to use its own figures).
//
// Per operator, a fit applies when the engine's table has the operator's
// dtype, else the roofline. Another engine's table would time another
// kernel: TensorRT-LLM's Blackwell MoE table holds only w4a8_mxfp4_mxfp8,
// and SGLang's Triton fused MoE, which it does not run, takes 151 us per
// layer on GB200 for DeepSeek-R1's FP8 experts at EP72, batch 64 with MTP,
// where the roofline gives 46 us. Dtypes: GEMM
// bf16 for BF16 and FP16, fp8_block for FP8 in a MoE model (DeepSeek-V3's
// and Qwen3's published FP8 checkpoints are 128x128 block-quantised), fp8
// per-tensor for FP8 in a dense one, nvfp4 for FP4, none for INT8; fused
// MoE likewise by the experts' dtype, balanced routing (ExpertImbalance
// scales the busiest rank's rows); attention and MLA by the KV cache's
// dtype (bf16 or fp8) with bf16 compute, TensorRT-LLM's tables under
// either engine (the only ones measured).
//
// Shapes beyond a table's measured range: the sizes that only repeat work
// (GEMM m and n, attention and MLA batch, MoE tokens) are split
// into calls at the table's largest size, as a kernel launched on chunks
// would run them; any other side out of range (GEMM k, attention sequence,
// heads, KV heads or head size) takes the roofline for that call, counted
// in KernelSource.Fallbacks.
func KernelTables(accel, engine string) (system, eng string, ok bool) {
	if engine == KernelsRoofline {
		return "", "", false
	}
	if engine == "" {
		engine = KernelsTRTLLM
	}
	system, ok = kernels.AcceleratorSystem(accel)
	return system, engine, ok
}

// kernelSet returns the fitted models for the engine's accelerator under
// the engine kernels names, nil where the roofline applies. The sets are
// built once per engine (a few scans of the fit tables).
func (e *Engine) kernelSet(engine string) *kernelSet {
	if ks, ok := e.kernels[engine]; ok {
		return ks
	}
	var ks *kernelSet
	// The tables time one GPU: a package split into several dies keeps
	// the roofline (none of the measured systems is one).
	if len(e.Topo.Accels) > 0 && e.Topo.Accels[0].Spec.Dies <= 1 {
		if sys, eng, ok := KernelTables(e.Topo.Accels[0].Spec.Name, engine); ok {
			ks = newKernelSet(sys, eng)
		}
	}
	e.kernels[engine] = ks
	return ks
}

func newKernelSet(sys, eng string) *kernelSet {
	ks := &kernelSet{system: sys, engine: eng, gemm: map[string]*kernels.GEMMModel{}, moe: map[string]*kernels.MoEModel{},
		attn: map[string]*kernels.AttentionModel{}, mla: map[string]*kernels.AttentionModel{}}
	for _, d := range []string{"bf16", "fp8", "fp8_block", "nvfp4"} {
		if g, ok := kernels.LookupEngine(sys, eng, d); ok {
			ks.gemm[d] = &g
		}
		if m, ok := kernels.LookupMoE(sys, eng, "", d, "balanced"); ok {
			ks.moe[d] = &m
		}
	}
	for _, ph := range []string{kernels.Context, kernels.Generation} {
		for _, kv := range []string{"bf16", "fp8"} {
			if a, ok := kernels.LookupAttention(sys, ph, "bf16", kv); ok {
				ks.attn[ph+kv] = &a
			}
			if m, ok := kernels.LookupMLA(sys, ph, kv); ok {
				a := m.AttentionModel
				ks.mla[ph+kv] = &a
			}
		}
	}
	return ks
}

// gemmDtype is the GEMM table's dtype for a roofline dtype ("" for none).
func gemmDtype(d topology.Dtype, moeModel bool) string {
	switch d {
	case topology.BF16, topology.FP16:
		return "bf16"
	case topology.FP8:
		if moeModel {
			return "fp8_block"
		}
		return "fp8"
	case topology.FP4:
		return "nvfp4"
	}
	return ""
}

// kvDtype is the attention tables' KV-cache dtype ("" for none).
func kvDtype(d topology.Dtype) string {
	switch d {
	case topology.BF16, topology.FP16:
		return "bf16"
	case topology.FP8:
		return "fp8"
	}
	return ""
}

// chunked times n units of work (n > 0, fractional allowed: a step's
// mean share) as calls of at most max units: whole calls of max and one
// of the rest. A fractional rest between two whole sizes is interpolated
// linearly between their times (exact at whole sizes, monotone where f
// is); below one unit it is that share of a one-unit call (part of a
// prompt prefilled per step, say).
func chunked(n float64, max int, f func(int) float64) float64 {
	if r := math.Round(n); math.Abs(n-r) <= 1e-9*n {
		n = r // a whole count reached by another sum (a serve step and its Mix) times alike
	}
	full := math.Floor(n / float64(max))
	t := 0.0
	if full > 0 {
		t = full * f(max)
	}
	rest := n - full*float64(max)
	switch {
	case rest <= 0:
		return t
	case rest < 1:
		return t + f(1)*rest
	}
	lo := math.Floor(rest)
	tl := f(int(lo))
	if frac := rest - lo; frac > 0 {
		tl += frac * (f(int(lo)+1) - tl)
	}
	return t + tl
}

// fitCall is one operator on a fitted accelerator: its roofline op (the
// fallback, and the power meter's compute/memory split) and its fitted
// time where a table covers it.
type fitCall struct {
	class  int
	op     compute.Op
	fit    float64
	fitted bool
	source string
}

// kernelLog accumulates a step's KernelSource per class.
type kernelLog [len(kernelClasses)]KernelSource

func (l *kernelLog) add(c fitCall) {
	k := &l[c.class]
	k.Class = kernelClasses[c.class]
	k.Calls++
	if c.fitted {
		if !k.Fitted {
			k.Fitted, k.Source = true, c.source
		} else if !strings.Contains(k.Source, c.source) {
			k.Source += "; " + c.source
		}
		return
	}
	k.Fallbacks++
}

// sources lists the classes the step used, in kernelClasses order.
func (l *kernelLog) sources(system string) []KernelSource {
	var out []KernelSource
	for _, k := range l {
		if k.Calls == 0 {
			continue
		}
		if !k.Fitted {
			k.Source = fmt.Sprintf("roofline: the preset's %s efficiency (no %s table covers these calls)", k.Class, system)
		}
		out = append(out, k)
	}
	return out
}

// gemmCall is C[m,n] = A[m,k] B[k,n] in dtype d on the fitted set, m
// tokens (fractional: see chunked); the roofline op counts A and B in d
// and C in the activations' bytes ab.
func (ks *kernelSet) gemmCall(d topology.Dtype, moeModel bool, m float64, n, k int, ab float64) fitCall {
	fm, fn, fk := m, float64(n), float64(k)
	c := fitCall{class: kGEMM, op: compute.Op{Class: compute.GEMM, FLOPs: 2 * fm * fn * fk, Bytes: fn*fk*d.Bytes() + fm*fk*ab + fm*fn*ab, Dtype: d}}
	g := ks.gemm[gemmDtype(d, moeModel)]
	if g == nil || n < 1 || k < 1 || k > gemmMaxNK || m <= 0 {
		return c
	}
	c.fit = chunked(m, gemmMaxM, func(mi int) float64 {
		return chunked(float64(n), gemmMaxNK, func(ni int) float64 { return g.Time(mi, ni, k) })
	})
	c.fitted, c.source = true, g.Source
	return c
}

// attnCall is batch sequences of attention (phase Context: causal over
// seq prompt tokens; Generation: one query token per query head over seq
// cached tokens) with heads query and kvHeads KV heads of size dim.
func (ks *kernelSet) attnCall(op compute.Op, phase, kv string, batch float64, seq, heads, kvHeads, dim int) fitCall {
	c := fitCall{class: kAttention, op: op}
	a := ks.attn[phase+kv]
	maxB, maxS, maxH, maxG := ctxMaxBatch, ctxMaxSeq, ctxMaxHeads, ctxMaxHeads
	if phase == kernels.Generation {
		maxB, maxS, maxH, maxG = genMaxBatch, genMaxSeq, genMaxHeads, genMaxKVHeads
	}
	if a == nil || batch <= 0 || seq < 1 || seq > maxS || heads > maxH || kvHeads > maxG || dim < 64 || dim > 256 || heads%kvHeads != 0 {
		return c
	}
	c.fit = chunked(batch, maxB, func(b int) float64 { return a.Time(b, seq, heads, kvHeads, dim) })
	c.fitted, c.source = true, a.Source
	return c
}

// mlaCall is batch sequences of DeepSeek's MLA with heads heads on this
// die. In generation MTP's draft tokens fold into the heads, as FlashMLA
// and TensorRT-LLM's MLA decode run them: past the tables' 128 heads the
// fit's grouped decode path (GroupMax above any head count) reads the
// latent once per sequence and grows the score work with the heads.
func (ks *kernelSet) mlaCall(op compute.Op, phase, kv string, batch float64, seq, heads int) fitCall {
	c := fitCall{class: kMLA, op: op}
	a := ks.mla[phase+kv]
	maxB, maxS := ctxMaxBatch, mlaCtxMaxSeq
	if phase == kernels.Generation {
		maxB, maxS = mlaGenMaxBat, genMaxSeq
	}
	if a == nil || batch <= 0 || seq < 1 || seq > maxS || heads < 1 {
		return c
	}
	m := kernels.MLAModel{AttentionModel: *a}
	c.fit = chunked(batch, maxB, func(b int) float64 { return m.Time(b, seq, heads) })
	c.fitted, c.source = true, a.Source
	return c
}

// moeCall is a fused MoE layer on one die: pairs (token, expert)
// assignments land on its localExperts experts (whole on the die: no MoE
// TP), from rows token rows routed into the kernel, balanced routing
// (kernels.MoEModel.RankTime). Past the table's 16,384 tokens the rows and
// their assignments split into equal calls.
func (ks *kernelSet) moeCall(op compute.Op, d topology.Dtype, rows, pairs, localExperts float64, hidden, inter int) fitCall {
	c := fitCall{class: kMoE, op: op}
	m := ks.moe[gemmDtype(d, true)]
	if m == nil || rows <= 0 || pairs <= 0 {
		return c
	}
	n := math.Max(1, math.Ceil(rows/moeMaxTokens))
	c.fit = n * m.RankTime(rows/n, pairs/n, localExperts, hidden, inter, 1)
	c.fitted, c.source = true, m.Engine+" "+m.Table
	return c
}

// timedCall is a fitCall with the timing the step counts: the fitted
// time split as the roofline splits it (for the power meter), or the
// roofline itself.
type timedCall struct {
	c  fitCall
	tm compute.Timing
}

// total is the call's time, seconds.
func (t timedCall) total() float64 {
	if t.c.fitted {
		return t.c.fit
	}
	return t.tm.TotalS()
}

// time prices c: the fit where it applies, with the roofline's compute,
// memory and launch terms scaled to it; the roofline on die (vdie for an
// op with no FLOPs: it rides on its neighbours' launches) otherwise.
func timeCall(c fitCall, die, vdie *topology.AcceleratorSpec) (timedCall, error) {
	spec := die
	if c.op.FLOPs == 0 {
		spec = vdie
	}
	tm, err := compute.Roofline(spec, c.op)
	if err != nil {
		return timedCall{}, err
	}
	if c.fitted {
		if tot := tm.TotalS(); tot > 0 {
			f := c.fit / tot
			tm.ComputeS, tm.MemoryS, tm.LaunchS = tm.ComputeS*f, tm.MemoryS*f, tm.LaunchS*f
		} else {
			tm = compute.Timing{LaunchS: c.fit}
		}
	}
	return timedCall{c, tm}, nil
}

// fittedLayer prices layer l's operators on a fitted accelerator. ops are
// the layer's roofline operators as computeLayers builds them (attention
// projections, attention, element-wise passes, then the FFN or the MoE
// layer's shared experts and router, routed experts and their
// permutation); each is replaced by the kernels that run it: the
// projections and FFNs by their GEMMs at their real shapes (m the
// micro-batch's tokens on this die, n and k from the model and TP), the
// attention by the context or generation kernel (or MLA's) on the step's
// sequences, KV length and heads per die, the routed experts by the fused
// MoE kernel (which includes their permutation and combine). Element-wise
// passes keep the roofline.
func (s *step) fittedLayer(ks *kernelSet, l int, ops []compute.Op, die, vdie *topology.AcceleratorSpec) ([]timedCall, error) {
	c, prec := s.c, s.prec
	m := c.Model
	a := m.Attention
	tok := s.tokMB
	tp := c.TP
	h := m.Hidden
	ab := prec.Activations.Bytes()
	moeModel := m.MoE != nil
	hd := a.Heads / tp
	g := max(1, a.KVHeads/tp)
	vdim := a.VHeadDim
	if vdim == 0 {
		vdim = a.HeadDim
	}
	seqMB := s.rankDec / s.gN / s.mb
	kv := kvDtype(prec.KVCache)
	qTok := 1 + c.MTPDraft // query tokens per decoding sequence
	gemm := func(d topology.Dtype, n, k int) fitCall { return ks.gemmCall(d, moeModel, tok, n, k, ab) }
	var calls []fitCall
	gemms, attns := 0, 0
	for i, op := range ops {
		switch {
		case op.Class == compute.GEMM && op.FLOPs == 0:
			if n := len(calls); i > 0 && ops[i-1].Class == compute.MoEGEMM && n > 0 && calls[n-1].fitted {
				continue // inside the fused MoE kernel
			}
			calls = append(calls, fitCall{class: -1, op: op})
		case op.Class == compute.GEMM && gemms == 0: // attention projections
			gemms++
			wd := prec.AttentionWeights()
			if a.Kind == llm.MLA {
				qk := a.QKNopeHeadDim + a.QKRopeHeadDim
				if a.QLoRARank > 0 {
					// q_a and kv_a are replicated over TP ranks (not
					// column-split), as the serving engines run them.
					calls = append(calls, gemm(wd, a.QLoRARank, h), gemm(wd, hd*qk, a.QLoRARank))
				} else {
					calls = append(calls, gemm(wd, hd*qk, h))
				}
				calls = append(calls, gemm(wd, a.KVLoRARank+a.QKRopeHeadDim, h),
					gemm(wd, hd*(a.QKNopeHeadDim+a.VHeadDim), a.KVLoRARank), // kv_b: the up-projection (absorbed in decode: the same FLOPs and weights)
					gemm(wd, h, hd*a.VHeadDim))
			} else {
				calls = append(calls, gemm(wd, (hd+2*g)*a.HeadDim, h), gemm(wd, h, hd*vdim))
			}
		case op.Class == compute.GEMM: // the FFN, or the MoE layer's shared experts and router
			gemms++
			mats := 2
			if m.FFN.Gated {
				mats = 3
			}
			inter := m.FFN.Intermediate / tp
			if m.IsMoELayer(l) {
				inter = m.MoE.SharedExperts * m.MoE.ExpertIntermediate / tp
				calls = append(calls, gemm(prec.Weights, m.MoE.RoutedExperts, h)) // router, replicated
			}
			if inter > 0 {
				calls = append(calls, gemm(prec.Weights, (mats-1)*inter, h), gemm(prec.Weights, h, inter))
			}
		case op.Class == compute.Attention:
			attns++
			if op.FLOPs == 0 && op.Bytes == 0 {
				continue
			}
			phase, b, seq, qh := kernels.Generation, seqMB, s.ctx, hd*qTok
			switch {
			case attns == 1 && c.Phase == Prefill:
				phase, seq, qh = kernels.Context, c.InputLen, hd
			case attns == 2: // a serve step's prompts: whole causal prompts of twice the mean keys
				keys := c.InputLen / 2
				if c.Mix.active() {
					keys = c.Mix.PrefillContext
				}
				seq = max(1, 2*keys)
				phase, qh = kernels.Context, hd
				b = (tok - seqMB*float64(qTok)) / float64(seq)
			}
			if m.IsSliding(l) && a.SlidingWindow > 0 {
				seq = min(seq, a.SlidingWindow)
			}
			if a.Kind == llm.MLA {
				calls = append(calls, ks.mlaCall(op, phase, kv, b, seq, qh))
			} else {
				calls = append(calls, ks.attnCall(op, phase, kv, b, seq, qh, g, a.HeadDim))
			}
		case op.Class == compute.MoEGEMM:
			e := m.MoE
			stageTokens := s.seqs * s.perSeq / s.mb / s.gN
			pairs := stageTokens * float64(e.TopK) / s.stageDies * c.ExpertImbalance
			// The kernel takes the rows routed to this die: its own
			// tokens without EP; with EP, those dispatched to it, one row
			// per assignment while EP >= top-k (a token rarely hits two
			// experts of one rank), as DeepEP hands them over.
			rows := pairs * math.Min(1, float64(c.EP)/float64(e.TopK))
			local := math.Max(1, float64(e.RoutedExperts)/float64(c.EP))
			calls = append(calls, ks.moeCall(op, prec.ExpertWeights(), rows, pairs, local, h, e.ExpertIntermediate))
		default:
			calls = append(calls, fitCall{class: -1, op: op})
		}
	}
	out := make([]timedCall, 0, len(calls))
	for _, fc := range calls {
		t, err := timeCall(fc, die, vdie)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
