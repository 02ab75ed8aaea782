package serve

import (
	"slices"
	"testing"
)

// TestEngineRuntimes: each engine's graph sizes and step cost are its
// sourced defaults: vLLM's capture sizes 1, 2, 4, 8, 16, ... to 512;
// SGLang's cuda_graph_max_bs by memory and TP; TensorRT-LLM's 1 to 32,
// 64 and 128, exact; every GPU engine overlaps its host work; Ascend's
// engines launch a graph a step.
func TestEngineRuntimes(t *testing.T) {
	v, err := EngineRuntime("vllm", 80*gib, Replica{TP: 1})
	if err != nil {
		t.Fatal(err)
	}
	if g := v.GraphSizes; !slices.Equal(g[:6], []int{1, 2, 4, 8, 16, 24}) || g[len(g)-1] != 512 || !slices.Contains(g, 248) || !slices.Contains(g, 272) || slices.Contains(g, 264) {
		t.Errorf("vllm graph sizes %v", g)
	}
	if v.MaxTokens != 8192 {
		t.Errorf("vllm token budget %d, want 8192", v.MaxTokens)
	}
	// vLLM's sizes are tokens: with a draft token a sequence runs two,
	// and 8 sequences cap the graphs at 8 x 2 x 2 tokens.
	if m, _ := EngineRuntime("vllm", 80*gib, Replica{Draft: 1}); m.GraphSizes[len(m.GraphSizes)-1] != 256 || !slices.Equal(m.GraphSizes[:5], []int{1, 2, 4, 8, 12}) {
		t.Errorf("vllm with a draft token: graph sizes %v", m.GraphSizes)
	}
	if m, _ := EngineRuntime("vllm", 80*gib, Replica{MaxSeqs: 8}); m.GraphSizes[len(m.GraphSizes)-1] != 16 {
		t.Errorf("vllm at max_num_seqs 8: graph sizes %v, want up to 16", m.GraphSizes)
	}
	if !v.Overlap || v.SyncS <= 0 || v.HostPerSeqS <= 0 || v.EagerLayerS <= 0 {
		t.Errorf("vllm runtime %+v: want overlapped host work, a gap between steps and eager launches", v)
	}
	for _, c := range []struct {
		hbm  float64
		tp   int
		want int
	}{{80 * gib, 1, 256}, {80 * gib, 8, 512}, {141e9, 2, 256}, {180 * gib, 1, 512}, {40 * gib, 8, 160}, {24 * gib, 1, 24}} {
		s, err := EngineRuntime("sglang", c.hbm, Replica{TP: c.tp})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.GraphSizes[len(s.GraphSizes)-1]; got != c.want || !s.Overlap || s.SyncS != 0 {
			t.Errorf("sglang on %.0f GiB at TP %d: largest graph %d (want %d), %+v", c.hbm/gib, c.tp, got, c.want, s)
		}
	}
	tr, err := EngineRuntime("trtllm", 80*gib, Replica{TP: 8})
	if err != nil {
		t.Fatal(err)
	}
	if g := tr.GraphSizes; len(g) != 34 || g[31] != 32 || g[32] != 64 || g[33] != 128 || !tr.ExactGraphs || !tr.Overlap {
		t.Errorf("trtllm runtime %+v", tr)
	}
	for _, name := range []string{"vllm-ascend", "mindie"} {
		a, err := EngineRuntime(name, 64e9, Replica{})
		if err != nil || a.HostS != ascendGraphLaunchS || !a.Overlap {
			t.Errorf("%s: %+v, %v: want the graph launch as overlapped host work", name, a, err)
		}
	}
	// ACL graphs: DeepSeek's 61 layers at DP 320 keep 1800 / 62 / 2 = 14
	// of vLLM's sizes, the first and the last among them; at TP 1 and
	// DP 1 a 32-layer model keeps them all.
	if a, _ := EngineRuntime("vllm-ascend", 64e9, Replica{DP: 320, Layers: 61}); len(a.GraphSizes) != 14 || a.GraphSizes[0] != 1 || a.GraphSizes[13] != 512 {
		t.Errorf("vllm-ascend, 61 layers at DP 320: graph sizes %v, want 14 from 1 to 512", a.GraphSizes)
	}
	if a, _ := EngineRuntime("vllm-ascend", 64e9, Replica{Layers: 32}); !slices.Equal(a.GraphSizes, v.GraphSizes) {
		t.Errorf("vllm-ascend, 32 layers alone: graph sizes %v, want vLLM's", a.GraphSizes)
	}
	if _, err := EngineRuntime("tgi", 80*gib, Replica{}); err == nil {
		t.Error("unknown engine tgi accepted")
	}
}
