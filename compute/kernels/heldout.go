package kernels

import (
	"sort"
	"strings"
)

// Kernel classes of the held-out report, in its order.
const (
	ClassGEMM         = "gemm"
	ClassAttentionCtx = "attention_context"
	ClassAttentionGen = "attention_generation"
	ClassMLACtx       = "mla_context"
	ClassMLAGen       = "mla_generation"
	ClassMoE          = "moe"
	bandAll           = "all"
)

// HeldOutClasses are the classes HeldOut reports, in order.
var HeldOutClasses = []string{ClassGEMM, ClassAttentionCtx, ClassAttentionGen, ClassMLACtx, ClassMLAGen, ClassMoE}

// HeldOutBand is the held-out error of one system's fits of one kernel
// class under one engine, over one band of shapes: every check-part row
// of the embedded sample (kernels.Held) whose fit was not shown it; MoE
// rows MoEKept excludes are left out.
type HeldOutBand struct {
	System, Class, Engine string
	// Band is "all" or the band of the size that sets how far a kernel is
	// from its roofline: GEMM m (tokens), attention and MLA tokens (batch x
	// sequence: prompt tokens for context, KV tokens for generation),
	// MoE tokens.
	Band string
	ErrStats
}

// bands are the upper bounds of each class's bands and their names.
type band struct {
	upTo int // inclusive; 0: no bound
	name string
}

var (
	gemmBands = []band{{16, "m 1-16"}, {256, "m 17-256"}, {4096, "m 257-4,096"}, {0, "m 4,097+"}}
	ctxBands  = []band{{4096, "tokens 1-4,096"}, {65536, "tokens 4,097-65,536"}, {0, "tokens 65,537+"}}
	genBands  = []band{{65536, "KV tokens 1-65,536"}, {1 << 20, "KV tokens 65,537-1,048,576"}, {0, "KV tokens 1,048,577+"}}
	moeBands  = []band{{16, "tokens 1-16"}, {256, "tokens 17-256"}, {4096, "tokens 257-4,096"}, {0, "tokens 4,097+"}}
)

func bandOf(bs []band, x int) string {
	for _, b := range bs {
		if b.upTo == 0 || x <= b.upTo {
			return b.name
		}
	}
	return bs[len(bs)-1].name
}

// engineName is an engine's table folder without its version
// ("trtllm-1.3.0rc20" is "trtllm").
func engineName(e string) string {
	if i := strings.IndexByte(e, '-'); i > 0 {
		return e[:i]
	}
	return e
}

// HeldOut returns the held-out error of every fit in the embedded sample,
// by system (Accels order), class (HeldOutClasses order), engine (sorted)
// and band ("all" first, then the bands by size); groups with no row are
// left out. It decodes the whole sample (about 30,000 rows) and times
// every check row with its fit.
func HeldOut() ([]HeldOutBand, error) {
	type acc struct{ pred, meas []float64 }
	groups := map[string]*acc{}
	add := func(sys, class, engine, band string, p, m float64) {
		for _, b := range []string{bandAll, band} {
			k := sys + "|" + class + "|" + engineName(engine) + "|" + b
			g := groups[k]
			if g == nil {
				g = &acc{}
				groups[k] = g
			}
			g.pred, g.meas = append(g.pred, p), append(g.meas, m)
		}
	}
	engines := map[string]bool{}
	for _, a := range Accels {
		sys := a.System
		gs, err := GEMMSample(sys)
		if err != nil {
			return nil, err
		}
		for i := range gemmFits {
			g := &gemmFits[i]
			if g.System != sys {
				continue
			}
			engines[engineName(g.Engine)] = true
			for _, r := range gs {
				if r.Engine == g.Engine && r.Dtype == g.Dtype && Held(GEMMKey(r.M, r.N, r.K)) {
					add(sys, ClassGEMM, g.Engine, bandOf(gemmBands, r.M), g.Time(r.M, r.N, r.K), r.Seconds)
				}
			}
		}
		as, err := AttentionSample(sys)
		if err != nil {
			return nil, err
		}
		for i := range attentionFits {
			f := &attentionFits[i]
			if f.System != sys {
				continue
			}
			engines[engineName(f.Engine)] = true
			class, bs := ClassAttentionGen, genBands
			if f.Phase == Context {
				class, bs = ClassAttentionCtx, ctxBands
			}
			for _, r := range as {
				if r.Engine == f.Engine && r.Phase == f.Phase && r.Dtype == f.Dtype && r.KVDtype == f.KVDtype &&
					Held(AttentionKey(r.Batch, r.Seq, r.Heads, r.KVHeads, r.HeadDim)) {
					add(sys, class, f.Engine, bandOf(bs, r.Batch*r.Seq), f.Time(r.Batch, r.Seq, r.Heads, r.KVHeads, r.HeadDim), r.Seconds)
				}
			}
		}
		ms, err := MLASample(sys)
		if err != nil {
			return nil, err
		}
		for i := range mlaFits {
			m := MLAModel{mlaFits[i]}
			if m.System != sys {
				continue
			}
			engines[engineName(m.Engine)] = true
			class, bs := ClassMLAGen, genBands
			if m.Phase == Context {
				class, bs = ClassMLACtx, ctxBands
			}
			for _, r := range ms {
				if r.Engine == m.Engine && r.Phase == m.Phase && r.Dtype == m.Dtype && r.KVDtype == m.KVDtype && Held(MLAKey(r.Batch, r.Seq, r.Heads, r.TP)) {
					add(sys, class, m.Engine, bandOf(bs, r.Batch*r.Seq), m.Time(r.Batch, r.Seq, r.Heads), r.Seconds)
				}
			}
		}
		es, err := MoESample(sys)
		if err != nil {
			return nil, err
		}
		for i := range moeFits {
			m := &moeFits[i]
			if m.System != sys {
				continue
			}
			engines[engineName(m.Engine)] = true
			for _, r := range es {
				if r.Engine == m.Engine && r.Source == m.Source && r.Dtype == m.Dtype && r.Distribution == m.Distribution && MoEKept(r) &&
					Held(MoEKey(r.Tokens, r.Hidden, r.Inter, r.TopK, r.Experts, r.TP, r.EP)) {
					add(sys, ClassMoE, m.Engine, bandOf(moeBands, r.Tokens), m.Time(r.Tokens, r.Hidden, r.Inter, r.TopK, r.Experts, r.TP, r.EP), r.Seconds)
				}
			}
		}
	}
	var engs []string
	for e := range engines {
		engs = append(engs, e)
	}
	sort.Strings(engs)
	classBands := map[string][]band{ClassGEMM: gemmBands, ClassAttentionCtx: ctxBands, ClassAttentionGen: genBands,
		ClassMLACtx: ctxBands, ClassMLAGen: genBands, ClassMoE: moeBands}
	var out []HeldOutBand
	for _, a := range Accels {
		for _, class := range HeldOutClasses {
			for _, e := range engs {
				names := []string{bandAll}
				for _, b := range classBands[class] {
					names = append(names, b.name)
				}
				for _, b := range names {
					g := groups[a.System+"|"+class+"|"+e+"|"+b]
					if g == nil {
						continue
					}
					out = append(out, HeldOutBand{System: a.System, Class: class, Engine: e, Band: b, ErrStats: Summarise(g.pred, g.meas)})
				}
			}
		}
	}
	return out, nil
}

// SampleSource is the provenance line of the embedded sample.
const SampleSource = "NVIDIA AIConfigurator (github.com/ai-dynamo/aiconfigurator, commit 095f58a51c4c, Apache-2.0), sampled in compute/kernels/data (README.md)"

// BandsDoc says which bands each class is split into.
func BandsDoc() string {
	var parts []string
	for _, c := range []struct {
		class string
		bs    []band
	}{{ClassGEMM, gemmBands}, {"attention and MLA context", ctxBands}, {"generation", genBands}, {ClassMoE, moeBands}} {
		var names []string
		for _, b := range c.bs {
			names = append(names, b.name)
		}
		parts = append(parts, c.class+": "+strings.Join(names, ", "))
	}
	return strings.Join(parts, "; ")
}
