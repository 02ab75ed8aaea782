package infer

import (
	"fmt"
	"math"
	"strings"

	"github.com/cardsea/cardsea/internal/field"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/topology"
)

// Phase is prefill, decode or serve.
type Phase string

// Phases. Serve is the steady state of continuous (in-flight) batching:
// each step decodes every running sequence and prefills the prompts of the
// sequences that replace those finishing, in the same step.
const (
	Prefill Phase = "prefill"
	Decode  Phase = "decode"
	Serve   Phase = "serve"
)

// Config is one inference configuration.
type Config struct {
	Model *llm.Model
	// Accelerators is how many accelerator packages serve, from
	// FirstAccelerator on in the topology's order (counting survivors
	// where accelerators have failed); 0 means all from there. Parallel
	// units are their dies.
	Accelerators, FirstAccelerator int
	Phase                          Phase
	// Batch is sequences per accelerator (as the CloudMatrix and SGLang
	// reports count it); InputLen the prompt length (prefill); Context the
	// KV length each decode step attends to. Serve: Batch sequences per
	// accelerator are in flight, requests have InputLen prompt and
	// OutputLen generated tokens on average, and decode attends to the
	// mean KV length over a request, InputLen + OutputLen/2 (Context is
	// not read).
	Batch, InputLen, Context, OutputLen int
	// TP, PP, EP: tensor, pipeline and expert parallel degrees over the
	// dies (0: TP 1, PP 1, EP every die of a pipeline stage for MoE
	// models). Data parallelism fills the rest: DP = dies / (TP x PP); with
	// TP 1 that is attention data parallelism, each die attending to its
	// own sequences. With PP, each replica's sequences split into up to PP
	// groups that follow one another through the stages (see Result.Groups).
	// EP may exceed the routed experts (CloudMatrix runs EP320 for 256
	// routed experts): the extra ranks hold shared and redundant expert
	// copies, and routed traffic spreads over all of them.
	TP, PP, EP int
	Precision  compute.Precision
	DtypeMap   compute.DtypeMap
	// MTPDraft draft tokens per step, accepted with probability MTPAccept.
	MTPDraft  int
	MTPAccept float64
	// MicroBatches is 1 or 2 (two-micro-batch overlap of communication
	// and computation); 0 picks the faster.
	MicroBatches int
	// ExpertImbalance is the busiest expert rank's load over the mean (>= 1).
	ExpertImbalance float64
	// PowerMode is activity (default) or provisioned.
	PowerMode power.Mode
	// HBMFraction is the share of each die's HBM the serving engine may
	// fill with weights, KV cache and activations (0 means 1, the whole
	// HBM); below 1 the rest is runtime, workspace and fragmentation, as
	// serving engines reserve it: vLLM's gpu_memory_utilization defaults
	// to 0.9 of a GPU's memory, TensorRT-LLM's
	// kv_cache_free_gpu_mem_fraction to 0.9 of what the weights leave.
	// The default is the physical limit because deployments raise these
	// where the weights need it (DeepSeek-R1 in FP8 fills 91% of an HGX
	// H20's 96 GB per GPU).
	HBMFraction float64
	// Concurrency, when above 0, is the sequences in flight over the
	// whole instance instead of Batch per accelerator (TP8 at a
	// concurrency of 4, as latency benchmarks and InferenceX's
	// low-concurrency points run): the router spreads them over the
	// data-parallel replicas, the busiest replica sets the step, and
	// replicas with none draw idle power.
	Concurrency int
	// MaxSeqs caps the sequences a data-parallel replica runs at once, as
	// a serving engine does (vLLM's max_num_seqs, SGLang's
	// max_running_requests); 0 bounds them by memory alone.
	MaxSeqs int
	// Runtime is the serving engine's own cost and limits around the
	// step's kernels: its host's work per step (hidden behind the device's
	// with an overlap scheduler), the graph sizes decode batches pad to,
	// and its token budget per step (see Runtime). The zero Runtime is the
	// bare device.
	Runtime Runtime
	// Mix, when set (with Phase serve), is the step's real composition as
	// a request-level scheduler forms it (package serve); Batch, InputLen,
	// Context and OutputLen are then not read, and the scheduler, not the
	// step, owns the KV cache's capacity (see Engine.KVCapacity).
	Mix Mix
	// Kernels names the measured kernels that time GEMMs, attention, MLA
	// and fused MoE on accelerators with tables (KernelTables): "" or
	// "trtllm" (TensorRT-LLM's), "sglang" (SGLang's GEMM and MoE), or
	// "roofline" to keep the preset's efficiencies. Accelerators without
	// tables keep the roofline whatever it says.
	Kernels string
}

// Result is one simulated step and what follows from it.
type Result struct {
	Config Config
	// Accelerators serve, with Dies parallel units among them.
	Accelerators int
	Dies         int
	DP           int
	// Groups is how many groups of sequences are in flight through the
	// pipeline stages at once: min(PP, sequences per replica); 1 without PP.
	Groups int
	// StepS is one step: the time between a sequence's tokens (decode) or
	// between batches (prefill) in steady state. ComputeS and ExposedCommS
	// break it down (they add up to StepS): a die's computation, and the
	// rest, spent waiting on the fabric or, with PP, idle in a pipeline
	// bubble (BubbleS of it: the busiest stage's idle time per step).
	StepS, ComputeS, ExposedCommS, BubbleS float64
	// RuntimeS is the serving engine's visible share of StepS beyond
	// the layers' (Config.Runtime): host work the device waits for, and
	// the gap between steps. ComputeS + ExposedCommS + RuntimeS = StepS.
	RuntimeS float64
	// GraphBatch is the batch per replica and pipeline group a decode
	// step ran as in a captured graph (padded up to it); 0 when it ran
	// eagerly. Chunks is how many steps a prefill batch (or, in serve, a
	// prompt) took under the engine's token budget, 1 without chunking;
	// a chunked prefill's StepS, TTFTS, layers and collective counts are
	// over all its chunks.
	GraphBatch int
	Chunks     int
	// Load is the serving dies' mean share of their dynamic power range
	// while computing (power.LoadFactor over one pass of the layers and
	// the head): 1 when every operator is compute-bound.
	Load float64
	// CommS is all communication time, exposed or hidden.
	CommS float64
	// TokensPerStep is the tokens the whole system produces (decode,
	// serve) or processes (prefill) per step.
	TokensPerStep float64
	// TokensPerS for the system, per accelerator and (decode) per user.
	TokensPerS, TokensPerSPerAccel, TokensPerSPerUser float64
	// TTFTS (prefill: a group's way through every stage) and TPOTS
	// (decode). Serve: TPOTS is the step and TTFTS half a step (the mean
	// wait for the next step to start) plus a group's way through every
	// stage, in which its prompt is prefilled; no queueing for a free slot.
	TTFTS, TPOTS float64
	// MemoryBytesPerDie is what one die holds; MaxBatch the largest batch
	// per accelerator that fits.
	MemoryBytesPerDie, HBMBytesPerDie float64
	Memory                            MemoryUse
	MaxBatch                          int
	// Energy is the whole topology's over a step; PowerW (IT) and
	// FacilityPowerW are the serving accelerators' share of it
	// (ServingShare: their fraction of the topology's accelerators), and
	// the per-watt figures use that share.
	Energy                 power.Energy
	ServingShare           float64
	TokensPerJ             float64
	PowerW, FacilityPowerW float64
	// ProvisionedFacilityW is the serving accelerators' share of the
	// system's provisioned facility power: every component at its rating,
	// through each rack's PUE (power.ProvisionedBudget), InferenceX's
	// all-in basis for tokens per MW.
	ProvisionedFacilityW float64
	TokensPerKW          float64
	Comm                 []CommTime // each simulated collective
	// Layers is each layer's share of the step, in order (then the output
	// head and MTP, as the last entry named "head").
	Layers []LayerTime
	// Kernels says where each operator class of the step took its time:
	// a model fitted to measured kernels, with its table, or the preset's
	// roofline efficiency (gemm, attention or mla, moe, in that order);
	// nil on an accelerator that keeps the roofline (see KernelTables).
	Kernels []KernelSource
}

// LayerTime is one layer's time in a step: its computation and
// communication (over all micro-batches) and the time it adds to the step.
type LayerTime struct {
	Name                   string
	ComputeS, CommS, StepS float64
}

// MemoryUse splits a die's memory.
type MemoryUse struct {
	Weights, KVCache, Activations float64
}

// CommTime is one kind of collective in a step.
type CommTime struct {
	Name     string
	PerLayer float64 // seconds per occurrence
	Count    int     // occurrences per step
}

// Engine simulates configurations on one topology; it keeps the network
// fabric and caches collective times across configurations.
type Engine struct {
	Topo   *topology.Topology
	Fabric *network.Fabric
	// ExactMix simulates a Mix's collectives at its own token counts
	// rather than interpolating between octaves (see Mix).
	ExactMix bool
	comm     map[string]float64
	// kernels are the fitted models by Config.Kernels (nil: roofline).
	kernels map[string]*kernelSet
	// runs keeps every Run's outcome by configuration (less the batch)
	// and batch, for searches to reuse.
	runs map[string]map[int]outcome
	// provFW is the topology's provisioned facility power, once known.
	provFW float64
}

type outcome struct {
	r   Result
	err error
}

// NewEngine prepares a topology for inference runs.
func NewEngine(t *topology.Topology) *Engine {
	return &Engine{Topo: t, Fabric: network.NewFabric(t), comm: map[string]float64{}, kernels: map[string]*kernelSet{}, runs: map[string]map[int]outcome{}}
}

// runKey names c less its batch.
func runKey(c Config) string {
	cc := c
	cc.Model, cc.Batch = nil, 0
	return fmt.Sprintf("%p|%+v", c.Model, cc)
}

// Check applies the rules of a configuration that need no topology (the
// phase, the lengths, MTP, the shares), with the defaults Run applies;
// its errors are field.Errors named by the scenario keys (input_len,
// mtp_draft). A front door calls it to refuse a configuration before it
// builds a topology.
func (c Config) Check() error {
	if c.HBMFraction == 0 {
		c.HBMFraction = 1
	}
	if c.ExpertImbalance == 0 {
		c.ExpertImbalance = 1
	}
	if c.MicroBatches == 0 {
		c.MicroBatches = 1 // Run tries 1 and 2
	}
	return c.check()
}

// check is Check without the defaults: the phase and the lengths, then
// the engine's options.
func (c *Config) check() error {
	if c.Mix.active() {
		if c.Phase != Serve {
			return field.Errorf("phase", "%q: a step's composition (mix) is a serve step", c.Phase)
		}
		if err := c.Mix.check(c.Model); err != nil {
			return err
		}
		return c.checkEngine()
	}
	switch {
	case c.Phase != Prefill && c.Phase != Decode && c.Phase != Serve:
		return field.Errorf("phase", "%q: want prefill or decode (one step), serve (continuous batching) or disagg", c.Phase)
	case c.Concurrency < 0:
		return field.Errorf("concurrency", "%d: want at least 1 sequence in flight", c.Concurrency)
	case c.Batch < 1 && c.Concurrency == 0:
		return field.Errorf("batch", "%d: want at least 1 sequence per accelerator", c.Batch)
	case c.Phase == Prefill && c.InputLen < 1:
		return field.Errorf("input_len", "%d: prefill needs at least 1 prompt token", c.InputLen)
	case c.Phase == Decode && c.Context < 1:
		return field.Errorf("context", "%d: decode needs a KV length of at least 1 token", c.Context)
	case c.Phase == Serve && (c.InputLen < 1 || c.OutputLen < 1):
		return field.Errorf("input_len", "%d with {output_len} %d: serve needs at least 1 token of each per request", c.InputLen, c.OutputLen)
	case c.Model.MaxContext > 0 && c.Phase == Prefill && c.InputLen > c.Model.MaxContext:
		return fmt.Errorf("input of %d tokens is past %s's %d-token context window", c.InputLen, c.Model.Name, c.Model.MaxContext)
	case c.Model.MaxContext > 0 && c.Phase == Decode && c.Context > c.Model.MaxContext:
		return fmt.Errorf("context of %d tokens is past %s's %d-token context window", c.Context, c.Model.Name, c.Model.MaxContext)
	case c.Model.MaxContext > 0 && c.Phase == Serve && c.InputLen+c.OutputLen > c.Model.MaxContext:
		return fmt.Errorf("requests of %d + %d tokens are past %s's %d-token context window", c.InputLen, c.OutputLen, c.Model.Name, c.Model.MaxContext)
	}
	return c.checkEngine()
}

// checkEngine holds the rules of the engine's options: MTP, micro-batches,
// the HBM share and the expert imbalance.
func (c *Config) checkEngine() error {
	m := c.Model
	switch {
	case c.MicroBatches != 1 && c.MicroBatches != 2:
		return field.Errorf("microbatches", "%d: want 1 or 2", c.MicroBatches)
	case c.HBMFraction < 0 || c.HBMFraction > 1:
		return field.Errorf("hbm_fraction", "%g: want a share of the HBM above 0, at most 1 (e.g. 0.9)", c.HBMFraction)
	case c.ExpertImbalance < 1:
		return field.Errorf("expert_imbalance", "%g: want 1 (balanced) or more", c.ExpertImbalance)
	case c.MTPDraft < 0 || c.MTPAccept < 0 || c.MTPAccept > 1:
		return field.Errorf("mtp_accept", "%g with {mtp_draft} %d: want draft >= 0 and acceptance in [0, 1]", c.MTPAccept, c.MTPDraft)
	case c.MTPDraft > 0 && m.MTPLayers == 0:
		return field.Errorf("mtp_draft", "%d: %s has no MTP module; drop it", c.MTPDraft, m.Name)
	case c.Kernels != "" && c.Kernels != KernelsTRTLLM && c.Kernels != KernelsSGLang && c.Kernels != KernelsRoofline:
		return field.Errorf("kernels", "%q: want trtllm, sglang or roofline (or leave it out: trtllm)", c.Kernels)
	}
	return c.Runtime.check()
}

func (c *Config) defaults(dies int) error {
	m := c.Model
	if c.TP == 0 {
		c.TP = 1
	}
	if c.PP == 0 {
		c.PP = 1
	}
	if c.HBMFraction == 0 {
		c.HBMFraction = 1
	}
	if c.ExpertImbalance == 0 {
		c.ExpertImbalance = 1
	}
	if c.PowerMode == "" {
		c.PowerMode = power.Activity
	}
	if c.EP == 0 {
		c.EP = 1
		if m.MoE != nil {
			c.EP = dies / c.PP
		}
	}
	if err := c.check(); err != nil {
		return err
	}
	if dies%(c.TP*c.PP) != 0 {
		return fmt.Errorf("TP %d x PP %d does not divide the %d dies", c.TP, c.PP, dies)
	}
	if m.Attention.Heads%c.TP != 0 {
		return fmt.Errorf("TP %d does not divide %s's %d attention heads", c.TP, m.Name, m.Attention.Heads)
	}
	if m.Layers%c.PP != 0 {
		return fmt.Errorf("PP %d does not divide %s's %d layers", c.PP, m.Name, m.Layers)
	}
	if m.MoE != nil {
		if (dies/c.PP)%c.EP != 0 {
			return fmt.Errorf("EP %d does not divide the %d dies of a pipeline stage", c.EP, dies/c.PP)
		}
		if c.EP > 2*(m.MoE.RoutedExperts+m.MoE.SharedExperts) {
			return fmt.Errorf("EP %d is more than twice %s's %d experts; each rank needs an expert (routed, shared or redundant)", c.EP, m.Name, m.MoE.RoutedExperts+m.MoE.SharedExperts)
		}
	} else if c.EP != 1 {
		return fmt.Errorf("%s is dense; expert parallelism needs a MoE model", m.Name)
	}
	return nil
}

// Run simulates one step of c. With MicroBatches 0 it simulates one and
// two micro-batches and keeps the faster step, as a deployment would.
// The engine remembers every outcome: running a configuration again costs
// nothing.
func (e *Engine) Run(c Config) (Result, error) {
	key := runKey(c)
	if o, ok := e.runs[key][c.Batch]; ok {
		return o.r, o.err
	}
	r, err := e.runFastest(c)
	if e.runs[key] == nil {
		e.runs[key] = map[int]outcome{}
	}
	e.runs[key][c.Batch] = outcome{r, err}
	return r, err
}

func (e *Engine) runFastest(c Config) (Result, error) {
	if c.MicroBatches != 0 {
		return e.run(c)
	}
	c.MicroBatches = 1
	one, err1 := e.run(c)
	c.MicroBatches = 2
	two, err2 := e.run(c)
	switch {
	case err1 != nil:
		return two, err2
	case err2 != nil || one.StepS/one.TokensPerStep <= two.StepS/two.TokensPerStep:
		return one, nil
	}
	return two, nil
}

// units is how many accelerators serve c and how many dies they have.
func (e *Engine) units(c Config) (acc, dies int, err error) {
	t := e.Topo
	total := len(t.Accels)
	if c.FirstAccelerator < 0 || c.FirstAccelerator >= total {
		return 0, 0, fmt.Errorf("first accelerator %d: %s has accelerators 0 to %d", c.FirstAccelerator, t.Name, total-1)
	}
	acc = total - c.FirstAccelerator
	if c.Accelerators < 0 {
		return 0, 0, fmt.Errorf("%d accelerators: want 1 or more (0 for all)", c.Accelerators)
	}
	if c.Accelerators > 0 {
		if c.Accelerators > acc {
			if c.FirstAccelerator > 0 {
				return 0, 0, fmt.Errorf("%d accelerators from accelerator %d asked, %s has %d from there (%d in all)", c.Accelerators, c.FirstAccelerator, t.Name, acc, total)
			}
			return 0, 0, fmt.Errorf("%d accelerators asked, %s has %d", c.Accelerators, t.Name, acc)
		}
		acc = c.Accelerators
	}
	return acc, acc * t.Accels[0].Spec.Dies, nil
}

// base is the index of c's first die in the topology's (surviving) dies.
func (e *Engine) base(c Config) int { return c.FirstAccelerator * e.Topo.Accels[0].Spec.Dies }

func (e *Engine) run(c Config) (Result, error) {
	s, err := e.newStep(c)
	if err != nil {
		return Result{}, err
	}
	for _, phase := range []func() error{s.fitMemory, s.computeLayers, s.communicate, s.assemble, s.power} {
		if err := phase(); err != nil {
			return s.r, err
		}
	}
	if c.Phase == Serve && !c.Mix.active() {
		return e.serveTTFT(s)
	}
	return s.r, nil
}

// serveTTFT bounds a serve step's TTFT below by a prompt's own prefill: a
// request's prompt arrives whole, so its first token waits for a step
// that carries all of it, on one replica, beside the running sequences
// (a Mix of that composition), not for the average step's share of
// prompts (the first token of a 1K prompt cannot come sooner than its
// GEMMs take).
func (e *Engine) serveTTFT(s *step) (Result, error) {
	c, r := s.c, s.r
	seqs := int(math.Round(s.seqs))
	m := c
	m.Batch, m.InputLen, m.OutputLen = 0, 0, 0
	rankDec := (seqs + r.DP - 1) / r.DP
	// Under the engine's token budget the prompt goes in chunks, beside
	// the replica's running sequences, a step each (vLLM's chunked
	// prefill): its first token comes with the last chunk.
	chunk, chunks := c.InputLen, 1
	if b := c.Runtime.MaxTokens; b > 0 && rankDec*(1+c.MTPDraft)+c.InputLen > b {
		chunk = max(b-rankDec*(1+c.MTPDraft), 1)
		chunks = (c.InputLen + chunk - 1) / chunk
		chunk = (c.InputLen + chunks - 1) / chunks
	}
	m.Mix = Mix{Decode: seqs, DecodeContext: s.ctx, Prefill: chunk, PrefillSeqs: 1, PrefillContext: max(c.InputLen/2, 1),
		RankDecode: rankDec, RankPrefill: chunk}
	if seqs == 0 {
		m.Mix.DecodeContext, m.Mix.RankDecode = 0, 0
	}
	whole, err := e.Run(m)
	if err != nil {
		return r, err
	}
	r.TTFTS = math.Max(r.TTFTS, r.StepS/2+float64(chunks-1)*whole.StepS+whole.TTFTS)
	r.Chunks = chunks
	return r, nil
}

// step is one inference step being simulated, phase by phase: newStep
// sizes it (dies, precision, tokens, pipeline groups); fitMemory checks
// it fits in HBM; computeLayers prices every layer's operators and the
// head on the roofline; communicate simulates its collectives on the
// fabric; assemble lays the layers over the pipeline into the step and
// its throughput; power accounts its energy. Each fills its part of r.
type step struct {
	e    *Engine
	c    Config
	r    Result
	acc  int // serving accelerators
	dies int // their dies
	base int // the first die's index
	prec compute.Precision
	die  topology.AcceleratorSpec // one die's roofline figures
	// seqs are the sequences in the system, perSeq the tokens each
	// processes per step, ctx their KV length; decSeqs the decoding ones
	// (all but a Mix's prompts).
	seqs, perSeq, decSeqs float64
	// rankDec is the decoding sequences of the busiest replica.
	rankDec float64
	ctx     int
	// gN is the pipeline groups in flight, unitTokens the tokens a TP
	// group handles at a time, stageDies the dies of a stage, mb the
	// micro-batches, tokMB the tokens of a micro-batch on a TP group.
	gN, unitTokens, stageDies, mb, tokMB float64
	// tokens is unitTokens before a graph's padding: the real tokens.
	tokens float64
	// compLayer is each layer's compute per micro-batch, extra the head
	// and MTP after the layers; commLayer each layer's communication per
	// micro-batch; comms every simulated collective.
	compLayer, commLayer []float64
	extra                float64
	comms                []CommTime
	// fitted is a fitted accelerator's calls per layer kind (MoE, sliding).
	fitted [4][]timedCall
}

// newStep checks c on e's topology and sizes its step.
func (e *Engine) newStep(c Config) (*step, error) {
	s := &step{e: e}
	err := func() error {
		t := e.Topo
		acc, dies, err := e.units(c)
		if err != nil {
			return err
		}
		spec := t.Accels[0].Spec
		if err := c.defaults(dies); err != nil {
			return err
		}
		prec, err := c.Precision.Resolve(spec, c.DtypeMap)
		if err != nil {
			return err
		}
		die := compute.PerDie(spec)
		r := Result{Config: c, Accelerators: acc, Dies: dies, DP: dies / (c.TP * c.PP)}
		base := e.base(c)
		r.Config.Precision = prec

		// Tokens.
		seqs := float64(c.Batch * acc) // sequences in the system
		perSeq := tokensPerSeq(c)      // tokens per sequence per step
		ctx := c.Context
		if c.Concurrency > 0 {
			seqs = float64(c.Concurrency)
		}
		decSeqs := seqs // sequences decoding
		switch {
		case c.Mix.active():
			seqs = float64(c.Mix.Decode + c.Mix.PrefillSeqs)
			decSeqs = float64(c.Mix.Decode)
			ctx = c.Mix.DecodeContext
		case c.Phase == Prefill:
			ctx = c.InputLen
		case c.Phase == Serve:
			ctx = ServeContext(c)
		}
		// With PP, a replica's sequences split into groups that follow one
		// another through the stages, so that every stage has work: as many
		// groups as stages where there are enough sequences, fewer otherwise
		// (the pipeline then has bubbles).
		groupsN := 1
		if c.PP > 1 {
			groupsN = max(1, min(c.PP, int(seqs)/r.DP))
		}
		r.Groups = groupsN
		gN := float64(groupsN)
		// Every die of a stage processes its data-parallel share of a group;
		// tensor parallel peers share one replica's tokens.
		unitTokens := seqs * perSeq / float64(r.DP) / gN // tokens a TP group handles at a time
		rankDec := decSeqs / float64(r.DP)               // decoding sequences per replica
		if c.Concurrency > 0 && r.DP > 1 {
			// The busiest replica holds the sequences that do not share
			// out evenly.
			rankDec = math.Ceil(seqs / float64(r.DP))
			unitTokens = rankDec * perSeq / gN
		}
		if mx := c.Mix; mx.active() && r.DP > 1 {
			// The busiest replica sets the step: its decoding sequences
			// and prompt tokens, at least an even share of each.
			rankDec = math.Max(float64(mx.RankDecode), rankDec)
			rankPre := math.Max(float64(mx.RankPrefill), float64(mx.Prefill)/float64(r.DP))
			unitTokens = (rankDec*float64(1+c.MTPDraft) + rankPre) / gN
		}
		// A decode-only step runs in the engine's captured graph of the
		// next size up: its GEMMs, head and collectives process the padded
		// batch (the experts and attention only the real tokens: padded
		// slots route nowhere and have no KV).
		s.tokens = unitTokens
		if decodeOnly(c) {
			if g, ok := c.Runtime.graphed(rankDec / gN); ok {
				r.GraphBatch = int(g)
				unitTokens *= g * gN / rankDec
			}
		}
		stageDies := float64(dies / c.PP)
		mb := float64(c.MicroBatches)

		s.c, s.r, s.acc, s.dies, s.base, s.prec, s.die = c, r, acc, dies, base, prec, die
		s.seqs, s.perSeq, s.ctx, s.gN, s.unitTokens, s.stageDies, s.mb = seqs, perSeq, ctx, gN, unitTokens, stageDies, mb
		s.decSeqs, s.rankDec = decSeqs, rankDec
		s.tokMB = unitTokens / mb
		return nil
	}()
	return s, err
}

// fitMemory fills the memory per die and the largest batch that fits,
// and refuses a step that does not fit (infeasible).
func (s *step) fitMemory() error {
	c, r, e, acc, dies, prec, die, seqs, ctx := s.c, &s.r, s.e, s.acc, s.dies, s.prec, s.die, s.seqs, s.ctx
	// Memory per die (with a concurrency, on the busiest replica).
	if c.Concurrency > 0 {
		seqs = s.rankDec * float64(r.DP)
	}
	mem := e.memory(c, prec, dies, seqs, ctx)
	r.Memory = mem
	r.MemoryBytesPerDie = mem.Weights + mem.KVCache + mem.Activations
	r.HBMBytesPerDie = die.HBMBytes
	usable := die.HBMBytes * c.HBMFraction
	free := usable - mem.Weights
	if seqPerDie := seqs / float64(r.DP) / float64(c.PP); seqPerDie > 0 {
		perSeqDie := (mem.KVCache + mem.Activations) / seqPerDie
		if perSeqDie > 0 && free > 0 {
			r.MaxBatch = int(free / perSeqDie * float64(r.DP) * float64(c.PP) / float64(acc))
		}
	}
	if c.Mix.active() {
		// The scheduler sized the KV cache (KVCapacity); only the
		// weights and activations must fit here.
		r.MaxBatch = 0
		if mem.Weights+mem.Activations > usable {
			return infeasible("does not fit: each die needs %.1f GB of weights and %.1f GB of activations for this step but may fill %.1f GB", mem.Weights/1e9, mem.Activations/1e9, usable/1e9)
		}
		return nil
	}
	if c.MaxSeqs > 0 {
		// The engine's cap on running sequences, per replica.
		capBatch := c.MaxSeqs * r.DP / acc
		if r.MaxBatch > capBatch {
			r.MaxBatch = capBatch
		}
		seqsPerReplica := c.Batch * acc / r.DP
		if c.Concurrency > 0 {
			seqsPerReplica = int(s.rankDec)
		}
		if seqsPerReplica > c.MaxSeqs {
			return infeasible("past the engine's limit: batch %d per accelerator is %d sequences per replica, and the engine runs at most %d (max_seqs); raise it or lower the batch",
				c.Batch, seqsPerReplica, c.MaxSeqs)
		}
	}
	if err := s.fitBudget(); err != nil {
		return err
	}
	if r.MemoryBytesPerDie > usable {
		return infeasible("does not fit: each die needs %.1f GB (weights %.1f, KV cache %.1f, activations %.1f) but may fill %.1f GB (%.0f%% of its %.1f GB of HBM); the largest batch that fits is %d per accelerator",
			r.MemoryBytesPerDie/1e9, mem.Weights/1e9, mem.KVCache/1e9, mem.Activations/1e9, usable/1e9, 100*c.HBMFraction, die.HBMBytes/1e9, r.MaxBatch)
	}

	return nil
}

// computeLayers prices every layer's operators on one die of a TP group,
// per micro-batch, and the head and MTP after them; it fills the load.
func (s *step) computeLayers() error {
	c, r, prec, die, seqs, perSeq, ctx := s.c, &s.r, s.prec, s.die, s.seqs, s.perSeq, s.ctx
	m, gN, mb, stageDies := c.Model, s.gN, s.mb, s.stageDies
	wb, kb, ab := prec.Weights.Bytes(), prec.KVCache.Bytes(), prec.Activations.Bytes()
	// Compute per layer kind, per micro-batch, on one die of a TP group.
	tokMB := s.tokMB
	tp := float64(c.TP)
	// vectorOp is a layer's memory-bound element-wise work (norms,
	// residual adds, rotary embedding, activations, MoE permutation), as
	// passes over bytes; it rides on its neighbours' launches (fused or
	// graph-captured), so it pays no launch overhead of its own.
	vdie := die
	vdie.KernelLaunchS = 0
	vectorOp := func(bytes float64) compute.Op {
		return compute.Op{Class: compute.GEMM, Bytes: bytes, Dtype: prec.Activations}
	}
	attnOps := func(layer int) ([]compute.Op, error) {
		proj := m.Layer(layer).Attention
		var f llm.FLOPs
		if c.Phase != Prefill {
			f = m.FLOPsPerTokenAbsorbed(ctx)
		} else {
			f = m.FLOPsPerToken(ctx / 2)
		}
		attnPerLayer := f.Attention() / float64(m.Layers)
		kv := m.KVBytesPerToken(kb) / float64(m.Layers)
		seqMB := s.rankDec / gN / mb
		decTok := tokMB
		if c.Phase != Prefill {
			// One token per running sequence, and its draft tokens with
			// MTP (a graph's padded slots attend to nothing); in serve
			// the rest are prompts.
			decTok = seqMB * float64(1+c.MTPDraft)
		}
		ops := []compute.Op{
			{Class: compute.GEMM, FLOPs: 2 * tokMB * proj / tp, Bytes: proj*prec.AttentionWeights().Bytes()/tp + 2*tokMB*float64(m.Hidden)*ab, Dtype: prec.AttentionWeights()},
			{Class: compute.Attention, FLOPs: decTok * attnPerLayer / tp, Bytes: seqMB * float64(ctx) * kv / KVSplit(m, c.TP), Dtype: prec.Activations},
			vectorOp(tokMB * float64(m.Hidden) * ab * layerVectorPasses),
		}
		if c.Phase == Serve {
			// The prompts that replace finishing sequences, prefilled in
			// the same step by their own kernel: causal attention over
			// the prompt (InputLen/2 keys per token on average), each
			// prompt's KV written once.
			keys := c.InputLen / 2
			if c.Mix.active() {
				keys = c.Mix.PrefillContext
			}
			pre := m.FLOPsPerToken(keys).Attention() / float64(m.Layers)
			preTok := tokMB - decTok
			ops = append(ops, compute.Op{Class: compute.Attention, FLOPs: preTok * pre / tp,
				Bytes: preTok * kv / KVSplit(m, c.TP), Dtype: prec.Activations})
		}
		return ops, nil
	}
	ffnOps := func(layer int) []compute.Op {
		lp := m.Layer(layer)
		if !m.IsMoELayer(layer) {
			return []compute.Op{{Class: compute.GEMM, FLOPs: 2 * tokMB * lp.FFN / tp, Bytes: lp.FFN*wb/tp + 2*tokMB*float64(m.Hidden)*ab, Dtype: prec.Weights},
				vectorOp(3 * tokMB * float64(m.FFN.Intermediate) / tp * ab)}
		}
		ops := []compute.Op{{Class: compute.GEMM, FLOPs: 2 * tokMB * (lp.SharedExperts + lp.Router) / tp,
			Bytes: (lp.SharedExperts+lp.Router)*wb/tp + 2*tokMB*float64(m.Hidden)*ab, Dtype: prec.Weights}}
		// Routed experts: every token of the stage picks TopK experts; the
		// busiest die gets its share times the imbalance. With EP smaller
		// than the stage, each EP group serves its own dies' tokens (the
		// other groups hold replicas of the same experts).
		stageTokens := seqs * perSeq / mb / gN
		pairs := stageTokens * float64(m.MoE.TopK) / stageDies * c.ExpertImbalance
		local := math.Ceil(float64(m.MoE.RoutedExperts) / float64(c.EP))
		touched := math.Min(local, pairs)
		ops = append(ops, compute.Op{Class: compute.MoEGEMM, FLOPs: 2 * pairs * lp.Expert,
			Bytes: touched*lp.Expert*prec.ExpertWeights().Bytes() + 2*pairs*float64(m.Hidden)*ab, Dtype: prec.ExpertWeights()})
		// Permuting the received tokens into expert order and back, the
		// experts' gated activation and the weighted sum of their outputs:
		// memory-bound passes over every (token, expert) pair.
		h := float64(m.Hidden)
		ops = append(ops, vectorOp((4*h+3*float64(m.MoE.ExpertIntermediate))*pairs*ab))
		return ops
	}
	var compLayer []float64 // per layer, per micro-batch
	// meter weighs one pass over the layers and the head by how compute-
	// or memory-bound each operator is (power.LoadFactor).
	var meter power.LoadMeter
	ks := s.e.kernelSet(c.Kernels)
	var klog kernelLog
	kinds := &s.fitted // a fitted layer's calls by kind (MoE, sliding): alike layers cost alike
	for l := 0; l < m.Layers; l++ {
		ops, err := attnOps(l)
		if err != nil {
			return err
		}
		ops = append(ops, ffnOps(l)...)
		var sum float64
		if ks != nil {
			kind := 0
			if m.IsMoELayer(l) {
				kind++
			}
			if m.IsSliding(l) {
				kind += 2
			}
			if kinds[kind] == nil {
				if kinds[kind], err = s.fittedLayer(ks, l, ops, &die, &vdie); err != nil {
					return err
				}
			}
			for _, t := range kinds[kind] {
				meter.Add(&die, t.tm.ComputeS, t.tm.MemoryS, t.tm.LaunchS, 1)
				if t.c.class >= 0 {
					klog.add(t.c)
				}
				sum += t.total()
			}
			compLayer = append(compLayer, sum)
			continue
		}
		for _, op := range ops {
			spec := &die
			if op.FLOPs == 0 {
				spec = &vdie
			}
			tm, err := compute.Roofline(spec, op)
			if err != nil {
				return err
			}
			meter.Add(&die, tm.ComputeS, tm.MemoryS, tm.LaunchS, 1)
			sum += tm.TotalS()
		}
		compLayer = append(compLayer, sum)
	}
	// LM head on the last stage, and MTP modules (one layer of the last
	// kind plus the head, per draft token) for decode.
	// The output head runs on the tokens that produce logits: every token
	// in decode, only each sequence's last in prefill.
	headTok := tokMB
	switch c.Phase {
	case Prefill:
		headTok = seqs / float64(r.DP) / gN / mb
	case Serve:
		// Every running sequence's tokens (and drafts), and each new
		// prompt's last token.
		if c.Mix.active() {
			pre := float64(c.Mix.PrefillSeqs) / float64(r.DP)
			if c.Mix.RankPrefill > 0 {
				pre = math.Max(pre, 1)
			}
			headTok = (s.rankDec*float64(1+c.MTPDraft) + pre) / gN / mb
			break
		}
		headTok = seqs * (float64(1+c.MTPDraft) + mtpAccepted(c)/float64(c.OutputLen)) / float64(r.DP) / gN / mb
	}
	head := compute.Op{Class: compute.GEMM, FLOPs: 2 * headTok * float64(m.Vocab*m.Hidden) / tp,
		Bytes: float64(m.Vocab*m.Hidden)*wb/tp + headTok*float64(m.Vocab)*ab/tp, Dtype: prec.Weights}
	headT, err := compute.Roofline(&die, head)
	if err != nil {
		return err
	}
	headS := headT.TotalS()
	if ks != nil {
		t, err := timeCall(ks.gemmCall(prec.Weights, m.MoE != nil, headTok, m.Vocab/c.TP, m.Hidden, ab), &die, &vdie)
		if err != nil {
			return err
		}
		klog.add(t.c)
		headT, headS = t.tm, t.total()
		r.Kernels = klog.sources(ks.system)
	}
	meter.Add(&die, headT.ComputeS, headT.MemoryS, headT.LaunchS, 1)
	r.Load = meter.Load()
	extra := headS
	if (c.Phase == Decode || c.Phase == Serve) && c.MTPDraft > 0 {
		// Each draft token runs the MTP block on the step's sequences.
		if c.Mix.active() {
			// Only the decoding sequences' tokens run it.
			perSeq = s.seqs * perSeq / s.decSeqs
		}
		extra += float64(c.MTPDraft) * (compLayer[m.Layers-1]/perSeq + headS/perSeq)
	}

	s.compLayer, s.extra = compLayer, extra
	return nil
}

// communicate simulates the step's collectives on the fabric, once per
// layer kind: the TP allreduces and the MoE dispatch and combine.
func (s *step) communicate() error {
	c, e, prec, base, dies, seqs, perSeq := s.c, s.e, s.prec, s.base, s.dies, s.seqs, s.perSeq
	m, gN, mb, stageDies, tokMB := c.Model, s.gN, s.mb, s.stageDies, s.tokMB
	ab := prec.Activations.Bytes()
	// Communication per layer kind, simulated once each.
	var comms []CommTime
	commLayer := make([]float64, m.Layers)
	if c.TP > 1 {
		s, _, err := s.octaves(tokMB, func(tok float64) (float64, float64, error) {
			v, err := e.tpAllreduce(c, base, dies, tok*float64(m.Hidden)*ab)
			return v, 0, err
		})
		if err != nil {
			return err
		}
		comms = append(comms, CommTime{Name: fmt.Sprintf("TP%d allreduce", c.TP), PerLayer: s, Count: 2 * m.Layers * c.MicroBatches})
		for l := range commLayer {
			commLayer[l] += 2 * s
		}
	}
	if m.MoE != nil && c.EP > 1 {
		tokPerRank := seqs * perSeq / mb / gN / stageDies
		// The dispatch payload's dtype (8-bit with scales by default for
		// 8-bit weights: DeepEP, CloudMatrix-Infer).
		dispatchB := prec.DispatchBytes(m.Hidden)
		combineB := float64(m.Hidden) * 2 // BF16 combine
		d, cb, err := s.octaves(math.Ceil(tokPerRank), func(tok float64) (float64, float64, error) {
			moe := collective.MoE{TokensPerRank: int(tok), Hidden: m.Hidden, TopK: m.MoE.TopK,
				Experts: roundUp(m.MoE.RoutedExperts, c.EP), DispatchBytesPerToken: dispatchB, CombineBytesPerToken: combineB}
			return e.moe(c, base, dies, moe)
		})
		if err != nil {
			return err
		}
		comms = append(comms, CommTime{Name: fmt.Sprintf("EP%d dispatch", c.EP), PerLayer: d, Count: m.MoELayers() * c.MicroBatches},
			CommTime{Name: fmt.Sprintf("EP%d combine", c.EP), PerLayer: cb, Count: m.MoELayers() * c.MicroBatches})
		for l := range commLayer {
			if m.IsMoELayer(l) {
				commLayer[l] += d + cb
			}
		}
	}

	s.comms, s.commLayer = comms, commLayer
	return nil
}

// octaves is f(x), a collective's time (two of them for MoE's dispatch
// and combine) at x tokens. For a Mix, unless the engine is ExactMix, it
// simulates the collectives at the powers of two around x and interpolates
// linearly: a collective's time is close to affine in its bytes between
// them (a latency and a transfer), and a request-level run, whose steps
// take every token count, then simulates one collective per octave
// (TestMixOctaves bounds the error).
func (s *step) octaves(x float64, f func(x float64) (float64, float64, error)) (float64, float64, error) {
	if !s.c.Mix.active() || s.e.ExactMix || x <= 0 {
		return f(x)
	}
	lo := math.Exp2(math.Floor(math.Log2(x)))
	if lo == x {
		return f(x)
	}
	a0, b0, err := f(lo)
	if err != nil {
		return 0, 0, err
	}
	a1, b1, err := f(2 * lo)
	if err != nil {
		return 0, 0, err
	}
	w := (x - lo) / lo
	return a0 + w*(a1-a0), b0 + w*(b1-b0), nil
}

// assemble lays the layers over the pipeline into the step (with the
// stages' sends) and derives its throughput.
func (s *step) assemble() error {
	c, r, e, base, dies, seqs := s.c, &s.r, s.e, s.base, s.dies, s.seqs
	m, gN, mb, tokMB, acc := c.Model, s.gN, s.mb, s.tokMB, s.acc
	ab := s.prec.Activations.Bytes()
	compLayer, commLayer, extra, comms := s.compLayer, s.commLayer, s.extra, s.comms
	// Assemble the step. A group of sequences runs every layer in turn,
	// stage after stage, with a hand-off between stages; a stage works on
	// one group at a time, so with G groups in flight the step (between
	// one group's passes) is the longer of a group's way through the
	// pipeline and G times the busiest stage.
	perStage := m.Layers / c.PP
	stageS := make([]float64, c.PP)
	var walk, comp, commAll float64
	for l := 0; l < m.Layers; l++ {
		cl, ml := compLayer[l], commLayer[l]
		comp += cl * mb
		commAll += ml * mb
		lt := cl + ml
		if c.MicroBatches == 2 {
			lt = cl + ml + math.Max(cl, ml)
		}
		walk += lt
		stageS[l/perStage] += lt
		kind := "dense"
		if m.IsMoELayer(l) {
			kind = "moe"
		}
		r.Layers = append(r.Layers, LayerTime{Name: fmt.Sprintf("layer %d (%s)", l, kind), ComputeS: cl * mb, CommS: ml * mb, StepS: lt})
	}
	comp += extra * mb
	walk += extra * mb
	stageS[c.PP-1] += extra * mb
	r.Layers = append(r.Layers, LayerTime{Name: "head", ComputeS: extra * mb, StepS: extra * mb})
	if c.PP > 1 {
		// Every stage hands its group's activations to the next, all
		// boundaries at once (in steady state they coincide).
		s, err := e.ppSend(c, base, dies, tokMB*float64(m.Hidden)*ab)
		if err != nil {
			return err
		}
		send := s * float64(c.PP-1) * mb
		comms = append(comms, CommTime{Name: fmt.Sprintf("PP%d send", c.PP), PerLayer: s, Count: (c.PP - 1) * c.MicroBatches})
		walk += send
		commAll += send
		r.Layers = append(r.Layers, LayerTime{Name: "pipeline sends", CommS: send, StepS: send})
	}
	busiest := 0.0
	for _, v := range stageS {
		busiest = math.Max(busiest, v)
	}
	// Prompts past the engine's token budget are prefilled in chunks, a
	// step each (fitBudget priced one chunk): the batch takes them all.
	chunks := float64(max(r.Chunks, 1))
	device := math.Max(walk, gN*busiest) * chunks
	walk *= chunks
	comp *= chunks
	commAll *= chunks
	busiest *= chunks
	if r.Chunks > 1 {
		for i := range r.Layers {
			l := &r.Layers[i]
			l.ComputeS, l.CommS, l.StepS = l.ComputeS*chunks, l.CommS*chunks, l.StepS*chunks
		}
		for i := range comms {
			comms[i].Count *= r.Chunks
		}
	}
	// The serving engine's own cost: the host's work the device waits
	// for, and the gap between steps (Runtime); a step no graph covers
	// launches its stage's layers from the host.
	launch := 0.0
	piecewise := !decodeOnly(c) && s.tokens <= float64(c.Runtime.PiecewiseTokens)
	if r.GraphBatch == 0 && !piecewise {
		launch = c.Runtime.EagerLayerS * float64(perStage) * mb
	}
	rankSeqs := math.Max(s.rankDec, seqs/float64(r.DP))
	// Every chunk pays the engine's step cost.
	r.RuntimeS = c.Runtime.visible(device/chunks, rankSeqs, launch) * chunks
	if r.RuntimeS > 0 {
		r.Layers = append(r.Layers, LayerTime{Name: runtimeLayer, StepS: r.RuntimeS})
	}
	step := device + r.RuntimeS
	walk += r.RuntimeS
	r.Comm = comms
	r.StepS = step
	// A die of a stage computes its layers for every group in a step.
	r.ComputeS = math.Min(comp*gN/float64(c.PP), device)
	r.CommS = commAll * gN / float64(c.PP)
	r.ExposedCommS = math.Max(0, device-r.ComputeS)
	r.BubbleS = device - gN*busiest

	// Throughput: in a step every sequence in the system advances once.
	accepted := mtpAccepted(c)
	switch c.Phase {
	case Decode:
		r.TokensPerStep = seqs * accepted
		r.TPOTS = step / accepted
		r.TokensPerSPerUser = accepted / step
	case Serve:
		// Every running sequence yields its accepted tokens (one without
		// MTP); a new prompt's first token replaces the last token of the
		// sequence it follows.
		r.TokensPerStep = s.decSeqs * accepted
		r.TPOTS = step / accepted
		r.TokensPerSPerUser = accepted / step
		r.TTFTS = step/2 + walk
		if c.Mix.active() {
			// A composed step's prompts get their first token when it ends.
			r.TTFTS = walk
		}
	default:
		r.TokensPerStep = seqs * chunks * float64(c.InputLen)
		r.TTFTS = walk
	}
	r.TokensPerS = r.TokensPerStep / step
	r.TokensPerSPerAccel = r.TokensPerS / float64(acc)

	return nil
}

// power accounts the step's energy (power.Account) and the serving
// accelerators' share of it.
func (s *step) power() error {
	c, r, acc, t, step := s.c, &s.r, s.acc, s.e.Topo, s.r.StepS
	var err error
	// Power over a step: serving dies compute for ComputeS and wait on
	// communication for the rest.
	run := power.Run{DurationS: step, AccelCommS: make([]float64, len(t.Accels)), AccelComputeS: make([]float64, len(t.Accels)),
		SwitchBytes: make([]float64, len(t.Switches))}
	run.AccelLoad = make([]float64, len(t.Accels))
	busy := acc
	if c.Concurrency > 0 && c.Model.MoE == nil && c.Concurrency < r.DP {
		// A dense model's replicas without a sequence idle the whole
		// step (a MoE model's experts work on every rank).
		perAcc := t.Accels[0].Spec.Dies
		busy = min(acc, (c.Concurrency*c.TP*c.PP+perAcc-1)/perAcc)
	}
	for i := c.FirstAccelerator; i < c.FirstAccelerator+busy; i++ {
		run.AccelComputeS[i] = r.ComputeS
		run.AccelLoad[i] = r.Load
		run.AccelCommS[i] = step - r.ComputeS
	}
	r.Energy, err = power.Account(t, c.PowerMode, step, run)
	if err != nil {
		return err
	}
	// The serving accelerators' share of the system's power: the
	// topology's energy pro rata by accelerators (the rest of the system
	// can serve other work), so that systems of different sizes compare.
	share := float64(acc) / float64(len(t.Accels))
	r.ServingShare = share
	r.PowerW = r.Energy.AvgITW * share
	r.FacilityPowerW = r.Energy.AvgFacilityW * share
	if s.e.provFW == 0 {
		b, err := power.ProvisionedBudget(t)
		if err != nil {
			return err
		}
		s.e.provFW = b.FacilityW
	}
	r.ProvisionedFacilityW = s.e.provFW * share
	if r.Energy.ITJ > 0 {
		r.TokensPerJ = r.TokensPerStep / (r.Energy.ITJ * share)
	}
	if r.PowerW > 0 {
		r.TokensPerKW = r.TokensPerS / (r.PowerW / 1e3)
	}
	return nil
}

// layerVectorPasses is the hidden-sized activation traffic per token of
// a layer's element-wise operators, in passes: twice a fused residual add
// and RMSNorm (read the input and the residual, write both), as serving
// engines run it; the rotary embedding rides in the attention kernel.
const layerVectorPasses = 2 * 4

func roundUp(a, b int) int { return (a + b - 1) / b * b }

// tokensPerSeq is the tokens a step processes per sequence: its prompt
// (prefill), 1 + the draft tokens (decode), or in serve 1 plus the prompt
// tokens of the B/OutputLen sequences that start per step, spread over the
// B running ones.
func tokensPerSeq(c Config) float64 {
	if mx := c.Mix; mx.active() {
		return float64(mx.Decode*(1+c.MTPDraft)+mx.Prefill) / float64(mx.Decode+mx.PrefillSeqs)
	}
	switch c.Phase {
	case Prefill:
		return float64(c.InputLen)
	case Serve:
		// The running sequence's token and drafts, and the prompts of the
		// sequences that replace those finishing, which finish accepted /
		// OutputLen of a request per step.
		return float64(1+c.MTPDraft) + mtpAccepted(c)*float64(c.InputLen)/float64(c.OutputLen)
	}
	return float64(1 + c.MTPDraft)
}

// mtpAccepted is the tokens a sequence yields per step: 1, plus each draft
// token accepted with its predecessors (MTPAccept to the power of its
// position).
func mtpAccepted(c Config) float64 {
	accepted := 1.0
	for i, p := 1, c.MTPAccept; i <= c.MTPDraft; i++ {
		accepted += math.Pow(p, float64(i))
	}
	return accepted
}

// ServeContext is the mean KV length of a running sequence in serve: its
// prompt and, on average over its life, half its output.
func ServeContext(c Config) int { return c.InputLen + c.OutputLen/2 }

// KVSplit is how many ways tensor parallelism splits the KV cache: by KV
// heads where there are enough of them; MLA's latent is not split.
func KVSplit(m *llm.Model, tp int) float64 {
	if m.Attention.Kind == llm.MLA {
		return 1
	}
	return float64(min(tp, max(m.Attention.KVHeads, 1)))
}

// memory is what one die holds.
func (e *Engine) memory(c Config, p compute.Precision, dies int, seqs float64, ctx int) MemoryUse {
	m := c.Model
	wb := p.Weights.Bytes()
	// Attention and routed experts may have their own dtypes: count their
	// bytes in units of the weights' dtype.
	aw, ew := p.AttentionWeights().Bytes()/wb, p.ExpertWeights().Bytes()/wb
	tp, pp := float64(c.TP), float64(c.PP)
	var w, all float64
	for l := 0; l < m.Layers; l++ {
		lp := m.Layer(l)
		all += lp.Total()
		w += (lp.Attention*aw + lp.Norms + lp.FFN) / tp
		if m.IsMoELayer(l) {
			w += lp.SharedExperts + lp.Router
			w += math.Ceil(float64(lp.RoutedExperts)/float64(c.EP)) * lp.Expert * ew
		}
	}
	// MTP modules are layers of the same build: spread like the others.
	if all > 0 {
		w += m.MTPParams() * w / all
	}
	w /= pp
	pr := m.Params()
	w += (pr.Embedding + pr.LMHead) / tp
	dp := float64(dies / (c.TP * c.PP))
	seqsPerReplica := seqs / dp
	kv := seqsPerReplica * float64(ctx) * m.KVBytesPerToken(p.KVCache.Bytes()) / pp / KVSplit(m, c.TP)
	perSeq := tokensPerSeq(c)
	// Activations: a few hidden-sized buffers per token in flight.
	act := seqsPerReplica * perSeq * float64(m.Hidden) * p.Activations.Bytes() * 8 / tp
	return MemoryUse{Weights: w * wb, KVCache: kv, Activations: act}
}

// groups splits dies base..base+n-1 into consecutive groups of size k.
func groups(base, n, k int) [][]int {
	var out [][]int
	for s := 0; s+k <= n; s += k {
		g := make([]int, k)
		for i := range g {
			g[i] = base + s + i
		}
		out = append(out, g)
	}
	return out
}

// tpAllreduce simulates every TP group's allreduce of bytes at once.
func (e *Engine) tpAllreduce(c Config, base, dies int, bytes float64) (float64, error) {
	key := fmt.Sprintf("tp|%d|%d|%d|%g", base, dies, c.TP, bytes)
	if v, ok := e.comm[key]; ok {
		return v, nil
	}
	var jobs []collective.Job
	for _, g := range groups(base, dies, c.TP) {
		grp, err := collective.NewGroup(e.Fabric, collective.Placement{List: g})
		if err != nil {
			return 0, err
		}
		best := collective.Ring
		var proto collective.Protocol
		if out, err := collective.Execute(e.Fabric, collective.One(grp, collective.AllReduce, collective.Auto, bytes, collective.Options{})); err == nil {
			best, proto = out.Results[0].Algorithm, out.Results[0].Protocol
		}
		jobs = append(jobs, collective.Job{Group: grp, Op: collective.AllReduce, Algorithm: best, Bytes: bytes, Options: collective.Options{Protocol: proto}})
	}
	out, err := collective.Execute(e.Fabric, collective.Request{Jobs: jobs})
	if err != nil {
		return 0, err
	}
	res := out.Results
	v := maxTime(res)
	e.comm[key] = v
	return v, nil
}

// moe simulates every EP group's dispatch, then combine, at once.
func (e *Engine) moe(c Config, base, dies int, m collective.MoE) (float64, float64, error) {
	key := fmt.Sprintf("moe|%d|%d|%d|%d|%+v", base, dies, c.EP, c.PP, m)
	if v, ok := e.comm[key]; ok {
		return v, e.comm[key+"|c"], nil
	}
	stage := dies / c.PP
	var out [2]float64
	for k, combine := range []bool{false, true} {
		var jobs []collective.Job
		for _, g := range groups(base, stage, c.EP) {
			grp, err := collective.NewGroup(e.Fabric, collective.Placement{List: g})
			if err != nil {
				return 0, 0, err
			}
			gm := m
			if c.Phase == Prefill && grp.Domains() > 1 {
				// Prefill runs DeepEP-style normal kernels: a token crosses
				// the scale-out network once per domain holding its
				// experts, with the model's group-limited routing, and is
				// forwarded inside the domain.
				gm.DomainDedup = true
				gm.Groups, gm.TopKGroups = c.Model.MoE.Groups, c.Model.MoE.TopKGroups
				if gm.Check(grp.Size()) != nil {
					gm.Groups, gm.TopKGroups = 0, 0 // padded experts that do not split into the groups
				}
			}
			if err := gm.Check(grp.Size()); err != nil {
				return 0, 0, err
			}
			op := collective.MoEDispatch
			if combine {
				op = collective.MoECombine
			}
			stages, err := gm.Stages(grp, combine)
			if err != nil {
				return 0, 0, err
			}
			for _, mat := range stages {
				jobs = append(jobs, collective.Job{Group: grp, Op: op, Algorithm: collective.Direct, Bytes: collective.RowBytes(mat),
					Options: collective.Options{Matrix: mat, Protocol: collective.Simple}})
			}
		}
		run, err := collective.Execute(e.Fabric, collective.Request{Jobs: jobs})
		if err != nil {
			return 0, 0, err
		}
		out[k] = maxTime(run.Results)
	}
	e.comm[key], e.comm[key+"|c"] = out[0], out[1]
	return out[0], out[1], nil
}

// ppSend simulates the hand-off of bytes from every die of each pipeline
// stage to its peer in the next stage, every boundary at once.
func (e *Engine) ppSend(c Config, base, dies int, bytes float64) (float64, error) {
	stage := dies / c.PP
	var ss []Send
	for d := 0; d < dies-stage; d++ {
		ss = append(ss, Send{From: base + d, To: base + d + stage, Bytes: bytes})
	}
	return e.Sends(ss)
}

// Send is bytes moving from one die to another (indices into the
// topology's surviving dies, as collective.Placement.List counts them).
type Send struct {
	From, To int
	Bytes    float64
}

// Sends simulates point-to-point transfers all at once on the network,
// so that they contend, and returns when the last one has arrived. Each is
// one message from its sender (the accelerator's bulk step latency and
// operation overhead, then the bytes at the share of every link the
// fabric gives it).
func (e *Engine) Sends(ss []Send) (float64, error) {
	var key strings.Builder
	key.WriteString("sends")
	for _, x := range ss {
		fmt.Fprintf(&key, "|%d>%d:%g", x.From, x.To, x.Bytes)
	}
	if v, ok := e.comm[key.String()]; ok {
		return v, nil
	}
	var jobs []collective.Job
	for _, x := range ss {
		if x.From == x.To || x.Bytes <= 0 {
			continue
		}
		grp, err := collective.NewGroup(e.Fabric, collective.Placement{List: []int{x.From, x.To}})
		if err != nil {
			return 0, err
		}
		// A broadcast down a chain of two ranks in one chunk is one send.
		jobs = append(jobs, collective.Job{Group: grp, Op: collective.Broadcast, Algorithm: collective.Ring, Bytes: x.Bytes,
			Options: collective.Options{Chunks: 1, Protocol: collective.Simple}})
	}
	v := 0.0
	if len(jobs) > 0 {
		out, err := collective.Execute(e.Fabric, collective.Request{Jobs: jobs})
		if err != nil {
			return 0, err
		}
		v = maxTime(out.Results)
	}
	e.comm[key.String()] = v
	return v, nil
}

// SendTimes simulates point-to-point transfers all at once, as Sends
// does, and returns when each one arrives (0 for one that moves
// nothing), in order.
func (e *Engine) SendTimes(ss []Send) ([]float64, error) {
	var key strings.Builder
	key.WriteString("sendtimes")
	for _, x := range ss {
		fmt.Fprintf(&key, "|%d>%d:%g", x.From, x.To, x.Bytes)
	}
	k := key.String()
	out := make([]float64, len(ss))
	if _, ok := e.comm[k]; ok {
		for i := range ss {
			out[i] = e.comm[fmt.Sprintf("%s|%d", k, i)]
		}
		return out, nil
	}
	var jobs []collective.Job
	var idx []int
	for i, x := range ss {
		if x.From == x.To || x.Bytes <= 0 {
			continue
		}
		grp, err := collective.NewGroup(e.Fabric, collective.Placement{List: []int{x.From, x.To}})
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, collective.Job{Group: grp, Op: collective.Broadcast, Algorithm: collective.Ring, Bytes: x.Bytes,
			Options: collective.Options{Chunks: 1, Protocol: collective.Simple}})
		idx = append(idx, i)
	}
	if len(jobs) > 0 {
		run, err := collective.Execute(e.Fabric, collective.Request{Jobs: jobs})
		if err != nil {
			return nil, err
		}
		for j, r := range run.Results {
			out[idx[j]] = r.TimeS
		}
	}
	e.comm[k] = 0
	for i, v := range out {
		e.comm[fmt.Sprintf("%s|%d", k, i)] = v
	}
	return out, nil
}

func maxTime(rs []collective.Result) float64 {
	v := 0.0
	for _, r := range rs {
		v = math.Max(v, r.TimeS)
	}
	return v
}

// Describe is a one-line summary of a configuration.
func (c Config) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s batch %d", c.Model.Name, c.Phase, c.Batch)
	switch c.Phase {
	case Prefill:
		fmt.Fprintf(&b, " input %d", c.InputLen)
	case Serve:
		fmt.Fprintf(&b, " input %d output %d", c.InputLen, c.OutputLen)
	default:
		fmt.Fprintf(&b, " context %d", c.Context)
	}
	fmt.Fprintf(&b, " TP%d PP%d EP%d", c.TP, c.PP, c.EP)
	return b.String()
}
