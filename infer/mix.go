package infer

import (
	"fmt"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/llm"
)

// Mix is one continuous-batching step's composition over a whole
// instance (every serving accelerator, not per accelerator): Decode
// running sequences each decode one token (and their MTP drafts) over
// DecodeContext tokens of KV on average, and Prefill prompt tokens, in
// chunks of PrefillSeqs sequences, each token attending to PrefillContext
// keys on average (causal: a chunk's offset plus half its length).
//
// With data parallelism the busiest replica sets the step (the others
// wait for it at the MoE all-to-all): RankDecode and RankPrefill are its
// decoding sequences and prompt tokens, 0 (or less than an even share)
// for an even share; its attention and dense layers run them, while the
// experts and their dispatch carry the whole step's tokens.
type Mix struct {
	Decode, DecodeContext                int
	Prefill, PrefillSeqs, PrefillContext int
	RankDecode, RankPrefill              int
}

// active is whether m describes a step.
func (m Mix) active() bool { return m != Mix{} }

// check applies a composition's rules.
func (m Mix) check(model *llm.Model) error {
	switch {
	case m.Decode < 0 || m.Prefill < 0 || m.Decode+m.Prefill < 1:
		return field.Errorf("mix", "%d decoding sequences and %d prompt tokens: a step needs at least one of either", m.Decode, m.Prefill)
	case m.Decode > 0 && m.DecodeContext < 1:
		return field.Errorf("mix", "decode context %d: want at least 1 token", m.DecodeContext)
	case m.Prefill > 0 && (m.PrefillSeqs < 1 || m.PrefillSeqs > m.Prefill || m.PrefillContext < 1):
		return field.Errorf("mix", "%d prompt tokens of %d sequences over %d keys: want 1 to %d sequences and at least 1 key", m.Prefill, m.PrefillSeqs, m.PrefillContext, m.Prefill)
	case m.RankDecode < 0 || m.RankDecode > m.Decode || m.RankPrefill < 0 || m.RankPrefill > m.Prefill:
		return field.Errorf("mix", "the busiest replica's %d sequences and %d prompt tokens: want at most the step's %d and %d", m.RankDecode, m.RankPrefill, m.Decode, m.Prefill)
	case model.MaxContext > 0 && max(m.DecodeContext, m.PrefillContext) > model.MaxContext:
		return fmt.Errorf("a context of %d tokens is past %s's %d-token context window", max(m.DecodeContext, m.PrefillContext), model.Name, model.MaxContext)
	}
	return nil
}

// KVCapacity is the KV cache an instance of c can hold, in tokens over
// all its data-parallel ranks, when every die keeps room for the
// activations of a step of stepTokens tokens: what the HBM share leaves
// after the weights and those activations, over one token's KV bytes on a
// die (its layers' share with PP, its heads' share with TP). Serving
// engines size their paged cache the same way (vLLM profiles a step of
// max_num_batched_tokens, then gives the rest to KV blocks). c's batch,
// lengths and mix are not read.
func (e *Engine) KVCapacity(c Config, stepTokens int) (tokens float64, err error) {
	if stepTokens < 1 {
		return 0, field.Errorf("max_batched_tokens", "%d: want at least 1 token per step", stepTokens)
	}
	c.Phase = Serve
	c.Mix = Mix{Decode: stepTokens, DecodeContext: 1}
	if c.MicroBatches == 0 {
		c.MicroBatches = 1
	}
	_, dies, err := e.units(c)
	if err != nil {
		return 0, err
	}
	if err := c.defaults(dies); err != nil {
		return 0, err
	}
	spec := e.Topo.Accels[0].Spec
	prec, err := c.Precision.Resolve(spec, c.DtypeMap)
	if err != nil {
		return 0, err
	}
	die := compute.PerDie(spec)
	mem := e.memory(c, prec, dies, float64(stepTokens), 1)
	free := die.HBMBytes*c.HBMFraction - mem.Weights - mem.Activations
	m := c.Model
	if free <= 0 {
		return 0, infeasible("does not fit: each die holds %.1f GB of weights and %.1f GB of activations for a %d-token step, more than the %.1f GB it may fill; use more accelerators, lower precision or fewer tokens per step",
			mem.Weights/1e9, mem.Activations/1e9, stepTokens, die.HBMBytes*c.HBMFraction/1e9)
	}
	perDie := m.KVBytesPerToken(prec.KVCache.Bytes()) / float64(c.PP) / KVSplit(m, c.TP)
	dp := dies / (c.TP * c.PP)
	return free / perDie * float64(dp), nil
}
