package kernels

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
)

// attentionMisses are the attention tables whose held-out error misses the
// issue's targets, with the bound the test holds them to (1-2 points
// above today's figure) and the reason. Remove an entry when a fit meets
// the targets.
//
// All are TensorRT-LLM's decode attention. The model has its dispatch
// (Dispatch: XQA's fill gate and split-KV count on Hopper, the grouped
// kernel up to 32 query heads per KV head on Blackwell) and XQA's fixed
// cost per CTA, but one per-CTA cost and one bandwidth ramp per table,
// while the measured per-CTA time varies with the head size and the
// group. The fp8-KV tables on Hopper run XQA's GMMA kernel (RoPE fused,
// a 5.5-6 us floor where the others take 8.5 us) with no visible fill
// gate, but head size 64 sits on the slower floor; they miss most.
var attentionMisses = map[string]struct {
	median, p90 float64
	why         string
}{
	"h100_sxm/trtllm-1.3.0rc20/generation/bf16/bf16": {0.09, 0.25, "per-CTA cost by shape"},
	"h100_sxm/trtllm-1.3.0rc20/generation/bf16/fp8":  {0.12, 0.33, "GMMA kernel floor by head size"},
	"h200_sxm/trtllm-1.3.0rc20/generation/bf16/bf16": {0.10, 0.27, "per-CTA cost by shape"},
	"h200_sxm/trtllm-1.3.0rc20/generation/bf16/fp8":  {0.13, 0.33, "GMMA kernel floor by head size"},
	"b200_sxm/trtllm-1.3.0rc20/generation/bf16/bf16": {0.07, 0.25, "per-CTA cost by head size"},
	"gb200/trtllm-1.3.0rc20/generation/bf16/bf16":    {0.07, 0.25, "per-CTA cost by head size"},
}

func akey(a *AttentionModel) string {
	return a.System + "/" + a.Engine + "/" + a.Phase + "/" + a.Dtype + "/" + a.KVDtype
}

// TestAttentionHeldOut checks every fitted attention model against the
// held-out part of its table in the embedded sample and prints the table.
func TestAttentionHeldOut(t *testing.T) {
	if len(attentionFits) == 0 {
		t.Fatal("no attention fits")
	}
	var lines []string
	for i := range attentionFits {
		a := &attentionFits[i]
		rows, err := AttentionSample(a.System)
		if err != nil {
			t.Fatal(err)
		}
		var pred, meas []float64
		for _, r := range rows {
			if r.Engine != a.Engine || r.Phase != a.Phase || r.Dtype != a.Dtype || r.KVDtype != a.KVDtype ||
				!Held(AttentionKey(r.Batch, r.Seq, r.Heads, r.KVHeads, r.HeadDim)) {
				continue
			}
			pred = append(pred, a.Time(r.Batch, r.Seq, r.Heads, r.KVHeads, r.HeadDim))
			meas = append(meas, r.Seconds)
		}
		s := Summarise(pred, meas)
		status := "ok"
		if s.Median > targetMedian || s.P90 > targetP90 {
			status = "MISS"
		}
		lines = append(lines, fmt.Sprintf("%-9s %-17s %-10s %-5s %-5s %4d  %5.1f%%  %5.1f%%  %+5.1f%%  %s",
			a.System, a.Engine, a.Phase, a.Dtype, a.KVDtype, s.N, 100*s.Median, 100*s.P90, 100*s.Bias, status))
		if s.N < 50 {
			t.Errorf("%s: only %d held-out rows", akey(a), s.N)
		}
		if s.N != a.CheckN || math.Abs(s.Median-a.CheckMedian) > 1e-12 || math.Abs(s.P90-a.CheckP90) > 1e-12 {
			t.Errorf("%s: held-out %d rows median %.6f p90 %.6f, table records %d %.6f %.6f (refit)",
				akey(a), s.N, s.Median, s.P90, a.CheckN, a.CheckMedian, a.CheckP90)
		}
		if miss, ok := attentionMisses[akey(a)]; ok {
			if s.Median > miss.median || s.P90 > miss.p90 {
				t.Errorf("%s: held-out median %.1f%% p90 %.1f%%, worse than its known-miss bound %.0f%% / %.0f%% (%s)",
					akey(a), 100*s.Median, 100*s.P90, 100*miss.median, 100*miss.p90, miss.why)
			}
			continue
		}
		if status != "ok" {
			t.Errorf("%s: held-out median %.1f%% p90 %.1f%%, target %.0f%% / %.0f%%",
				akey(a), 100*s.Median, 100*s.P90, 100*targetMedian, 100*targetP90)
		}
	}
	sort.Strings(lines)
	t.Logf("attention held-out |predicted/measured - 1| (embedded sample, check part)\n%-9s %-17s %-10s %-5s %-5s %4s  %6s  %6s  %6s\n%s",
		"system", "engine", "phase", "dtype", "kv", "n", "median", "p90", "bias", strings.Join(lines, "\n"))
}

func TestAttentionDatasheet(t *testing.T) {
	for i := range attentionFits {
		a := &attentionFits[i]
		acc, ok := AccelOf(a.System)
		if !ok || a.Peak != acc.Peak[a.Dtype] || a.HBM != acc.HBM || a.SMs != acc.SMs {
			t.Errorf("%s: roofline %g %g %d is not the datasheet's", akey(a), a.Peak, a.HBM, a.SMs)
		}
		if !strings.HasPrefix(a.Source, "AIConfigurator "+a.System+"/attention/"+a.Engine+"/"+a.Phase+"_attention_perf") {
			t.Errorf("%s: source %q does not name its table", akey(a), a.Source)
		}
	}
}

func TestLookupAttention(t *testing.T) {
	for _, sys := range []string{"h100", "h200", "b200", "gb200"} {
		for _, c := range [][3]string{{Context, "bf16", "bf16"}, {Context, "fp8", "fp8"}, {Generation, "bf16", "fp8"}} {
			a, ok := LookupAttention(sys, c[0], c[1], c[2])
			if !ok {
				t.Errorf("no %s %v attention fit", sys, c)
				continue
			}
			// Decode attention over a longer cache, or prefill of a longer
			// prompt, of a large batch takes longer.
			if t1, t2 := a.Time(64, 4096, 32, 8, 128), a.Time(64, 16384, 32, 8, 128); !(t2 > t1 && t1 > a.LaunchS) {
				t.Errorf("%s %v: %g s at 4096, %g s at 16384", sys, c, t1, t2)
			}
		}
	}
	if _, ok := LookupAttention("h100", Generation, "fp8", "fp8"); ok {
		t.Error("fp8-compute decode attention is not measured, but Lookup found it")
	}
}

func BenchmarkAttentionTime(b *testing.B) {
	a, ok := LookupAttention("h200", Generation, "bf16", "fp8")
	if !ok {
		b.Fatal("no fit")
	}
	b.ReportAllocs()
	sum := 0.0
	for i := 0; b.Loop(); i++ {
		sum += a.Time(64, 1024+i&4095, 64, 8, 128)
	}
	if sum <= 0 {
		b.Fatal(sum)
	}
}
