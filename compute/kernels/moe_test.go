package kernels

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
)

// MoE does not meet issue #15's targets yet: held-out medians are 6-24%
// and p90s 19-75% (see TestMoEHeldOut -v). The model follows the
// kernels' tile heuristic, the SM waves and the skewed tables' routing,
// but the Hopper tables hold autotuner outliers, e.g. on H200 under
// TensorRT-LLM (AIConfigurator h200_sxm/moe/trtllm-1.3.0rc20/moe_perf,
// bf16, 4096 x 1024, top-10 of 512, TP 4, EP 4, balanced) 48 tokens take
// 1,332 us where 160 tokens at TP 1 EP 2 take 1,505 and 2,048 at TP 2
// EP 8 280. Until the model meets the targets the test holds every table
// to a ceiling, so a refit cannot silently get much worse, and reports
// the targets as MISS.
const (
	moeCeilMedian = 0.40
	moeCeilP90    = 0.80
)

func mkey(m *MoEModel) string {
	return m.System + "/" + m.Engine + "/" + m.Source + "/" + m.Dtype + "/" + m.Distribution
}

func TestMoEHeldOut(t *testing.T) {
	if len(moeFits) == 0 {
		t.Fatal("no MoE fits")
	}
	var lines []string
	for i := range moeFits {
		m := &moeFits[i]
		rows, err := MoESample(m.System)
		if err != nil {
			t.Fatal(err)
		}
		var pred, meas []float64
		for _, r := range rows {
			if r.Engine != m.Engine || r.Source != m.Source || r.Dtype != m.Dtype || r.Distribution != m.Distribution ||
				!MoEKept(r) || !Held(MoEKey(r.Tokens, r.Hidden, r.Inter, r.TopK, r.Experts, r.TP, r.EP)) {
				continue
			}
			pred = append(pred, m.Time(r.Tokens, r.Hidden, r.Inter, r.TopK, r.Experts, r.TP, r.EP))
			meas = append(meas, r.Seconds)
		}
		s := Summarise(pred, meas)
		status := "ok"
		if s.Median > targetMedian || s.P90 > targetP90 {
			status = "MISS"
		}
		lines = append(lines, fmt.Sprintf("%-9s %-17s %-30s %-17s %-14s %4d  %5.1f%%  %5.1f%%  %+5.1f%%  %s",
			m.System, m.Engine, m.Source, m.Dtype, m.Distribution, s.N, 100*s.Median, 100*s.P90, 100*s.Bias, status))
		if s.N != m.CheckN || math.Abs(s.Median-m.CheckMedian) > 1e-12 || math.Abs(s.P90-m.CheckP90) > 1e-12 {
			t.Errorf("%s: held-out %d rows median %.6f p90 %.6f, table records %d %.6f %.6f (refit)",
				mkey(m), s.N, s.Median, s.P90, m.CheckN, m.CheckMedian, m.CheckP90)
		}
		if s.Median > moeCeilMedian || s.P90 > moeCeilP90 {
			t.Errorf("%s: held-out median %.1f%% p90 %.1f%%, above the MoE ceiling %.0f%% / %.0f%%",
				mkey(m), 100*s.Median, 100*s.P90, 100*moeCeilMedian, 100*moeCeilP90)
		}
		if !strings.HasPrefix(m.Table, "AIConfigurator "+m.System+"/moe/"+m.Engine+"/moe_perf") {
			t.Errorf("%s: table %q does not name its source", mkey(m), m.Table)
		}
	}
	sort.Strings(lines)
	t.Logf("MoE held-out |predicted/measured - 1| (embedded sample, check part; targets not met yet)\n%-9s %-17s %-30s %-17s %-14s %4s  %6s  %6s  %6s\n%s",
		"system", "engine", "kernel", "dtype", "distribution", "n", "median", "p90", "bias", strings.Join(lines, "\n"))
}

func TestLookupMoE(t *testing.T) {
	m, ok := LookupMoE("h200", "trtllm", "", "fp8_block", "balanced")
	if !ok {
		t.Fatal("no H200 TensorRT-LLM fp8_block MoE fit")
	}
	// DeepSeek-V3-like layer, EP 8: more tokens take longer.
	t1, t2 := m.Time(128, 7168, 2048, 8, 256, 1, 8), m.Time(8192, 7168, 2048, 8, 256, 1, 8)
	if !(t2 > t1 && t1 > m.LaunchS) {
		t.Errorf("128 tokens %g s, 8192 tokens %g s", t1, t2)
	}
	if _, ok := LookupMoE("h200", "trtllm", "", "nvfp4", "balanced"); ok {
		t.Error("H200 has no nvfp4, but LookupMoE found a fit")
	}
}

// TestMoETimeAllocates checks the doc's guarantee: Time allocates nothing,
// balanced or skewed (the replayed routing lives on the stack), and
// replays the same routing every call.
func TestMoETimeAllocates(t *testing.T) {
	for _, dist := range []string{"balanced", "power_law_1.2"} {
		m, ok := LookupMoE("h200", "trtllm", "", "fp8_block", dist)
		if !ok {
			t.Fatalf("no H200 TensorRT-LLM fp8_block %s MoE fit", dist)
		}
		first := m.Time(4096, 7168, 2048, 8, 256, 1, 8)
		var got float64
		if n := testing.AllocsPerRun(20, func() { got = m.Time(4096, 7168, 2048, 8, 256, 1, 8) }); n != 0 {
			t.Errorf("%s: Time allocates %v times per call", dist, n)
		}
		if got != first {
			t.Errorf("%s: Time %v then %v", dist, first, got)
		}
		if n := testing.AllocsPerRun(20, func() { got = m.RankTime(2048, 2048, 32, 7168, 2048, 1) }); n != 0 {
			t.Errorf("%s: RankTime allocates %v times per call", dist, n)
		}
	}
}
