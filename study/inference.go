package study

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/serve"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/units"
)

// Defaults of an inference spec: one home for what the command line's
// --help and a scenario file's documentation both state.
const (
	DefaultInputLen   = 4096 // prompt tokens
	DefaultContext    = 4096 // KV tokens per sequence (decode)
	DefaultOutputLen  = 1024 // tokens generated per request (serve, disagg)
	DefaultMTPAccept  = 0.7  // acceptance rate of a draft token
	DefaultDtype      = "bf16"
	DisaggPhase       = infer.Phase("disagg")
	DefaultPhase      = infer.Decode
	DefaultHBMShare   = 1.0 // the physical limit; vLLM's gpu_memory_utilization is 0.9
	DefaultImbalance  = 1.0 // balanced experts
	DefaultMicroBatch = 0   // the faster of 1 and 2
)

// InferenceSpec is one LLM serving configuration, as a scenario file's
// `inference:` workload and 'cardsea infer' state it. A zero field takes
// its default. Compile checks every rule once, for every front door, and
// names fields by the keys below (field.Error); the front door renames
// them (--input-len, workloads[0].inference.input_len).
type InferenceSpec struct {
	// Phase: prefill, decode (default), serve (continuous batching of a
	// request mix: input_len and output_len are its means) or disagg (a
	// prefill instance and a decode instance with the KV transfer between
	// them).
	Phase string `yaml:"phase" help:"prefill, decode, serve (continuous batching of a request mix) or disagg (prefill and decode instances with KV transfer)"`
	// Batch: sequences per accelerator (default 1, or searched with an SLO).
	Batch int `yaml:"batch" min:"1" short:"b" help:"sequences per accelerator (default 1, or searched with an SLO)"`
	// Concurrency: sequences in flight over the whole instance, instead
	// of batch per accelerator.
	Concurrency int `yaml:"concurrency" min:"1" help:"sequences in flight over the whole instance instead of --batch per accelerator (e.g. TP8 at a concurrency of 4): the busiest replica sets the step, idle replicas draw idle power"`
	// InputLen: prompt tokens for prefill (default 4096).
	InputLen int `yaml:"input_len" min:"1" help:"prompt tokens (prefill, disagg; serve: the mean per request)"`
	// Context: KV length per sequence for decode (default 4096).
	Context int `yaml:"context" min:"1" help:"KV length per sequence (decode; disagg: default input + output/2)"`
	// The instance: model aside, its size, parallelism, precision and
	// engine (InstanceSpec, shared with a served instance).
	InstanceSpec `yaml:",inline"`
	// TPOTSLO or TTFTSLO searches the batch for the most tokens/s per
	// accelerator within the limit, e.g. 50ms.
	TPOTSLO string `yaml:"tpot_slo" help:"decode latency limit per token, e.g. 50ms: search the batch"`
	TTFTSLO string `yaml:"ttft_slo" help:"prefill latency limit, e.g. 2s: search the batch"`
	// SearchParallelism, with an SLO, also searches PP and TP (1, 2, 4,
	// 8) and, for MoE models, EP (the stage, half, a quarter).
	SearchParallelism bool `yaml:"search_parallelism" help:"with an SLO: also search PP and TP (1, 2, 4, 8) and, for MoE models, EP (the stage, half, a quarter)"`
	// Disaggregation (phase disagg): the prefill instance takes the first
	// PrefillAccelerators, the decode instance the next
	// DecodeAccelerators; each request has InputLen prompt tokens and
	// OutputLen generated ones (default 1024; serve: the mean).
	// PrefillBatch is prompts per prefill accelerator (default 1, or
	// searched with ttft_slo); PrefillTP, PrefillPP and PrefillEP the
	// prefill instance's parallelism (tp, pp and ep are the decode
	// instance's). Both SLOs may be given.
	PrefillAccelerators int `yaml:"prefill_accelerators" min:"1" flag:"prefill-ranks" help:"disagg: accelerators of the prefill instance (the first ones)"`
	DecodeAccelerators  int `yaml:"decode_accelerators" min:"1" flag:"decode-ranks" help:"disagg: accelerators of the decode instance (after the prefill's)"`
	OutputLen           int `yaml:"output_len" min:"1" help:"disagg: tokens generated per request; serve: the mean per request"`
	PrefillBatch        int `yaml:"prefill_batch" min:"1" help:"disagg: prompts per prefill accelerator (default 1, or searched with --ttft-slo)"`
	PrefillTP           int `yaml:"prefill_tp" min:"1" help:"disagg: prefill tensor parallel degree (default 1)"`
	PrefillPP           int `yaml:"prefill_pp" min:"1" help:"disagg: prefill pipeline parallel degree (default 1)"`
	PrefillEP           int `yaml:"prefill_ep" min:"1" help:"disagg: prefill expert parallel degree (default: every die of a stage)"`
}

// InferenceDefaults are the values zero fields of an InferenceSpec take,
// by key, for help texts (Compile applies them).
var InferenceDefaults = map[string]string{
	"phase": string(DefaultPhase), "input_len": strconv.Itoa(DefaultInputLen), "context": strconv.Itoa(DefaultContext),
	"output_len": strconv.Itoa(DefaultOutputLen), "weights_dtype": DefaultDtype, "kv_dtype": DefaultDtype, "act_dtype": DefaultDtype,
	"mtp_accept": strconv.FormatFloat(DefaultMTPAccept, 'g', -1, 64), "expert_imbalance": strconv.FormatFloat(DefaultImbalance, 'g', -1, 64),
	"hbm_fraction": strconv.FormatFloat(DefaultHBMShare, 'g', -1, 64), "engine": "vllm",
}

// InferenceJob is a compiled inference spec: typed, defaulted and
// checked. For resolves what depends on the topology; Run simulates it.
type InferenceJob struct {
	// Config is the step's configuration (the decode instance's for
	// disagg), before the topology resolves DP.
	Config infer.Config
	// Disagg is set for phase disagg.
	Disagg *infer.Disagg
	// TTFT and TPOT are the latency limits in seconds (0: none).
	TTFT, TPOT float64
	// Search also searches the parallelism under the limit.
	Search bool
	// DP is the data-parallel degree to resolve TP from (0: none).
	DP int
	// tpGiven says the spec set tp (it must then agree with DP).
	tpGiven bool
	// engine caps the running sequences per replica (For resolves its
	// default on the topology's device unless the spec gave max_seqs).
	engine string
	// stepEngine is the engine whose step cost, graphs and token budget
	// the steps pay (For resolves them; serve's instance names its
	// scheduler's engine), rt the spec's overrides of them.
	stepEngine string
	rt         runtimeSpec
}

// runtimeSpec is what a spec overrides of its engine's step runtime.
type runtimeSpec struct {
	maxSeqs    int // serve: the scheduler's (the instance's MaxSeqs is 0)
	maxTokens  int
	graphSizes []int
	eager      bool
	overhead   float64
	overSet    bool
}

// Limit is the step's latency limit for a batch search: the TPOT or TTFT
// limit (serve searches under both, infer.BestServeUnderSLO); 0 runs the
// batch as given.
func (j *InferenceJob) Limit() float64 {
	return max(j.TTFT, j.TPOT)
}

// Compile checks the spec and turns it into a job; dir anchors a relative
// model file ("" for the working directory). Every rule of an inference
// configuration that needs no topology is here, once; errors are
// field.Errors in the spec's keys.
func (s InferenceSpec) Compile(dir string) (*InferenceJob, error) {
	m, err := loadModel(s.Model, dir, "deepseek-r1")
	if err != nil {
		return nil, err
	}
	var prec compute.Precision
	for _, d := range []struct {
		s, field string
		out      *topology.Dtype
	}{{s.WeightsDtype, "weights_dtype", &prec.Weights}, {s.KVDtype, "kv_dtype", &prec.KVCache}, {s.ActDtype, "act_dtype", &prec.Activations}} {
		if *d.out, err = topology.ParseDtype(or(d.s, DefaultDtype)); err != nil {
			return nil, field.Wrap(d.field, err)
		}
	}
	for _, d := range []struct {
		s, field string
		out      *compute.Override
	}{{s.AttnDtype, "attn_dtype", &prec.Attention}, {s.MoEDtype, "moe_dtype", &prec.Experts}, {s.DispatchDtype, "dispatch_dtype", &prec.Dispatch}} {
		if d.s == "" {
			continue
		}
		dt, err := topology.ParseDtype(d.s)
		if err != nil {
			return nil, field.Wrap(d.field, err)
		}
		*d.out = compute.Override{Set: true, Dtype: dt}
	}
	if m.MoE == nil {
		for _, d := range []struct{ s, field string }{{s.MoEDtype, "moe_dtype"}, {s.DispatchDtype, "dispatch_dtype"}} {
			if d.s != "" {
				return nil, field.Errorf(d.field, "is for MoE models; %s is dense", m.Name)
			}
		}
	}
	mapping, err := compute.ParseDtypeMap(s.DtypeMap)
	if err != nil {
		return nil, field.Wrap("dtype_map", err)
	}
	phase := infer.Phase(strings.ToLower(or(s.Phase, string(DefaultPhase))))
	if phase != infer.Prefill && phase != infer.Decode && phase != infer.Serve && phase != DisaggPhase {
		return nil, field.Errorf("phase", "%q: want prefill, decode, serve or disagg", s.Phase)
	}
	j := &InferenceJob{Search: s.SearchParallelism, DP: s.DP, tpGiven: s.TP != 0, engine: strings.ToLower(or(s.Engine, "vllm"))}
	if j.engine != "none" {
		if err := serve.CheckEngine(j.engine); err != nil {
			return nil, field.Errorf("engine", "%q: want vllm, sglang, trtllm, vllm-ascend, mindie or none", s.Engine)
		}
	}
	if s.MaxSeqs < 0 {
		return nil, field.Errorf("max_seqs", "%d: want at least 1 sequence per replica", s.MaxSeqs)
	}
	if j.rt, err = s.InstanceSpec.runtimeSpec(); err != nil {
		return nil, err
	}
	j.stepEngine = j.engine
	for _, l := range []struct {
		field, val string
		out        *float64
	}{{"ttft_slo", s.TTFTSLO, &j.TTFT}, {"tpot_slo", s.TPOTSLO, &j.TPOT}} {
		if l.val == "" {
			continue
		}
		if *l.out, err = units.ParseDuration(l.val); err != nil || *l.out <= 0 {
			return nil, field.Errorf(l.field, "%q: want a duration such as 50ms", l.val)
		}
	}
	if err := s.check(phase, j); err != nil {
		return nil, err
	}
	c := infer.Config{Model: m, Accelerators: s.Accelerators, Phase: phase, Batch: max(s.Batch, 1),
		InputLen: or(s.InputLen, DefaultInputLen), Context: or(s.Context, DefaultContext), OutputLen: s.OutputLen,
		TP: s.TP, PP: s.PP, EP: s.EP, Precision: prec, DtypeMap: mapping,
		MTPDraft: s.MTPDraft, MTPAccept: s.MTPAccept, MicroBatches: s.MicroBatches,
		ExpertImbalance: s.ExpertImbalance, HBMFraction: s.HBMFraction, MaxSeqs: s.MaxSeqs, Concurrency: s.Concurrency}
	if s.Concurrency > 0 {
		c.Batch = 0
	}
	if s.AttnDP {
		c.TP = 1
	}
	switch {
	case c.MTPDraft == 0:
		c.MTPAccept = 0
	case c.MTPAccept == 0:
		c.MTPAccept = DefaultMTPAccept
	}
	if phase == infer.Serve || phase == DisaggPhase {
		c.OutputLen = or(s.OutputLen, DefaultOutputLen)
	}
	j.Config = c
	if phase != DisaggPhase {
		// The rules of the step itself are infer's (infer.Config.Check).
		return j, c.Check()
	}
	pre := c
	pre.Accelerators, pre.Batch = s.PrefillAccelerators, max(s.PrefillBatch, 1)
	pre.TP, pre.PP, pre.EP = s.PrefillTP, s.PrefillPP, s.PrefillEP
	if s.AttnDP && pre.TP == 0 {
		pre.TP = 1
	}
	pre.MTPDraft, pre.MTPAccept = 0, 0
	dec := c
	dec.Accelerators, dec.FirstAccelerator = s.DecodeAccelerators, s.PrefillAccelerators
	if s.Context == 0 {
		dec.Context = 0 // the mean over a request: input + output/2
	}
	j.Disagg = &infer.Disagg{Prefill: pre, Decode: dec, OutputLen: c.OutputLen}
	pre.Phase, dec.Phase = infer.Prefill, infer.Decode
	if dec.Context == 0 {
		dec.Context = infer.ServeContext(c)
	}
	for _, c := range []infer.Config{pre, dec} {
		if err := c.Check(); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// check holds the rules between fields: counts, the fields of a phase,
// the limits and the parallelism, and disaggregation's.
func (s InferenceSpec) check(phase infer.Phase, j *InferenceJob) error {
	for _, rule := range []func(infer.Phase, *InferenceJob) error{s.checkCounts, s.checkLimits, s.checkDisagg} {
		if err := rule(phase, j); err != nil {
			return err
		}
	}
	return nil
}

// checkCounts: no count is negative, and the prefill instance's fields
// and output_len belong to the phases that have them.
func (s InferenceSpec) checkCounts(phase infer.Phase, _ *InferenceJob) error {
	disagg := phase == DisaggPhase
	for _, v := range []struct {
		name string
		n    int
	}{{"batch", s.Batch}, {"input_len", s.InputLen}, {"context", s.Context}, {"accelerators", s.Accelerators},
		{"tp", s.TP}, {"pp", s.PP}, {"ep", s.EP}, {"dp", s.DP}, {"mtp_draft", s.MTPDraft}, {"microbatches", s.MicroBatches},
		{"prefill_accelerators", s.PrefillAccelerators}, {"decode_accelerators", s.DecodeAccelerators}, {"output_len", s.OutputLen},
		{"prefill_batch", s.PrefillBatch}, {"prefill_tp", s.PrefillTP}, {"prefill_pp", s.PrefillPP}, {"prefill_ep", s.PrefillEP}} {
		if v.n < 0 {
			return field.Errorf(v.name, "%d: want 0 (the default) or more", v.n)
		}
	}
	if !disagg {
		for _, v := range []struct {
			name string
			set  bool
		}{{"prefill_accelerators", s.PrefillAccelerators != 0}, {"decode_accelerators", s.DecodeAccelerators != 0},
			{"prefill_batch", s.PrefillBatch != 0}, {"prefill_tp", s.PrefillTP != 0}, {"prefill_pp", s.PrefillPP != 0},
			{"prefill_ep", s.PrefillEP != 0}, {"output_len", s.OutputLen != 0 && phase != infer.Serve}} {
			if v.set {
				if v.name == "output_len" {
					return field.Errorf(v.name, "is for {phase} disagg or serve; {phase} is %s", phase)
				}
				return field.Errorf(v.name, "is for {phase} disagg; {phase} is %s", phase)
			}
		}
	}
	return nil
}

// checkLimits: the latency limits fit the phase and the batch, and the
// parallelism flags fit each other and the search.
func (s InferenceSpec) checkLimits(phase infer.Phase, j *InferenceJob) error {
	disagg := phase == DisaggPhase
	slo := j.TTFT > 0 || j.TPOT > 0
	switch {
	case (s.DP > 0 || s.AttnDP) && s.SearchParallelism:
		return field.Errorf("search_parallelism", "chooses TP and EP itself; drop {dp} and {attn_dp}, or drop the search")
	case s.DP > 0 && disagg:
		return field.Errorf("dp", "sets one instance's parallelism; with {phase} disagg give {tp} and {prefill_tp} (DP fills the rest)")
	case s.AttnDP && s.TP > 1:
		return field.Errorf("attn_dp", "runs attention with TP 1 (each die its own sequences); it contradicts {tp} %d", s.TP)
	case j.TTFT > 0 && j.TPOT > 0 && !disagg && phase != infer.Serve:
		return field.Errorf("ttft_slo", "%s and {tpot_slo} %s: give one, not both (both only with {phase} disagg or serve)", s.TTFTSLO, s.TPOTSLO)
	case phase == infer.Decode && j.TTFT > 0:
		return field.Errorf("ttft_slo", "limits a prefill step; decode is limited per token: use {tpot_slo}")
	case phase == infer.Prefill && j.TPOT > 0:
		return field.Errorf("tpot_slo", "limits a decode step; a prefill step is limited by {ttft_slo}")
	case s.Concurrency != 0 && s.Batch != 0:
		return field.Errorf("concurrency", "%d and {batch} %d: give one (concurrency counts the whole instance, batch each accelerator)", s.Concurrency, s.Batch)
	case s.Concurrency != 0 && (slo || disagg):
		return field.Errorf("concurrency", "%d: not with a latency limit's batch search or {phase} disagg; give {batch} or drop the limit", s.Concurrency)
	case s.Batch != 0 && slo && !disagg:
		return field.Errorf("batch", "%d and a latency limit: the limit searches the batch; drop one of them", s.Batch)
	case s.SearchParallelism && !slo:
		return field.Errorf("search_parallelism", "searches under a limit: give {tpot_slo} or {ttft_slo}")
	case phase == infer.Serve && s.Context != 0:
		return field.Errorf("context", "is not for {phase} serve, which attends to the mean KV length, {input_len} + {output_len}/2; drop it")
	}
	return nil
}

// checkDisagg: a disaggregated deployment places two instances and no
// search of parallelism.
func (s InferenceSpec) checkDisagg(phase infer.Phase, _ *InferenceJob) error {
	disagg := phase == DisaggPhase
	switch {
	case disagg && s.SearchParallelism:
		return field.Errorf("search_parallelism", "is not for {phase} disagg; give the instances' parallelism, and {ttft_slo} or {tpot_slo} to search batches")
	case disagg && s.Accelerators != 0:
		return field.Errorf("accelerators", "is not for {phase} disagg, which places its instances with {prefill_accelerators} and {decode_accelerators}")
	case disagg && s.PrefillAccelerators < 1:
		return field.Errorf("prefill_accelerators", "is missing: {phase} disagg needs at least 1 accelerator in each instance, e.g. {prefill_accelerators} 16 and {decode_accelerators} 160")
	case disagg && s.DecodeAccelerators < 1:
		return field.Errorf("decode_accelerators", "is missing: {phase} disagg needs at least 1 accelerator in each instance, e.g. {prefill_accelerators} 16 and {decode_accelerators} 160")
	}
	return nil
}

// For resolves what depends on the topology t: the data-parallel degree
// into TP over the serving dies, and the survivors of t's faults as the
// serving accelerators when the spec names none.
func (j *InferenceJob) For(t *topology.Topology) (*InferenceJob, error) {
	out := *j
	c := &out.Config
	live := t.LiveAccels()
	if c.MaxSeqs == 0 && j.engine != "none" {
		d, err := serve.EngineDefaults(j.engine, compute.PerDie(t.Accels[0].Spec).HBMBytes, 0, c.Model.MaxContext)
		if err != nil {
			return nil, err
		}
		c.MaxSeqs = d.MaxSeqs
	}
	if out.Disagg != nil {
		d := *out.Disagg
		d.Prefill.MaxSeqs, d.Decode.MaxSeqs = c.MaxSeqs, c.MaxSeqs
		for _, x := range []*infer.Config{&d.Prefill, &d.Decode} {
			rt, err := j.runtime(t, x.TP, replicas(t, *x))
			if err != nil {
				return nil, err
			}
			x.Runtime = rt
		}
		out.Disagg = &d
		if n := len(t.Accels); d.Prefill.Accelerators+d.Decode.Accelerators > n {
			return nil, field.Errorf("prefill_accelerators", "%d + {decode_accelerators} %d = %d accelerators, but %s has %d; use fewer, or more domains",
				d.Prefill.Accelerators, d.Decode.Accelerators, d.Prefill.Accelerators+d.Decode.Accelerators, t.Name, n)
		}
		return &out, nil
	}
	if live < len(t.Accels) {
		if c.Accelerators > live {
			return nil, field.Errorf("accelerators", "%d, but %d of %s's %d accelerators survive the faults", c.Accelerators, live, t.Name, len(t.Accels))
		}
		if c.Accelerators == 0 {
			c.Accelerators = live // failed accelerators serve nothing
		}
	}
	if out.DP == 0 {
		return &out, out.setRuntime(t)
	}
	acc := c.Accelerators
	if acc == 0 {
		acc = live
	}
	dies := acc * t.Accels[0].Spec.Dies
	stages := max(c.PP, 1)
	if dies%(stages*out.DP) != 0 {
		return nil, field.Errorf("dp", "%d x {pp} %d does not divide the %d serving dies", out.DP, stages, dies)
	}
	want := dies / (stages * out.DP)
	if out.tpGiven && c.TP != want {
		return nil, field.Errorf("tp", "%d x {pp} %d x {dp} %d = %d dies, but %d serve; drop {tp} (it would be %d) or change {dp}",
			c.TP, stages, out.DP, c.TP*stages*out.DP, dies, want)
	}
	c.TP = want
	return &out, out.setRuntime(t)
}

// setRuntime sets the step's engine runtime on t (runtime).
func (j *InferenceJob) setRuntime(t *topology.Topology) error {
	rt, err := j.runtime(t, j.Config.TP, replicas(t, j.Config))
	j.Config.Runtime = rt
	return err
}

// replicas is c's data-parallel degree on t: its dies over TP x PP.
func replicas(t *topology.Topology, c infer.Config) int {
	acc := c.Accelerators
	if acc == 0 {
		acc = t.LiveAccels() - c.FirstAccelerator
	}
	return max(acc*t.Accels[0].Spec.Dies/(max(c.TP, 1)*max(c.PP, 1)), 1)
}

// runtime is the step engine's runtime on t's device at tensor
// parallelism tp and data parallelism dp (serve.EngineRuntime, its token budget the engine's
// max_num_batched_tokens), with the spec's overrides; engine none has
// the overrides alone.
func (j *InferenceJob) runtime(t *topology.Topology, tp, dp int) (infer.Runtime, error) {
	var rt infer.Runtime
	hbm := compute.PerDie(t.Accels[0].Spec).HBMBytes
	o := j.rt
	if j.stepEngine != "none" {
		var err error
		rep := serve.Replica{TP: tp, DP: dp, MaxSeqs: max(j.Config.MaxSeqs, o.maxSeqs), MaxBatchedTokens: o.maxTokens,
			Draft: j.Config.MTPDraft, Layers: j.Config.Model.Layers}
		if rt, err = serve.EngineRuntime(j.stepEngine, hbm, rep); err != nil {
			return rt, err
		}
	}
	if o.maxTokens > 0 {
		rt.MaxTokens = o.maxTokens
	}
	if o.graphSizes != nil {
		rt.GraphSizes, rt.ExactGraphs = o.graphSizes, false
	}
	if o.eager {
		rt.GraphSizes, rt.PiecewiseTokens = nil, 0
	}
	if o.overSet {
		rt.FixedS = o.overhead
		if o.overhead == 0 {
			rt = infer.Runtime{MaxTokens: rt.MaxTokens, GraphSizes: rt.GraphSizes, ExactGraphs: rt.ExactGraphs}
		}
	}
	return rt, nil
}

// runtimeSpec checks the spec's overrides of the engine's step runtime.
func (s InstanceSpec) runtimeSpec() (runtimeSpec, error) {
	o := runtimeSpec{maxSeqs: s.MaxSeqs, maxTokens: s.MaxBatchedTokens, eager: s.EnforceEager}
	if s.MaxBatchedTokens < 0 {
		return o, field.Errorf("max_batched_tokens", "%d: want at least 1 token per step", s.MaxBatchedTokens)
	}
	if len(s.GraphSizes) > 0 {
		if s.EnforceEager {
			return o, field.Errorf("graph_sizes", "%v and {enforce_eager}: eager runs no graphs; give one of them", s.GraphSizes)
		}
		for i, g := range s.GraphSizes {
			if g < 1 || i > 0 && g <= s.GraphSizes[i-1] {
				return o, field.Errorf("graph_sizes", "%v: want batch sizes of 1 or more in ascending order, e.g. 1,2,4,8,16", s.GraphSizes)
			}
		}
		o.graphSizes = s.GraphSizes
	}
	if s.StepOverhead != "" {
		v, err := units.ParseDuration(s.StepOverhead)
		if s.StepOverhead == "0" {
			v, err = 0, nil
		}
		if err != nil || v < 0 || math.IsInf(v, 0) {
			return o, field.Errorf("step_overhead", "%q: want a duration such as 0.2ms, or 0 for none", s.StepOverhead)
		}
		o.overhead, o.overSet = v, true
	}
	return o, nil
}

// SetPowerMode sets the energy accounting of every step the job runs.
func (j *InferenceJob) SetPowerMode(m power.Mode) {
	j.Config.PowerMode = m
	if j.Disagg != nil {
		j.Disagg.Prefill.PowerMode, j.Disagg.Decode.PowerMode = m, m
	}
}

// Run simulates the job on e's topology (resolve it with For first): one
// step, a batch search under the limit, a parallelism search, or a
// disaggregated deployment. progress, if set, hears of a parallelism
// search's configurations.
func (j *InferenceJob) Run(e *infer.Engine, progress func(done, total int)) (Record, error) {
	if j.Disagg != nil {
		var r infer.DisaggResult
		var err error
		if j.TTFT > 0 || j.TPOT > 0 {
			r, err = e.BestDisaggUnderSLO(*j.Disagg, j.TTFT, j.TPOT)
		} else {
			r, err = e.RunDisagg(*j.Disagg)
		}
		return &DisaggRecord{Result: r}, err
	}
	var r infer.Result
	var err error
	serve := j.Config.Phase == infer.Serve
	switch limit := j.Limit(); {
	case limit > 0 && j.Search && serve:
		r, err = e.BestParallelServeUnderSLO(j.Config, j.TTFT, j.TPOT, progress)
	case limit > 0 && serve:
		r, err = e.BestServeUnderSLO(j.Config, j.TTFT, j.TPOT)
	case limit > 0 && j.Search:
		r, err = e.BestParallelUnderSLO(j.Config, limit, progress)
	case limit > 0:
		r, err = e.BestUnderSLO(j.Config, limit)
	default:
		r, err = e.Run(j.Config)
	}
	return &InferenceRecord{Result: r}, err
}

// loadModel loads a spec's model: a zoo name, or a model file relative to
// dir ("" for the working directory); example names one in the error
// for a spec without a model.
func loadModel(name, dir, example string) (*llm.Model, error) {
	if name == "" {
		return nil, field.Errorf("model", "is missing; e.g. %s (see 'cardsea models list')", example)
	}
	if strings.HasSuffix(name, ".yaml") && dir != "" && !filepath.IsAbs(name) {
		name = filepath.Join(dir, name)
	}
	m, err := llm.Load(name)
	if err != nil {
		return nil, field.Wrap("model", err)
	}
	return m, nil
}

// or is v, or def when v is the zero value.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// String names the job for messages: its model and phase.
func (j *InferenceJob) String() string {
	return fmt.Sprintf("%s %s", j.Config.Model.Name, j.Config.Phase)
}
