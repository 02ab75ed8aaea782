package infer

import (
	"math"
	"slices"

	"github.com/cardsea/cardsea/internal/field"
)

// Runtime is what a serving engine adds to a step around its kernels:
// its host's work per step, whether that work hides behind the device's,
// the CUDA (ACL) graphs it captured, and its token budget per step. The
// zero Runtime is the bare device: no host cost, no graphs, no cap.
//
// The host's work per step (scheduling, input preparation, sampling and
// output processing) is HostS + HostPerSeqS per running sequence of a
// replica (each data-parallel replica runs its own scheduler). A step run
// eagerly (no graph covers it) also launches its kernels from the host,
// EagerLayerS per layer of a pipeline stage per micro-batch; launches are
// asynchronous, so they show only where they outlast the device. With
// Overlap (SGLang's and TensorRT-LLM's overlap schedulers, vLLM's async
// scheduling) the host prepares step n+1 while the device runs step n, and
// only what the host's work takes beyond the device's shows:
//
//	visible = max(0, host + launch - device) + SyncS
//
// without it the host's work is serial with the device's:
//
//	visible = host + max(0, launch - device) + SyncS
//
// SyncS is paid on the device's critical path whatever the overlap: the
// gap between one step's graph and the next (replay, the sampled tokens'
// hand-off). Result.RuntimeS reports the visible cost.
type Runtime struct {
	HostS, HostPerSeqS float64
	Overlap            bool
	SyncS              float64
	// EagerLayerS is the host's launch time per layer of a step no graph
	// covers.
	EagerLayerS float64
	// GraphSizes are the decode batch sizes, sequences per replica in
	// ascending order, the engine captured as graphs: a decode-only step
	// runs as the next size up (its GEMMs and collectives padded to it;
	// its attention reads only the real sequences' KV, as padded slots
	// have length 0), and beyond the largest it runs eagerly. None: every
	// step runs eagerly. Steps carrying prompt tokens run eagerly.
	GraphSizes []int
	// ExactGraphs: a decode batch runs in a graph only at a captured size
	// exactly, eagerly otherwise (TensorRT-LLM without enable_padding).
	ExactGraphs bool
	// PiecewiseTokens: a step carrying prompt tokens, at most this many
	// per replica, runs in piecewise graphs (vLLM's compiled pieces
	// between the attention kernels), so its host launches are not
	// charged; its tokens are not padded. 0: such steps run eagerly.
	PiecewiseTokens int
	// MaxTokens caps the tokens a replica's step processes (vLLM's
	// max_num_batched_tokens, SGLang's chunked_prefill_size); prompts
	// past it are prefilled in chunks of at most MaxTokens, a step each.
	// 0: no cap.
	MaxTokens int
	// FixedS, when above 0, replaces the model above: every step pays
	// FixedS, whatever the device's time (a measured overhead).
	FixedS float64
}

// runtimeLayer names the runtime's entry in Result.Layers.
const runtimeLayer = "engine runtime"

// check applies the rules of a runtime; its errors name the scenario
// keys.
func (rt Runtime) check() error {
	switch {
	case rt.HostS < 0 || rt.HostPerSeqS < 0 || rt.SyncS < 0 || rt.EagerLayerS < 0 || rt.FixedS < 0 ||
		math.IsNaN(rt.HostS+rt.HostPerSeqS+rt.SyncS+rt.EagerLayerS+rt.FixedS):
		return field.Errorf("step_overhead", "%+v: want costs of 0 or more seconds", rt)
	case rt.MaxTokens < 0 || rt.PiecewiseTokens < 0:
		return field.Errorf("max_batched_tokens", "%d: want at least 1 token per step (0 for no cap)", rt.MaxTokens)
	}
	for i, g := range rt.GraphSizes {
		if g < 1 || i > 0 && g <= rt.GraphSizes[i-1] {
			return field.Errorf("graph_sizes", "%v: want batch sizes of 1 or more in ascending order, e.g. 1,2,4,8,16", rt.GraphSizes)
		}
	}
	return nil
}

// graphed is the batch a decode-only step of seqs sequences (per
// replica and pipeline group) runs as, and whether a graph covers it:
// the smallest captured size at or above ceil(seqs).
func (rt Runtime) graphed(seqs float64) (float64, bool) {
	if len(rt.GraphSizes) == 0 || seqs <= 0 {
		return seqs, false
	}
	n := int(math.Ceil(seqs - 1e-9))
	i, found := slices.BinarySearch(rt.GraphSizes, n)
	if i == len(rt.GraphSizes) || rt.ExactGraphs && !found {
		return seqs, false // past the largest graph, or no graph of its size: eager
	}
	return float64(rt.GraphSizes[i]), true
}

// visible is the runtime's share of a step whose device time is device,
// with host the host's scheduling work and launch its kernel launches.
func (rt Runtime) visible(device, seqs float64, launch float64) float64 {
	if rt.FixedS > 0 {
		return rt.FixedS
	}
	host := rt.HostS + rt.HostPerSeqS*seqs
	if rt.Overlap {
		return math.Max(0, host+launch-device) + rt.SyncS
	}
	return host + math.Max(0, launch-device) + rt.SyncS
}

// decodeOnly says whether c's step decodes only (no prompt tokens), the
// steps engines run in captured graphs.
func decodeOnly(c Config) bool {
	return c.Phase == Decode || c.Mix.active() && c.Mix.Prefill == 0
}

// fitBudget holds a step to the engine's token budget (Runtime.MaxTokens,
// per replica and step; a pipeline group is one step of its replica's
// scheduler): prompts past it are prefilled in even chunks of at most the
// budget, a step each (Result.Chunks), and a decode or serve step past it
// is refused (every running sequence needs its tokens in each step), with
// the largest batch within it in MaxBatch. A composed step (Mix) is the
// scheduler's, which keeps to the budget itself.
func (s *step) fitBudget() error {
	c, r := s.c, &s.r
	r.Chunks = 1
	budget := c.Runtime.MaxTokens
	if budget == 0 || c.Mix.active() {
		return nil
	}
	perGroup := s.tokens // tokens a replica's pipeline group runs in a step
	if c.Phase == Prefill {
		r.Chunks = int(math.Ceil(perGroup/float64(budget) - 1e-9))
		if r.Chunks > 1 {
			// The later phases price one chunk, an even share of the
			// batch's prompts and tokens (assemble takes them all): its
			// GEMMs, experts and collectives carry a chunk's tokens, read
			// the weights again, and its tokens attend to the prompt's
			// keys at the whole prompt's mean, as a prompt's chunks do on
			// average. The memory is the whole batch's (fitMemory).
			k := float64(r.Chunks)
			s.seqs, s.decSeqs, s.rankDec = s.seqs/k, s.decSeqs/k, s.rankDec/k
			s.unitTokens, s.tokMB, s.tokens = s.unitTokens/k, s.tokMB/k, s.tokens/k
		}
		return nil
	}
	// The most sequences a group may run within the budget.
	fit := math.Max(1, math.Floor(float64(budget)/s.perSeq+1e-9))
	capBatch := int(fit * s.gN * float64(r.DP) / float64(s.acc))
	if r.MaxBatch > capBatch {
		r.MaxBatch = max(capBatch, 1)
	}
	if perGroup > float64(budget)+1e-9 {
		return infeasible("past the engine's token budget: a step of a replica carries %.0f tokens, and the engine runs at most %d (max_batched_tokens); raise it or lower the batch (at most %d per accelerator)",
			perGroup, budget, max(capBatch, 1))
	}
	return nil
}
