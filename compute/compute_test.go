package compute

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/topology"
)

// chip is a made-up accelerator with round numbers: 1 PFLOP/s BF16,
// 2 POP/s INT8, no FP8, 2 TB/s HBM, 5 us launch.
func chip() *topology.AcceleratorSpec {
	a := &topology.AcceleratorSpec{Name: "chip", Dies: 1, HBMBytes: 64e9, HBMBytesPerS: 2e12, KernelLaunchS: 5e-6}
	a.PeakFLOPS[topology.BF16] = 1e15
	a.PeakFLOPS[topology.INT8] = 2e15
	a.Efficiency.GEMM = topology.Efficiency{Compute: 0.5, Memory: 0.8}
	a.Efficiency.Attention = topology.Efficiency{Memory: 0.5} // compute not given: 1
	a.Efficiency.MoEGEMM = topology.Efficiency{Compute: 0.25, Memory: 0.25}
	return a
}

func preset(t testing.TB, name string) *topology.AcceleratorSpec {
	t.Helper()
	f, _, err := topology.PresetFile(name)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := f.Spec(name, 0)
	if err != nil {
		t.Fatal(err)
	}
	return cs.Domain.Accel
}

func TestTime(t *testing.T) {
	cm := preset(t, "cm384")
	die := PerDie(cm)
	h800 := preset(t, "hgx-h800")
	for _, c := range []struct {
		name  string
		a     *topology.AcceleratorSpec
		op    Op
		want  float64
		bound string
	}{
		// 1e12 / (1e15 x 0.5) = 2 ms vs 1e9 / (2e12 x 0.8) = 0.625 ms; + 5 us.
		{"gemm compute-bound", chip(), Op{GEMM, 1e12, 1e9, topology.BF16}, 2.005e-3, BoundCompute},
		// 1e10 / (2e15 x 0.5) = 10 us vs 4e9 / (2e12 x 0.8) = 2.5 ms; + 5 us.
		{"gemm memory-bound int8", chip(), Op{GEMM, 1e10, 4e9, topology.INT8}, 2.505e-3, BoundMemory},
		// compute efficiency 0 reads as 1: 1e12 / 1e15 = 1 ms vs 5e8 / (2e12 x 0.5) = 0.5 ms.
		{"attention default compute efficiency", chip(), Op{Attention, 1e12, 5e8, topology.BF16}, 1.005e-3, BoundCompute},
		// 1e12 / (1e15 x 0.25) = 4 ms vs 1e9 / (2e12 x 0.25) = 2 ms.
		{"moe gemm", chip(), Op{MoEGEMM, 1e12, 1e9, topology.BF16}, 4.005e-3, BoundCompute},
		// equal terms, 1 ms each: a tie is memory-bound.
		{"tie", chip(), Op{Attention, 1e12, 1e9, topology.BF16}, 1.005e-3, BoundMemory},
		{"no work is launch only", chip(), Op{GEMM, 0, 0, topology.FP8}, 5e-6, BoundMemory},
		// A memory-only op never consults the dtype (the chip lacks fp8).
		{"copy", chip(), Op{GEMM, 0, 2e9, topology.FP8}, 5e-6 + 2e9/(2e12*0.8), BoundMemory},
		// Ascend 910C die, MLA decode streaming 1.346 GB of KV cache:
		// 1.346e9 / (1.6e12 x 0.841) = 1.000297 ms (the [P1] 1,346 GB/s), + 4 us.
		{"910C die MLA memory", &die, Op{Attention, 1e9, 1.346e9, topology.BF16}, 4e-6 + 1.346e9/(1.6e12*0.841), BoundMemory},
		// Ascend 910C die INT8 GEMM: 7.52e11 / (752e12 x 0.80) = 1.25 ms vs 1e8 / 1.35e12 = 74 us.
		{"910C die int8 gemm", &die, Op{GEMM, 7.52e11, 1e8, topology.INT8}, 4e-6 + 7.52e11/(752e12*0.80), BoundCompute},
		// The same work on the whole package runs twice as fast.
		{"910C package int8 gemm", cm, Op{GEMM, 7.52e11, 1e8, topology.INT8}, 4e-6 + 7.52e11/(1504e12*0.80), BoundCompute},
		// H800 FlashMLA: 3 GB at 3,350 GB/s x 0.896 = 3,001.6 GB/s.
		{"h800 MLA memory", h800, Op{Attention, 1e9, 3e9, topology.BF16}, 4e-6 + 3e9/(3.35e12*0.896), BoundMemory},
	} {
		got, bound, err := Time(c.a, c.op)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if math.Abs(got-c.want) > 1e-12*math.Max(1, c.want) || bound != c.bound {
			t.Errorf("%s: got %.9g s %s, want %.9g s %s", c.name, got, bound, c.want, c.bound)
		}
	}
}

func TestTimeErrors(t *testing.T) {
	noHBM := chip()
	noHBM.HBMBytesPerS = 0
	for _, c := range []struct {
		name string
		a    *topology.AcceleratorSpec
		op   Op
		want string
	}{
		{"no accelerator", nil, Op{GEMM, 1, 1, topology.BF16}, "no accelerator"},
		{"unknown class", chip(), Op{Class(9), 1, 1, topology.BF16}, "unknown operator class"},
		{"negative flops", chip(), Op{GEMM, -1, 1, topology.BF16}, "FLOPs -1"},
		{"nan bytes", chip(), Op{GEMM, 1, math.NaN(), topology.BF16}, "bytes NaN"},
		{"inf flops", chip(), Op{GEMM, math.Inf(1), 1, topology.BF16}, "finite"},
		{"unknown dtype", chip(), Op{GEMM, 1, 1, topology.Dtype(99)}, "unknown dtype"},
		{"missing dtype", chip(), Op{GEMM, 1, 1, topology.FP8}, "chip has no fp8 (it has bf16, int8); map it explicitly, e.g. fp8=int8"},
		{"no hbm", noHBM, Op{GEMM, 1, 1, topology.BF16}, "no HBM bandwidth"},
	} {
		_, _, err := Time(c.a, c.op)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestDtypeErrorOnPresets(t *testing.T) {
	for _, c := range []struct {
		preset string
		dtype  topology.Dtype
		want   string
	}{
		{"cm384", topology.FP8, "Ascend 910C has no fp8 (it has bf16, fp16, int8); map it explicitly, e.g. fp8=int8"},
		{"cm384", topology.FP4, "e.g. fp4=int8"},
		{"cm384", topology.FP32, "e.g. fp32=bf16"},
		{"hgx-h100", topology.FP4, "H100 SXM has no fp4 (it has fp32, bf16, fp16, fp8, int8); map it explicitly, e.g. fp4=fp8"},
		{"hgx-a100", topology.FP8, "e.g. fp8=int8"},
		{"trn2-ultraserver", topology.INT8, "e.g. int8=fp8"},
	} {
		a := preset(t, c.preset)
		_, _, err := Time(a, Op{GEMM, 1e9, 1e6, c.dtype})
		var de *DtypeError
		if !errors.As(err, &de) || de.Dtype != c.dtype || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: got %v, want a DtypeError containing %q", c.preset, c.dtype, err, c.want)
		}
	}
	var empty topology.AcceleratorSpec
	empty.Name = "empty"
	if _, err := Resolve(&empty, topology.BF16, nil); err == nil || err.Error() != "empty has no bf16 (it has none)" {
		t.Errorf("empty chip: %v", err)
	}
}

func TestResolve(t *testing.T) {
	cm := preset(t, "cm384")
	h100 := preset(t, "hgx-h100")
	m := DtypeMap{topology.FP8: topology.INT8}
	for _, c := range []struct {
		name    string
		a       *topology.AcceleratorSpec
		want    topology.Dtype
		mapping DtypeMap
		got     topology.Dtype
		err     string
	}{
		{"native", cm, topology.BF16, nil, topology.BF16, ""},
		{"mapped", cm, topology.FP8, m, topology.INT8, ""},
		{"unmapped", cm, topology.FP8, nil, 0, "Ascend 910C has no fp8"},
		{"mapping wins over native", h100, topology.FP8, m, topology.INT8, ""},
		{"not chained", cm, topology.FP4, DtypeMap{topology.FP4: topology.FP8, topology.FP8: topology.INT8}, 0, "mapping fp4=fp8: Ascend 910C has no fp8"},
		{"nil accelerator", nil, topology.BF16, nil, 0, "no accelerator"},
	} {
		got, err := Resolve(c.a, c.want, c.mapping)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: got %v, %v; want error %q", c.name, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.got {
			t.Errorf("%s: got %v, %v; want %v", c.name, got, err, c.got)
		}
	}
}

func TestPrecision(t *testing.T) {
	cm := preset(t, "cm384")
	p := Precision{Weights: topology.FP8, Activations: topology.FP8, KVCache: topology.BF16}
	if _, err := p.Resolve(cm, nil); err == nil || !strings.HasPrefix(err.Error(), "weights: Ascend 910C has no fp8") {
		t.Errorf("unmapped: %v", err)
	}
	got, err := p.Resolve(cm, DtypeMap{topology.FP8: topology.INT8})
	want := Precision{Weights: topology.INT8, Activations: topology.INT8, KVCache: topology.BF16}
	if err != nil || got != want {
		t.Errorf("mapped: got %+v, %v; want %+v", got, err, want)
	}
	p.KVCache = topology.FP4
	if _, err := p.Resolve(cm, DtypeMap{topology.FP8: topology.INT8}); err == nil || !strings.HasPrefix(err.Error(), "KV cache: ") {
		t.Errorf("kv: %v", err)
	}
}

func TestParseDtypeMap(t *testing.T) {
	m, err := ParseDtypeMap("fp8=int8, FP4->int8;bf16:fp16")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.String(), "bf16=fp16,fp8=int8,fp4=int8"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if m, err := ParseDtypeMap(""); err != nil || len(m) != 0 {
		t.Errorf("empty: %v %v", m, err)
	}
	for _, bad := range []string{"fp8", "fp9=int8", "fp8=int9", "fp8=int8,fp8=bf16"} {
		if _, err := ParseDtypeMap(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if _, err := ParseDtypeMap("fp8=int8,fp8=int8"); err != nil {
		t.Errorf("repeated identical pair: %v", err)
	}
}

func TestPerDie(t *testing.T) {
	cm := preset(t, "cm384")
	d := PerDie(cm)
	if d.Dies != 1 || d.PeakFLOPS[topology.BF16] != 376e12 || d.PeakFLOPS[topology.INT8] != 752e12 ||
		d.HBMBytesPerS != 1.6e12 || d.HBMBytes != 64e9 || d.MaxW != 400 || d.Name != "Ascend 910C (one of 2 dies)" {
		t.Errorf("910C die: %+v", d)
	}
	if d.Efficiency != cm.Efficiency || d.KernelLaunchS != cm.KernelLaunchS {
		t.Errorf("efficiency or launch changed: %+v", d)
	}
	if cm.Dies != 2 || cm.PeakFLOPS[topology.BF16] != 752e12 {
		t.Errorf("PerDie changed its argument: %+v", cm)
	}
	h := preset(t, "hgx-h100")
	if got := PerDie(h); got.Name != h.Name || got.PeakFLOPS != h.PeakFLOPS || got.HBMBytesPerS != h.HBMBytesPerS {
		t.Errorf("single die changed: %+v", got)
	}
}

// Every preset has a sourced efficiency for every class and a launch figure.
func TestPresetsHaveEfficiency(t *testing.T) {
	for _, name := range topology.PresetNames() {
		a := preset(t, name)
		for c := Class(0); c < NumClasses; c++ {
			e := map[Class]topology.Efficiency{GEMM: a.Efficiency.GEMM, Attention: a.Efficiency.Attention, MoEGEMM: a.Efficiency.MoEGEMM}[c]
			if e.Compute <= 0 || e.Compute > 1 || e.Memory <= 0 || e.Memory > 1 {
				t.Errorf("%s %v: efficiency %+v not set", name, c, e)
			}
		}
		if a.KernelLaunchS <= 0 || a.KernelLaunchS > 1e-4 {
			t.Errorf("%s: kernel launch %g s", name, a.KernelLaunchS)
		}
	}
}

func TestClass(t *testing.T) {
	for c := Class(0); c < NumClasses; c++ {
		got, err := ParseClass(c.String())
		if err != nil || got != c {
			t.Errorf("%v: %v %v", c, got, err)
		}
	}
	if _, err := ParseClass("conv"); err == nil {
		t.Error("conv parsed")
	}
	if Class(7).String() != "class(7)" {
		t.Error(Class(7).String())
	}
}

func BenchmarkTime(b *testing.B) {
	a := preset(b, "cm384")
	op := Op{GEMM, 2 * 96 * 7168 * 2048, 7168*2048 + 96*(7168+2048), topology.INT8}
	var s float64
	for b.Loop() {
		t, _, err := Time(a, op)
		if err != nil {
			b.Fatal(err)
		}
		s += t
	}
	_ = s
}

// The preset schema: efficiency fractions and the launch figure parse with
// the file's usual checks.
func TestEfficiencySchema(t *testing.T) {
	base, err := topology.PresetSource("gb200-nvl72")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, old, new, want string }{
		{"above 1", "      compute: 0.686 ", "      compute: 1.2   ", "field `accelerator.efficiency.gemm.compute`"},
		{"zero", "      memory: 0.896 ", "      memory: 0     ", "field `accelerator.efficiency.attention.memory`"},
		{"typo", "    moe_gemm:", "    moe_gem:", "did you mean `moe_gemm`?"},
		{"bad launch", "  kernel_launch: 4 us ", "  kernel_launch: 4 uz ", "field `accelerator.kernel_launch`"},
		{"percent", "      compute: 0.686 ", "      compute: 68.6% ", ""},
	} {
		src := strings.Replace(string(base), c.old, c.new, 1)
		if src == string(base) {
			t.Fatalf("%s: edit %q not found", c.name, c.old)
		}
		f, _, err := topology.ParseFile("gb.yaml", []byte(src))
		var cs topology.ClusterSpec
		if err == nil {
			cs, err = f.Spec("gb.yaml", 0)
		}
		if c.want == "" {
			if err != nil || math.Abs(cs.Domain.Accel.Efficiency.GEMM.Compute-0.686) > 1e-12 {
				t.Errorf("%s: %v, %+v", c.name, err, cs.Domain.Accel)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
}
