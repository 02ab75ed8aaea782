package compute

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cardsea/cardsea/topology"
)

// DtypeError says that an accelerator lacks a data type.
type DtypeError struct {
	Accel string
	Dtype topology.Dtype
	// Has lists the types the accelerator has, in display order.
	Has []topology.Dtype
	// Suggest is the type a mapping would most naturally use (same element
	// size first, then the nearest wider, then the nearest narrower);
	// valid only when HasSuggestion.
	Suggest       topology.Dtype
	HasSuggestion bool
}

func (e *DtypeError) Error() string {
	has := make([]string, len(e.Has))
	for i, d := range e.Has {
		has[i] = d.String()
	}
	list := "none"
	if len(has) > 0 {
		list = strings.Join(has, ", ")
	}
	msg := fmt.Sprintf("%s has no %s (it has %s)", e.Accel, e.Dtype, list)
	if e.HasSuggestion {
		msg += fmt.Sprintf("; map it explicitly, e.g. %s=%s", e.Dtype, e.Suggest)
	}
	return msg
}

func newDtypeError(a *topology.AcceleratorSpec, d topology.Dtype) *DtypeError {
	e := &DtypeError{Accel: a.Name, Dtype: d}
	for _, t := range topology.Dtypes() {
		if a.PeakFLOPS[t] > 0 {
			e.Has = append(e.Has, t)
		}
	}
	cands := append([]topology.Dtype(nil), e.Has...)
	rank := func(t topology.Dtype) (int, float64) {
		switch b, w := t.Bytes(), d.Bytes(); {
		case b == w:
			return 0, 0
		case b > w:
			return 1, b // nearest wider first
		default:
			return 2, -b // then nearest narrower
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		ri, bi := rank(cands[i])
		rj, bj := rank(cands[j])
		if ri != rj {
			return ri < rj
		}
		return bi < bj
	})
	if len(cands) > 0 {
		e.Suggest, e.HasSuggestion = cands[0], true
	}
	return e
}

// DtypeMap maps a data type a workload asks for to the one an accelerator
// runs it in, e.g. {FP8: INT8} for Ascend 910C, which has no FP8.
type DtypeMap map[topology.Dtype]topology.Dtype

// ParseDtypeMap parses "fp8=int8, fp4=int8" (also "fp8->int8" or
// "fp8:int8"); an empty string is an empty map.
func ParseDtypeMap(s string) (DtypeMap, error) {
	m := DtypeMap{}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
		from, to, ok := strings.Cut(part, "->")
		if !ok {
			if from, to, ok = strings.Cut(part, "="); !ok {
				from, to, ok = strings.Cut(part, ":")
			}
		}
		if !ok {
			return nil, fmt.Errorf("dtype mapping %q: want from=to, e.g. fp8=int8", part)
		}
		f, err := topology.ParseDtype(strings.TrimSpace(from))
		if err != nil {
			return nil, fmt.Errorf("dtype mapping %q: %w", part, err)
		}
		t, err := topology.ParseDtype(strings.TrimSpace(to))
		if err != nil {
			return nil, fmt.Errorf("dtype mapping %q: %w", part, err)
		}
		if prev, dup := m[f]; dup && prev != t {
			return nil, fmt.Errorf("dtype mapping %q: %s is already mapped to %s", part, f, prev)
		}
		m[f] = t
	}
	return m, nil
}

// String renders the map as ParseDtypeMap reads it, in dtype order.
func (m DtypeMap) String() string {
	var parts []string
	for _, d := range topology.Dtypes() {
		if t, ok := m[d]; ok {
			parts = append(parts, d.String()+"="+t.String())
		}
	}
	return strings.Join(parts, ",")
}

// Resolve returns the data type accelerator a runs want in: the mapping's
// target when the mapping names want (an explicit choice wins even if the
// chip has want), otherwise want itself. It fails with a *DtypeError when
// the chip lacks the result; a mapping is applied once, not chained.
func Resolve(a *topology.AcceleratorSpec, want topology.Dtype, mapping DtypeMap) (topology.Dtype, error) {
	if a == nil {
		return want, fmt.Errorf("compute: no accelerator")
	}
	got := want
	if t, ok := mapping[want]; ok {
		got = t
	}
	if got >= topology.NumDtypes {
		return want, fmt.Errorf("compute: unknown dtype %v", got)
	}
	if a.PeakFLOPS[got] <= 0 {
		e := newDtypeError(a, got)
		if got != want {
			return want, fmt.Errorf("mapping %s=%s: %w", want, got, e)
		}
		return want, e
	}
	return got, nil
}

// Precision is the data type of each kind of tensor of a model.
type Precision struct {
	Weights     topology.Dtype
	Activations topology.Dtype
	KVCache     topology.Dtype
	// Attention and Experts, when set, are the attention projections' and
	// the routed experts' weights dtype (FP8 attention with NVFP4 experts,
	// as Blackwell deployments of DeepSeek run); unset they follow
	// Weights. Dispatch, when set, is the MoE dispatch payload's dtype;
	// unset it is 8-bit (with a 4-byte scale per 128 elements, DeepEP's
	// and CloudMatrix-Infer's) when the weights are 8-bit or narrower, the
	// activations' dtype otherwise.
	Attention, Experts, Dispatch Override
}

// Override is a dtype that replaces a default when Set.
type Override struct {
	Set   bool
	Dtype topology.Dtype
}

// Of is d, or def when d is not set.
func (d Override) Of(def topology.Dtype) topology.Dtype {
	if d.Set {
		return d.Dtype
	}
	return def
}

// AttentionWeights is the attention projections' weights dtype.
func (p Precision) AttentionWeights() topology.Dtype { return p.Attention.Of(p.Weights) }

// ExpertWeights is the routed experts' weights dtype.
func (p Precision) ExpertWeights() topology.Dtype { return p.Experts.Of(p.Weights) }

// DispatchBytes is one token's MoE dispatch payload of hidden elements:
// the dispatch dtype's bytes, and for an 8-bit or narrower payload a
// 4-byte scale per 128 elements.
func (p Precision) DispatchBytes(hidden int) float64 {
	h := float64(hidden)
	d := p.Activations
	switch {
	case p.Dispatch.Set:
		d = p.Dispatch.Dtype
	case p.Weights.Bytes() <= 1:
		return h + h/128*4
	}
	if d.Bytes() <= 1 {
		return h*d.Bytes() + h/128*4
	}
	return h * d.Bytes()
}

// Resolve resolves every tensor kind on accelerator a with the mapping
// (see the package function Resolve); the error names the tensor kind.
func (p Precision) Resolve(a *topology.AcceleratorSpec, mapping DtypeMap) (Precision, error) {
	out := Precision{Attention: p.Attention, Experts: p.Experts, Dispatch: p.Dispatch}
	for _, f := range []struct {
		name string
		o    *Override
	}{{"attention weights", &out.Attention}, {"expert weights", &out.Experts}} {
		if !f.o.Set {
			continue
		}
		d, err := Resolve(a, f.o.Dtype, mapping)
		if err != nil {
			return p, fmt.Errorf("%s: %w", f.name, err)
		}
		f.o.Dtype = d
	}
	for _, f := range []struct {
		name string
		in   topology.Dtype
		out  *topology.Dtype
	}{{"weights", p.Weights, &out.Weights}, {"activations", p.Activations, &out.Activations}, {"KV cache", p.KVCache, &out.KVCache}} {
		d, err := Resolve(a, f.in, mapping)
		if err != nil {
			return p, fmt.Errorf("%s: %w", f.name, err)
		}
		*f.out = d
	}
	return out, nil
}
