package infer

import (
	"math"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/compute/kernels"
)

// TestFittedDecodeGEMM: on a fitted accelerator (HGX H200) a decode
// step's GEMMs take the kernels model's time for their real shapes:
// Llama 3.1 70B at TP 8, batch 32 per GPU (256 tokens on every die), the
// QKV projection is m 256, n (64/8 + 2 x 8/8) x 128 = 1,280, k 8,192 and
// the output projection m 256, n 8,192, k 8 x 128 = 1,024, per-tensor FP8.
func TestFittedDecodeGEMM(t *testing.T) {
	e := engine(t, "hgx-h200")
	c := Config{Model: model(t, "llama-3.1-70b"), Accelerators: 8, Phase: Decode, Batch: 32, Context: 4096, TP: 8,
		Precision: fp8kv, MicroBatches: 1}
	s, err := e.newStep(c)
	if err != nil {
		t.Fatal(err)
	}
	if s.tokMB != 256 {
		t.Fatalf("tokens per die %g, want 256", s.tokMB)
	}
	if err := s.fitMemory(); err != nil {
		t.Fatal(err)
	}
	if err := s.computeLayers(); err != nil {
		t.Fatal(err)
	}
	ks := e.kernelSet("")
	if ks == nil || ks.system != "h200_sxm" {
		t.Fatalf("hgx-h200 has no fitted kernel set (%+v)", ks)
	}
	g, ok := kernels.Lookup("h200_sxm", "fp8")
	if !ok {
		t.Fatal("no h200_sxm fp8 GEMM fit")
	}
	// A dense layer's first two calls are those GEMMs.
	calls := s.fitted[0]
	if len(calls) < 2 {
		t.Fatalf("a dense layer made %d fitted calls", len(calls))
	}
	for i, tc := range []struct {
		name    string
		m, n, k int
	}{{"qkv", 256, 1280, 8192}, {"o", 256, 8192, 1024}} {
		got := calls[i]
		if want := g.Time(tc.m, tc.n, tc.k); !got.c.fitted || got.total() != want || got.c.source != g.Source {
			t.Errorf("%s GEMM %dx%dx%d: step times it %.6g s (fitted %v, %q), the h200_sxm fp8 fit %.6g s", tc.name, tc.m, tc.n, tc.k,
				got.total(), got.c.fitted, got.c.source, want)
		}
	}
	r, err := e.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	var classes []string
	for _, k := range r.Kernels {
		classes = append(classes, k.Class)
		if !k.Fitted || k.Fallbacks != 0 || !strings.Contains(k.Source, "AIConfigurator h200_sxm/") {
			t.Errorf("%s: fitted %v, %d of %d calls on the roofline, source %q", k.Class, k.Fitted, k.Fallbacks, k.Calls, k.Source)
		}
	}
	if strings.Join(classes, ",") != "gemm,attention" {
		t.Errorf("classes %v, want gemm and attention", classes)
	}
}

// TestUnfittedStepUnchanged: accelerators without tables keep their
// roofline step bit for bit: the figures below are those of the engine
// before the fits were wired in (commit df3039a), and the step records
// no kernel source.
func TestUnfittedStepUnchanged(t *testing.T) {
	top, c := cm384Decode(t)
	r, err := NewEngine(top).Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if r.StepS != 0.07767595396787844 || r.ComputeS != 0.0639816704218783 || r.Load != 0.7665380715729508 || r.Kernels != nil {
		t.Errorf("cm384 EP320 decode: step %.17g s, compute %.17g s, load %.17g, kernels %v; want 0.07767595396787844, 0.0639816704218783, 0.7665380715729508, none",
			r.StepS, r.ComputeS, r.Load, r.Kernels)
	}
	for _, tc := range []struct {
		topo       string
		step, load float64
	}{
		// hgx-h800 and hgx-h20 moved once, by their collectives: the
		// TP allreduce may take LL128 within the NVLink domain, as NCCL
		// does on Hopper, and pays NCCL 2.29's Hopper overhead and LL
		// step (collective/nccltune.go); hgx-h20 again when Hopper's
		// Simple rings in one domain paid one pipeline fill a pass for
		// their step latencies (collective/nccltune.go ringFill).
		{"hgx-h800", 0.023562825685870727, 0.55616208528894329},
		{"hgx-h20", 0.035402553236902737, 0.92954666189962953},
		// mi355x-8 moved once, by its collectives not its kernels: TP
		// allreduce runs RCCL-style rings over 6 of each GPU's 7 xGMI
		// links (collective/mesh.go), and the links reach AMD's 0.75.
		{"mi355x-8", 0.016223290905958376, 0.5423474266739019},
	} {
		c := Config{Model: model(t, "llama-3.1-70b"), Accelerators: 8, Phase: Decode, Batch: 32, Context: 4096, TP: 8, Precision: fp8kv}
		r, err := engine(t, tc.topo).Run(c)
		if err != nil {
			t.Fatal(err)
		}
		if r.StepS != tc.step || r.Load != tc.load || r.Kernels != nil {
			t.Errorf("%s: step %.17g s, load %.17g, kernels %v; want %.17g, %.17g, none", tc.topo, r.StepS, r.Load, r.Kernels, tc.step, tc.load)
		}
	}
}

// TestKernelsRoofline: Kernels "roofline" keeps a fitted accelerator on
// the preset's efficiencies, and an unknown name is refused by field.
func TestKernelsRoofline(t *testing.T) {
	e := engine(t, "hgx-h100")
	c := Config{Model: model(t, "llama-3.1-70b"), Accelerators: 8, Phase: Decode, Batch: 32, Context: 4096, TP: 8, Precision: fp8kv}
	fit, err := e.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	c.Kernels = KernelsRoofline
	roof, err := e.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if roof.Kernels != nil || fit.Kernels == nil || fit.StepS == roof.StepS {
		t.Errorf("fitted step %.4g s (%d classes), roofline %.4g s (%d classes)", fit.StepS, len(fit.Kernels), roof.StepS, len(roof.Kernels))
	}
	c.Kernels = "vllm"
	if _, err := e.Run(c); err == nil || !strings.Contains(err.Error(), "kernels") || !strings.Contains(err.Error(), "roofline") {
		t.Errorf("kernels vllm: %v, want an error naming the field and the choices", err)
	}
}

// TestChunked: whole sizes time exactly, fractions interpolate, sizes
// past the table split into calls at its largest size.
func TestChunked(t *testing.T) {
	f := func(n int) float64 { return 10 + float64(n) }
	for _, tc := range []struct {
		n    float64
		max  int
		want float64
	}{{3, 100, 13}, {3.5, 100, 13.5}, {0.5, 100, 5.5}, {250, 100, 2*110 + 60}, {200, 100, 220}} {
		if got := chunked(tc.n, tc.max, f); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("chunked(%g, %d) = %g, want %g", tc.n, tc.max, got, tc.want)
		}
	}
}
