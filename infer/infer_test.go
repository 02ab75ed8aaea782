package infer

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/topology"
)

func engine(t *testing.T, name string) *Engine {
	t.Helper()
	top, err := topology.Load(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	return NewEngine(top)
}

func model(t *testing.T, name string) *llm.Model {
	t.Helper()
	m, err := llm.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var bf16 = compute.Precision{Weights: topology.BF16, Activations: topology.BF16, KVCache: topology.BF16}

// TestDecodeIsMemoryBound: a small dense model at batch 1 on one GPU reads
// its weights once per token, so TPOT sits just above weights / HBM
// bandwidth (the rest is KV reads, the head and kernel launches).
func TestDecodeIsMemoryBound(t *testing.T) {
	e := engine(t, "hgx-h100")
	m := model(t, "llama-3.1-8b")
	r, err := e.Run(Config{Model: m, Accelerators: 1, Phase: Decode, Batch: 1, Context: 1024, Precision: bf16})
	if err != nil {
		t.Fatal(err)
	}
	spec := e.Topo.Accels[0].Spec
	floor := m.TotalParams() * 2 / spec.HBMBytesPerS
	if r.TPOTS < floor || r.TPOTS > 1.6*floor {
		t.Errorf("TPOT %.2f ms, want just above the weight-read floor %.2f ms", r.TPOTS*1e3, floor*1e3)
	}
	if r.ExposedCommS != 0 || r.Comm != nil {
		t.Errorf("one GPU communicates: %+v", r.Comm)
	}
	// Throughput grows with batch while memory-bound; TPOT grows slowly.
	r8, err := e.Run(Config{Model: m, Accelerators: 1, Phase: Decode, Batch: 8, Context: 1024, Precision: bf16})
	if err != nil {
		t.Fatal(err)
	}
	if r8.TokensPerSPerAccel < 6*r.TokensPerSPerAccel || r8.TPOTS > 1.5*r.TPOTS {
		t.Errorf("batch 8: %.0f tok/s at %.2f ms; batch 1: %.0f tok/s at %.2f ms", r8.TokensPerSPerAccel, r8.TPOTS*1e3, r.TokensPerSPerAccel, r.TPOTS*1e3)
	}
}

// TestTensorParallelCommunicates: TP 8 adds two allreduces per layer and
// cuts the weights per GPU eightfold.
func TestTensorParallelCommunicates(t *testing.T) {
	e := engine(t, "hgx-h100")
	m := model(t, "llama-3.1-70b")
	r, err := e.Run(Config{Model: m, Phase: Decode, Batch: 8, Context: 2048, TP: 8, Precision: bf16})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Comm) != 1 || r.Comm[0].Count != 2*m.Layers || r.CommS <= 0 {
		t.Errorf("comm %+v", r.Comm)
	}
	if w := r.Memory.Weights; w < m.TotalParams()*2/8*0.95 || w > m.TotalParams()*2/8*1.05 {
		t.Errorf("weights per GPU %.1f GB, want about %.1f", w/1e9, m.TotalParams()*2/8/1e9)
	}
}

func TestErrors(t *testing.T) {
	e := engine(t, "hgx-h100")
	for _, tc := range []struct {
		c    Config
		want string
	}{
		{Config{Model: model(t, "llama-3.1-70b"), Phase: Decode, Batch: 1, Context: 1, TP: 3, Precision: bf16}, "does not divide"},
		{Config{Model: model(t, "llama-3.1-405b"), Accelerators: 1, Phase: Decode, Batch: 1, Context: 1, Precision: bf16}, "does not fit"},
		{Config{Model: model(t, "llama-3.1-8b"), Phase: "train", Batch: 1, Precision: bf16}, "want prefill or decode"},
		{Config{Model: model(t, "llama-3.1-8b"), Phase: Decode, Batch: 1, Context: 1, EP: 2, Precision: bf16}, "dense"},
		{Config{Model: model(t, "llama-3.1-8b"), Phase: Decode, Batch: 1, Context: 1, MTPDraft: 1, Precision: bf16}, "no MTP"},
		{Config{Model: model(t, "llama-3.1-8b"), Accelerators: 9, Phase: Decode, Batch: 1, Context: 1, Precision: bf16}, "has 8"},
	} {
		_, err := e.Run(tc.c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.c.Describe(), err, tc.want)
		}
	}
	cm := engine(t, "cm384")
	_, err := cm.Run(Config{Model: model(t, "deepseek-r1"), Accelerators: 8, Phase: Decode, Batch: 1, Context: 1,
		Precision: compute.Precision{Weights: topology.FP8, Activations: topology.BF16, KVCache: topology.BF16}})
	if err == nil || !strings.Contains(err.Error(), "fp8=int8") {
		t.Errorf("FP8 on Ascend: %v", err)
	}
}

func TestSLOSearch(t *testing.T) {
	e := engine(t, "hgx-h100")
	c := Config{Model: model(t, "llama-3.1-70b"), Phase: Decode, Context: 2048, TP: 8, Precision: bf16}
	best, err := e.BestUnderSLO(c, 0.030)
	if err != nil {
		t.Fatal(err)
	}
	if best.TPOTS > 0.030 {
		t.Errorf("TPOT %.1f ms over the 30 ms limit", best.TPOTS*1e3)
	}
	c.Batch = best.Config.Batch + 1
	if next, err := e.Run(c); err == nil && next.TPOTS <= 0.030 && best.Config.Batch < best.MaxBatch {
		t.Errorf("batch %d also meets the limit (%.1f ms)", c.Batch, next.TPOTS*1e3)
	}
	curve, err := e.Curve(c, Batches(64))
	if err != nil || len(curve) < 5 {
		t.Fatalf("curve: %d points, %v", len(curve), err)
	}
	for i := 1; i < len(curve); i++ {
		if curve[i].TokensPerSPerUser > curve[i-1].TokensPerSPerUser || curve[i].TokensPerSPerAccel < curve[i-1].TokensPerSPerAccel {
			t.Errorf("curve not monotone at batch %d", curve[i].Config.Batch)
		}
	}
}

// TestParallelismSearch: the search tries every PP and TP that divides
// the layers, heads and dies, and its answer is the best of their batch
// searches.
func TestParallelismSearch(t *testing.T) {
	e := engine(t, "hgx-h100")
	c := Config{Model: model(t, "llama-3.1-70b"), Phase: Decode, Context: 4096, Precision: bf16}
	cands := Parallelisms(c, 8)
	var got []string
	for _, cc := range cands {
		got = append(got, fmt.Sprintf("%dx%d", cc.PP, cc.TP))
	}
	if fmt.Sprint(got) != "[1x1 1x2 1x4 1x8 2x1 2x2 2x4 4x1 4x2 8x1]" {
		t.Fatalf("PPxTP candidates %v", got)
	}
	c.PP = 2
	if n := len(Parallelisms(c, 8)); n != 3 {
		t.Errorf("with PP 2 given, %d candidates, want TP 1, 2, 4", n)
	}
	c.PP = 0
	calls := 0
	best, err := e.BestParallelUnderSLO(c, 0.030, func(done, total int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if calls != len(cands) {
		t.Errorf("progress called %d times for %d configurations", calls, len(cands))
	}
	for _, cc := range cands {
		r, err := e.BestUnderSLO(cc, 0.030)
		if err != nil {
			continue // does not fit or meet the limit
		}
		if r.TokensPerSPerAccel > best.TokensPerSPerAccel {
			t.Errorf("TP %d PP %d gives %.1f tok/s per GPU, more than the search's %.1f (TP %d PP %d)", cc.TP, cc.PP, r.TokensPerSPerAccel, best.TokensPerSPerAccel, best.Config.TP, best.Config.PP)
		}
	}
	// MoE: attention DP (TP 1) with EP over the stage, half and a quarter;
	// DeepSeek's 61 layers leave PP 1 only.
	moe := Config{Model: model(t, "deepseek-r1"), Phase: Decode, Context: 4096}
	var eps []string
	for _, cc := range Parallelisms(moe, 64) {
		if cc.TP == 1 {
			eps = append(eps, fmt.Sprintf("PP%d EP%d", cc.PP, cc.EP))
		}
	}
	if fmt.Sprint(eps) != "[PP1 EP64 PP1 EP32 PP1 EP16]" {
		t.Errorf("candidates %v", eps)
	}
	// Qwen3-235B (94 layers, 128 experts) on 512 dies: PP 2 halves the
	// stage; EP is capped at twice the experts.
	q := Config{Model: model(t, "qwen3-235b-a22b"), Phase: Decode, Context: 4096}
	eps = nil
	for _, cc := range Parallelisms(q, 512) {
		if cc.TP == 1 {
			eps = append(eps, fmt.Sprintf("PP%d EP%d", cc.PP, cc.EP))
		}
	}
	if fmt.Sprint(eps) != "[PP1 EP256 PP1 EP128 PP2 EP256 PP2 EP128 PP2 EP64]" {
		t.Errorf("candidates %v", eps)
	}
}

// TestPipelineBubbles: with PP, a replica's sequences split into as many
// groups as stages that follow one another through the stages; a step is
// a group's way through the pipeline, sends between stages included, and
// stages idle for those sends (the bubble). Memory-bound decode then gains
// nothing from PP but memory: each stage reads its share of the weights
// once per group.
func TestPipelineBubbles(t *testing.T) {
	e := engine(t, "hgx-h100")
	m := model(t, "llama-3.1-70b")
	base := Config{Model: m, Phase: Decode, Context: 2048, TP: 2, Precision: bf16, MicroBatches: 1}
	for _, tc := range []struct {
		pp, batch, groups int
	}{{1, 4, 1}, {2, 4, 2}, {4, 4, 4}, {4, 1, 4}} {
		c := base
		c.PP, c.Batch = tc.pp, tc.batch
		r, err := e.Run(c)
		if err != nil {
			t.Fatal(err)
		}
		if r.Groups != tc.groups {
			t.Errorf("PP %d batch %d: %d groups, want %d", tc.pp, tc.batch, r.Groups, tc.groups)
		}
		if tc.pp == 1 {
			continue
		}
		var sends bool
		for _, cm := range r.Comm {
			sends = sends || strings.HasPrefix(cm.Name, fmt.Sprintf("PP%d send", tc.pp))
		}
		if !sends {
			t.Errorf("PP %d: no simulated sends in %+v", tc.pp, r.Comm)
		}
		// In a step every sequence advances once.
		if got := r.TokensPerS * r.StepS; math.Abs(got-float64(tc.batch*8)) > 1e-9 {
			t.Errorf("PP %d: %g tokens per step, want %d", tc.pp, got, tc.batch*8)
		}
		// The last stage also runs the output head, so it is the busiest
		// and never waits here: the others do.
		if r.BubbleS < 0 || r.BubbleS >= r.StepS/2 {
			t.Errorf("PP %d: bubble %.3f ms of a %.3f ms step", tc.pp, r.BubbleS*1e3, r.StepS*1e3)
		}
	}
	// PP 4 cannot beat PP 1's throughput (it used to count every stage as
	// busy with the whole batch at once).
	one := base
	one.Batch = 1
	r1, err := e.Run(one)
	if err != nil {
		t.Fatal(err)
	}
	one.PP, one.TP = 4, 2
	r4, err := e.Run(one)
	if err != nil {
		t.Fatal(err)
	}
	if r4.TokensPerSPerAccel > 1.05*r1.TokensPerSPerAccel {
		t.Errorf("PP 4 at one sequence per replica: %.1f tok/s per GPU, PP 1: %.1f", r4.TokensPerSPerAccel, r1.TokensPerSPerAccel)
	}
}
