package kernels

import (
	"math"
	"testing"
)

func TestMoEFloor(t *testing.T) {
	// AIConfigurator h100_sxm/moe/sglang-0.5.14/moe_perf: DeepSeek-V3
	// fp8_block, 384 tokens, TP 2, EP 1, balanced, 1.0835 ms. 384 x 8
	// assignments touch all 256 experts: 256 x 7168 x 1024 x 3 bytes over
	// 3.35 TB/s is 1.68 ms, so the row cannot be real.
	r := MoERow{System: "h100_sxm", Engine: "sglang-0.5.14", Source: "sglang_fused_moe_triton", Dtype: "fp8_block", Distribution: "balanced",
		Tokens: 384, Hidden: 7168, Inter: 2048, TopK: 8, Experts: 256, TP: 2, EP: 1, Seconds: 1.0835e-3}
	f, ok := MoEFloor(r)
	_, wb, _ := MoEDtype("fp8_block")
	if want := 256 * 7168 * 1024 * 3 * wb / 3.35e12; !ok || math.Abs(f-want) > 1e-12*want {
		t.Fatalf("floor %g, %v; want %g", f, ok, want)
	}
	if MoEPhysical(r) || MoEKept(r) {
		t.Error("row below its HBM floor kept")
	}
	r.Seconds = 0.95 * f // within the margin
	if !MoEPhysical(r) {
		t.Error("row within the margin excluded")
	}
	// Under a power law one token touches at most k experts: 1 token of
	// top-8 at EP 8 is held to one expert's weights.
	r.Distribution, r.Tokens, r.EP = "power_law_1.2", 1, 8
	if f, _ := MoEFloor(r); math.Abs(f-7168*1024*3*wb/3.35e12) > 1e-18 {
		t.Errorf("power-law floor %g", f)
	}
	r.Dtype = "fp64"
	if _, ok := MoEFloor(r); ok || !MoEPhysical(r) {
		t.Error("a dtype without a datasheet figure has a floor")
	}
}

func TestMoESplitOutliers(t *testing.T) {
	var rows []MoERow
	add := func(tp, ep int, scale float64) {
		for _, tok := range []int{1, 16, 256, 4096} {
			rows = append(rows, MoERow{System: "h100_sxm", Engine: "e", Source: "k", Dtype: "bf16", Distribution: "balanced",
				Tokens: tok, Hidden: 4096, Inter: 2048, TopK: 8, Experts: 256, TP: tp, EP: ep, Seconds: scale * float64(tok+100) * 1e-6})
		}
	}
	add(1, 1, 4)
	add(1, 2, 2)
	add(2, 1, 2)
	add(2, 2, 1)
	add(4, 2, 3)   // slower than (2, 2) and (2, 1), which do at least as much work per GPU
	add(1, 4, 2.6) // 30% slower than (1, 2)
	out := MoESplitOutliers(rows)
	if len(out) != 2 || out[0].TP != 1 || out[0].EP != 4 || out[1].TP != 4 || out[1].EP != 2 || out[1].ParentTP != 2 || out[1].ParentEP != 2 ||
		math.Abs(out[1].Ratio-3) > 1e-12 || math.Abs(out[0].Ratio-1.3) > 1e-12 || out[0].ParentEP != 2 {
		t.Fatalf("outliers %+v", out)
	}
}

func TestMoEExclusions(t *testing.T) {
	ex, err := MoEExclusions()
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) == 0 {
		t.Fatal("no MoE tables")
	}
	for _, e := range ex {
		if e.Rows == 0 || e.Floor+e.Split > e.Rows/5 {
			t.Errorf("%s: excludes more than a fifth of the table", e)
		}
	}
}
