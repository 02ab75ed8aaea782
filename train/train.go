package train

import (
	"errors"
	"fmt"
	"github.com/cardsea/cardsea/internal/field"
	"math"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/topology"
)

// Config is one training configuration.
type Config struct {
	Model *llm.Model
	// Accelerators is how many accelerators train, the topology's first
	// ones; 0 means all of them.
	Accelerators int
	// TP and CP are the tensor- and context-parallel degrees (0 reads as 1).
	TP, CP int
	// GlobalBatch is sequences per optimizer step; MicroBatch sequences per
	// micro-batch of a replica (0 reads as 1).
	GlobalBatch, MicroBatch int
	// SeqLen is tokens per sequence.
	SeqLen int
	// Dtype is the type the GEMMs run in (bf16, fp8); activations and
	// gradients are BF16. DtypeMap maps a type the chip lacks.
	Dtype    topology.Dtype
	DtypeMap compute.DtypeMap
	// LoRARank > 0 trains LoRA adapters of that rank on the attention
	// projections of frozen weights (stored in Dtype); 0 trains every
	// weight (BF16 weights, FP32 Adam moments).
	LoRARank int
	// TPOverlap hides TP communication behind the GEMMs.
	TPOverlap bool
	// PowerMode is how energy is counted (default activity).
	PowerMode power.Mode
}

// Result is one simulated step.
type Result struct {
	Config Config
	// Ranks are the dies that train (accelerators x dies per package); DP
	// is the data-parallel degree; MicroBatches per replica per step.
	Ranks, DP, MicroBatches int
	// StepS is the step's time; ComputeS the time an accelerator computes
	// in it; ExposedCommS the time it waits on communication.
	StepS, ComputeS, ExposedCommS float64
	// TPCommS, CPCommS and DPCommS are each dimension's communication time
	// per step (before overlap).
	TPCommS, CPCommS, DPCommS float64
	// TokensPerS is trained tokens per second; MFU the model FLOPs (6 x
	// the multiplied parameters per token for full training, 4 x for
	// LoRA, plus 3 x the attention FLOPs) per second over the
	// accelerators' peak in Dtype.
	TokensPerS, MFU float64
	// Load is the mean share of the accelerators' dynamic power range they
	// draw while computing (power.LoadFactor).
	Load float64
	// TrainableParams are the parameters the optimizer updates.
	TrainableParams float64
	// MemoryBytesPerDie is weights, gradients, optimizer state and
	// activations per rank (die).
	MemoryBytesPerDie float64
	// Energy is the whole topology's energy over the step. NodeW is the
	// average power per server of the topology (accelerators, CPUs,
	// scale-up switches, NICs and the rest of the server);
	// NetworkWPerNode the scale-out switches and all optical modules, per
	// server. Run the job on the whole topology for per-node figures.
	Energy          power.Energy
	NodeW           float64
	NetworkWPerNode float64
	// Servers is how many servers the job spans.
	Servers int
}

// Engine simulates configurations on one topology, caching collective
// times across them.
type Engine struct {
	Topo   *topology.Topology
	Fabric *network.Fabric
	comm   map[string]float64
}

// NewEngine prepares a topology for training runs.
func NewEngine(t *topology.Topology) *Engine {
	return &Engine{Topo: t, Fabric: network.NewFabric(t), comm: map[string]float64{}}
}

// bf16 is the byte width of activations and gradients.
const bf16 = 2.0

func (c *Config) defaults(ranks int) (dp int, err error) {
	if c.Model == nil {
		return 0, errors.New("train: no model")
	}
	if c.Model.MoE != nil {
		return 0, fmt.Errorf("train: %s is a mixture-of-experts model; training with expert parallelism is not modelled yet (dense models only)", c.Model.Name)
	}
	if c.TP == 0 {
		c.TP = 1
	}
	if c.CP == 0 {
		c.CP = 1
	}
	if c.MicroBatch == 0 {
		c.MicroBatch = 1
	}
	if c.PowerMode == "" {
		c.PowerMode = power.Activity
	}
	switch {
	case c.TP < 1 || c.CP < 1 || c.MicroBatch < 1:
		return 0, fmt.Errorf("train: tp %d, cp %d and micro-batch %d must be at least 1", c.TP, c.CP, c.MicroBatch)
	case c.LoRARank < 0:
		return 0, fmt.Errorf("train: lora rank %d: want 0 (full training) or a positive rank", c.LoRARank)
	case c.SeqLen < 1:
		return 0, fmt.Errorf("train: sequence length %d must be at least 1", c.SeqLen)
	case c.GlobalBatch < 1:
		return 0, fmt.Errorf("train: global batch %d must be at least 1 sequence", c.GlobalBatch)
	case ranks%(c.TP*c.CP) != 0:
		return 0, fmt.Errorf("train: tp %d x cp %d = %d does not divide the %d ranks (dies)", c.TP, c.CP, c.TP*c.CP, ranks)
	case c.Model.Attention.Heads%c.TP != 0:
		return 0, fmt.Errorf("train: tp %d does not divide %s's %d attention heads", c.TP, c.Model.Name, c.Model.Attention.Heads)
	case c.SeqLen%c.CP != 0:
		return 0, fmt.Errorf("train: cp %d does not divide the sequence length %d", c.CP, c.SeqLen)
	}
	dp = ranks / (c.TP * c.CP)
	if c.GlobalBatch%(dp*c.MicroBatch) != 0 {
		return 0, field.Errorf("global_batch", "%d is not a multiple of dp %d x {micro_batch} %d = %d; try {global_batch} %d",
			c.GlobalBatch, dp, c.MicroBatch, dp*c.MicroBatch, max(1, c.GlobalBatch/(dp*c.MicroBatch))*dp*c.MicroBatch)
	}
	return dp, nil
}

// Run simulates one optimizer step of c.
func (e *Engine) Run(c Config) (Result, error) {
	s := &trainStep{e: e}
	for _, phase := range []func() error{func() error { return s.size(c) }, s.compute, s.communicate, s.finish} {
		if err := phase(); err != nil {
			return s.r, err
		}
	}
	return s.r, nil
}

// trainStep is one optimizer step being simulated, phase by phase: size
// places the ranks, resolves the dtype and checks memory; compute prices
// every layer forward and backward, the head and the optimizer; the
// collectives (TP, CP, DP) are simulated and overlapped; finish derives
// throughput, MFU and power. Each fills its part of r.
type trainStep struct {
	e      *Engine
	c      Config
	r      Result
	acc    int
	ranks  int
	dp     int
	spec   *topology.AcceleratorSpec
	tokens float64 // per accelerator per micro-batch
	// trainable are the parameters the optimizer updates; bwdGEMM the
	// backward GEMMs per forward one (1 with LoRA's frozen weights).
	trainable, bwdGEMM float64
	// computeS is the step's compute; gemm and attention time forward
	// and backward, against which communication overlaps.
	computeS, gemmFwd, gemmBwd, attnFwd, attnBwd float64
	meter                                        power.LoadMeter
}

// size places c's ranks, resolves the GEMM dtype and checks that weights,
// gradients, optimizer state and activations fit.
func (s *trainStep) size(c Config) error {
	e := s.e
	t := e.Topo
	acc := len(t.Accels)
	if c.Accelerators > 0 {
		if c.Accelerators > acc {
			return fmt.Errorf("train: %d accelerators asked, %s has %d", c.Accelerators, t.Name, acc)
		}
		acc = c.Accelerators
	}
	// Ranks are dies: a multi-die package (Ascend 910C) runs one rank per
	// die, each with its share of the package's rates and memory.
	pkg := t.Accels[0].Spec
	die := compute.PerDie(pkg)
	spec := &die
	ranks := acc * pkg.Dies
	dp, err := c.defaults(ranks)
	if err != nil {
		return err
	}
	dt, err := compute.Resolve(spec, c.Dtype, c.DtypeMap)
	if err != nil {
		return err
	}
	c.Dtype = dt
	m := c.Model
	r := Result{Config: c, Ranks: ranks, DP: dp, MicroBatches: c.GlobalBatch / (dp * c.MicroBatch)}
	tp, cp := float64(c.TP), float64(c.CP)
	h := float64(m.Hidden)
	tokens := float64(c.MicroBatch*c.SeqLen) / cp // per accelerator per micro-batch

	// Trainable parameters and memory.
	total := m.TotalParams()
	lora := c.LoRARank > 0
	trainable := total
	weightBytes := bf16
	if lora {
		a := m.Attention
		q := float64(a.Heads * a.HeadDim)
		kv := float64(a.KVHeads * a.HeadDim)
		// q: h->q, k: h->kv, v: h->kv, o: q->h; r x (in + out) each.
		trainable = float64(c.LoRARank) * ((h + q) + 2*(h+kv) + (q + h)) * float64(m.Layers)
		weightBytes = dt.Bytes()
	}
	r.TrainableParams = trainable
	// Activations kept for backward: 34 bytes per token per hidden unit per
	// layer, split by TP with sequence parallelism (Korthikanti et al.
	// 2022, flash attention's scores not stored).
	act := 34 * tokens * h * float64(m.Layers) / tp
	mem := total*weightBytes/tp + trainable*bf16/tp + trainable*12/tp/float64(dp) + act
	r.MemoryBytesPerDie = mem
	if mem > spec.HBMBytes {
		s.r = r
		return fmt.Errorf("train: does not fit: each die needs %.1f GB (weights %.1f, gradients and optimizer %.1f, activations %.1f) but has %.1f GB; raise tp or cp, or lower the micro-batch",
			mem/1e9, total*weightBytes/tp/1e9, (trainable*bf16/tp+trainable*12/tp/float64(dp))/1e9, act/1e9, spec.HBMBytes/1e9)
	}

	s.c, s.r, s.acc, s.ranks, s.dp, s.tokens, s.trainable = c, r, acc, ranks, dp, tokens, trainable
	s.spec = &die
	s.bwdGEMM = 2
	if lora {
		s.bwdGEMM = 1
	}
	return nil
}

// compute prices every layer forward and backward, the head and the
// optimizer, per micro-batch, on the roofline.
func (s *trainStep) compute() error {
	c, r, spec, dt, m := s.c, &s.r, s.spec, s.c.Dtype, s.c.Model
	tp, h, tokens, ffnInt := float64(c.TP), float64(m.Hidden), s.tokens, float64(m.FFN.Intermediate)
	trainable, dp := s.trainable, s.dp
	meter := &s.meter
	computeS, gemmFwd, gemmBwd, attnFwd, attnBwd := &s.computeS, &s.gemmFwd, &s.gemmBwd, &s.attnFwd, &s.attnBwd
	// Compute per layer and micro-batch.
	// Element-wise passes (no FLOPs) ride on their neighbours' launches,
	// as in package infer: they pay no launch overhead of their own.
	vspec := *spec
	vspec.KernelLaunchS = 0
	add := func(op compute.Op, count float64) (float64, error) {
		on := spec
		if op.FLOPs == 0 {
			on = &vspec
		}
		tm, err := compute.Roofline(on, op)
		if err != nil {
			return 0, err
		}
		meter.Add(on, tm.ComputeS, tm.MemoryS, tm.LaunchS, count)
		*computeS += tm.TotalS() * count
		return tm.TotalS() * count, nil
	}
	bwdGEMM := s.bwdGEMM
	mbs := float64(r.MicroBatches)
	perLayer := func(l int) error {
		lp := m.Layer(l)
		matmul := lp.Attention + lp.FFN
		f := m.FLOPsPerToken(c.SeqLen / 2)
		attn := f.Attention() / float64(m.Layers)
		gemm := compute.Op{Class: compute.GEMM, FLOPs: 2 * tokens * matmul / tp,
			Bytes: matmul*dt.Bytes()/tp + (4*h+3*ffnInt/tp)*tokens*bf16, Dtype: dt}
		core := compute.Op{Class: compute.Attention, FLOPs: tokens * attn / tp, Bytes: 4 * tokens * h * bf16 / tp, Dtype: dt}
		// Vector ops: twice a fused residual add and RMSNorm (read the
		// input and the residual, write both: 8 hidden-sized passes, as
		// package infer counts them; rotary embedding rides in the
		// attention kernel) and the gated activation (two reads and a
		// write of the FFN width).
		vec := compute.Op{Class: compute.GEMM, Bytes: tokens * bf16 * (8*h + 3*ffnInt) / tp}
		for _, s := range []struct {
			op    compute.Op
			count float64
			sum   *float64
		}{
			{gemm, mbs, gemmFwd}, {gemm, mbs * bwdGEMM, gemmBwd},
			{core, mbs, attnFwd}, {core, mbs * 2.5, attnBwd},
			{vec, mbs * 3, nil},
		} {
			d, err := add(s.op, s.count)
			if err != nil {
				return err
			}
			if s.sum != nil {
				*s.sum += d
			}
		}
		return nil
	}
	for l := 0; l < m.Layers; l++ {
		if err := perLayer(l); err != nil {
			return err
		}
	}
	head := compute.Op{Class: compute.GEMM, FLOPs: 2 * tokens * float64(m.Vocab) * h / tp,
		Bytes: float64(m.Vocab)*h*dt.Bytes()/tp + tokens*float64(m.Vocab)/tp*bf16, Dtype: dt}
	if _, err := add(head, mbs*(1+bwdGEMM)); err != nil {
		return err
	}
	// Optimizer: 16 bytes per trainable parameter, sharded over DP.
	if _, err := add(compute.Op{Class: compute.GEMM, Bytes: 16 * trainable / tp / float64(dp)}, 1); err != nil {
		return err
	}

	return nil
}

// communicate simulates the TP, CP and DP collectives and what of them
// the compute does not hide.
func (s *trainStep) communicate() error {
	c, r, e, m, ranks, dp := s.c, &s.r, s.e, s.c.Model, s.ranks, s.dp
	tp, cp, h, tokens, mbs := float64(c.TP), float64(c.CP), float64(m.Hidden), s.tokens, float64(s.r.MicroBatches)
	trainable, computeS, gemmFwd, gemmBwd, attnFwd, attnBwd := s.trainable, s.computeS, s.gemmFwd, s.gemmBwd, s.attnFwd, s.attnBwd
	// Communication, simulated.
	layers := float64(m.Layers)
	var exposed float64
	if c.TP > 1 {
		s, err := e.collective("tp", ranks, groups(ranks, c.TP, 1), collective.AllReduce, tokens*h*bf16)
		if err != nil {
			return err
		}
		r.TPCommS = 4 * layers * mbs * s
		if c.TPOverlap {
			exposed += math.Max(0, 2*layers*mbs*s-gemmFwd) + math.Max(0, 2*layers*mbs*s-gemmBwd)
		} else {
			exposed += r.TPCommS
		}
	}
	if c.CP > 1 {
		a := m.Attention
		kvBytes := 2 * float64(a.KVHeads*a.HeadDim) / tp * tokens * bf16 * cp
		ag, err := e.collective("cp-ag", ranks, groups(ranks, c.CP, c.TP), collective.AllGather, kvBytes)
		if err != nil {
			return err
		}
		rs, err := e.collective("cp-rs", ranks, groups(ranks, c.CP, c.TP), collective.ReduceScatter, kvBytes)
		if err != nil {
			return err
		}
		r.CPCommS = layers * mbs * (ag + rs)
		exposed += math.Max(0, layers*mbs*ag-attnFwd) + math.Max(0, layers*mbs*rs-attnBwd)
	}
	if dp > 1 {
		s, err := e.collective("dp", ranks, groups(ranks, dp, c.TP*c.CP), collective.AllReduce, trainable/tp*bf16)
		if err != nil {
			return err
		}
		r.DPCommS = s
		// Buckets reduce while the last micro-batch runs backward.
		lastBwd := (gemmBwd + attnBwd) / mbs
		exposed += math.Max(0, s-lastBwd)
	}
	r.ComputeS = computeS
	r.ExposedCommS = exposed
	r.StepS = computeS + exposed
	r.Load = s.meter.Load()

	return nil
}

// finish derives throughput and MFU and accounts the step's power.
func (s *trainStep) finish() error {
	c, r, m, t, acc, ranks, spec, dt, bwdGEMM := s.c, &s.r, s.c.Model, s.e.Topo, s.acc, s.ranks, s.spec, s.c.Dtype, s.bwdGEMM
	var err error
	// Throughput.
	stepTokens := float64(c.GlobalBatch * c.SeqLen)
	r.TokensPerS = stepTokens / r.StepS
	f := m.FLOPsPerToken(c.SeqLen / 2)
	modelFLOPs := stepTokens * ((2+2*bwdGEMM)*matmulParams(m) + 3*f.Attention())
	r.MFU = modelFLOPs / r.StepS / (float64(ranks) * spec.PeakFLOPS[dt])

	// Power over the step.
	run := power.Run{DurationS: r.StepS, AccelCommS: make([]float64, len(t.Accels)), AccelComputeS: make([]float64, len(t.Accels)),
		AccelLoad: make([]float64, len(t.Accels)), SwitchBytes: make([]float64, len(t.Switches))}
	for i := 0; i < acc; i++ {
		run.AccelComputeS[i] = r.ComputeS
		run.AccelLoad[i] = r.Load
		run.AccelCommS[i] = r.ExposedCommS
	}
	r.Energy, err = power.Account(t, c.PowerMode, r.StepS, run)
	if err != nil {
		return err
	}
	r.Servers = int(t.Accels[acc-1].Server) + 1
	network := r.Energy.ScaleOutSwitchJ + r.Energy.Of(power.Optics)
	if r.StepS > 0 {
		servers := float64(t.Servers)
		r.NodeW = (r.Energy.ITJ - network) / r.StepS / servers
		r.NetworkWPerNode = network / r.StepS / servers
	}
	return nil
}

// matmulParams is the parameters every token multiplies: the layers'
// projections and FFNs and the output head.
func matmulParams(m *llm.Model) float64 {
	var s float64
	for l := 0; l < m.Layers; l++ {
		lp := m.Layer(l)
		s += lp.Attention + lp.FFN
	}
	return s + float64(m.Vocab*m.Hidden)
}

// groups returns the groups of size k whose members are stride apart,
// over ranks 0..n-1: stride 1 gives consecutive groups (TP); stride TP
// gives one group per TP position within each block of k x stride (CP,
// DP).
func groups(n, k, stride int) [][]int {
	var out [][]int
	block := k * stride
	for base := 0; base+block <= n; base += block {
		for off := 0; off < stride; off++ {
			g := make([]int, k)
			for i := range g {
				g[i] = base + off + i*stride
			}
			out = append(out, g)
		}
	}
	return out
}

// collective simulates every group's op at once, so they contend, and
// returns the slowest group's time.
func (e *Engine) collective(kind string, n int, gs [][]int, op collective.Op, bytes float64) (float64, error) {
	key := fmt.Sprintf("%s|%d|%d|%g", kind, n, len(gs[0]), bytes)
	if v, ok := e.comm[key]; ok {
		return v, nil
	}
	// Each group picks its algorithm by simulating the candidates; past 64
	// groups (all alike in a replica layout) the first group's pick serves.
	var jobs []collective.Job
	algo := collective.Ring
	for i, g := range gs {
		grp, err := collective.NewGroup(e.Fabric, collective.Placement{List: g})
		if err != nil {
			return 0, err
		}
		if i == 0 || len(gs) <= 64 {
			algo = collective.Ring
			if out, err := collective.Execute(e.Fabric, collective.One(grp, op, collective.Auto, bytes, collective.Options{})); err == nil {
				algo = out.Results[0].Algorithm
			}
		}
		jobs = append(jobs, collective.Job{Group: grp, Op: op, Algorithm: algo, Bytes: bytes})
	}
	out, err := collective.Execute(e.Fabric, collective.Request{Jobs: jobs})
	if err != nil {
		return 0, err
	}
	res := out.Results
	v := 0.0
	for _, x := range res {
		v = math.Max(v, x.TimeS)
	}
	e.comm[key] = v
	return v, nil
}
