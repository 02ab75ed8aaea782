package train

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/topology"
)

func setup(t *testing.T, preset string, domains int, model string) (*Engine, *llm.Model) {
	t.Helper()
	top, err := topology.Load(preset, domains)
	if err != nil {
		t.Fatal(err)
	}
	m, err := llm.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	return NewEngine(top), m
}

func TestErrors(t *testing.T) {
	e, m := setup(t, "hgx-h100", 0, "llama-3.1-8b")
	moe, err := llm.Load("deepseek-r1")
	if err != nil {
		t.Fatal(err)
	}
	big, err := llm.Load("llama-3.1-405b")
	if err != nil {
		t.Fatal(err)
	}
	base := Config{Model: m, GlobalBatch: 8, SeqLen: 4096, Dtype: topology.BF16}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no model", func(c *Config) { c.Model = nil }, "no model"},
		{"moe", func(c *Config) { c.Model = moe }, "mixture-of-experts"},
		{"tp divides ranks", func(c *Config) { c.TP = 3 }, "does not divide the 8 ranks"},
		{"tp 8 fits", func(c *Config) { c.TP = 8 }, ""},
		{"cp divides sequence", func(c *Config) { c.CP = 2; c.SeqLen = 4095 }, "does not divide the sequence length"},
		{"batch multiple", func(c *Config) { c.GlobalBatch = 12 }, "try global_batch 8"},
		{"zero batch", func(c *Config) { c.GlobalBatch = 0 }, "at least 1 sequence"},
		{"too many ranks", func(c *Config) { c.Accelerators = 9 }, "9 accelerators asked"},
		{"does not fit", func(c *Config) { c.Model = big }, "does not fit"},
		{"negative", func(c *Config) { c.TP = -1 }, "must be at least 1"},
		{"negative lora", func(c *Config) { c.LoRARank = -1 }, "want 0 (full training)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.edit(&c)
			_, err := e.Run(c)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestScaling: compute is linear in the batch; LoRA's backward is lighter
// than full training's; overlap never exposes more communication; the
// energy's parts add up.
func TestScaling(t *testing.T) {
	e, m := setup(t, "hgx-h100", 0, "llama-3.1-8b")
	base := Config{Model: m, GlobalBatch: 8, SeqLen: 4096, Dtype: topology.BF16, TP: 2}
	one, err := e.Run(base)
	if err != nil {
		t.Fatal(err)
	}
	b := base
	b.GlobalBatch = 16
	two, err := e.Run(b)
	if err != nil {
		t.Fatal(err)
	}
	// The optimizer update is paid once per step, not per sequence.
	opt := two.ComputeS - 2*(two.ComputeS-one.ComputeS)
	if rel := math.Abs((two.ComputeS-opt)/(one.ComputeS-opt) - 2); rel > 1e-9 {
		t.Errorf("compute of 16 sequences is not twice that of 8 beyond the optimizer: %g vs %g s", two.ComputeS, one.ComputeS)
	}
	l := base
	l.LoRARank = 16
	lora, err := e.Run(l)
	if err != nil {
		t.Fatal(err)
	}
	if !(lora.ComputeS < one.ComputeS) || !(lora.TrainableParams < one.TrainableParams/100) {
		t.Errorf("LoRA step %g s (%g params) vs full %g s (%g params)", lora.ComputeS, lora.TrainableParams, one.ComputeS, one.TrainableParams)
	}
	o := base
	o.TPOverlap = true
	over, err := e.Run(o)
	if err != nil {
		t.Fatal(err)
	}
	if over.ExposedCommS > one.ExposedCommS || one.ExposedCommS < one.TPCommS {
		t.Errorf("exposed with overlap %g s, without %g s (TP %g s)", over.ExposedCommS, one.ExposedCommS, one.TPCommS)
	}
	for _, r := range []Result{one, two, lora, over} {
		var sum float64
		for _, j := range r.Energy.IT {
			sum += j
		}
		if math.Abs(sum-r.Energy.ITJ) > 1e-9*sum || r.Load <= 0 || r.Load > 1 || r.MFU <= 0 || r.MFU > 1 {
			t.Errorf("energy parts %g vs %g J, load %g, MFU %g", sum, r.Energy.ITJ, r.Load, r.MFU)
		}
	}
	p := base
	p.PowerMode = power.Provisioned
	prov, err := e.Run(p)
	if err != nil {
		t.Fatal(err)
	}
	if !(prov.Energy.ITJ > one.Energy.ITJ) {
		t.Errorf("provisioned %g J not above activity %g J", prov.Energy.ITJ, one.Energy.ITJ)
	}
}

// TestDeterministic: the same configuration gives the same result, on a
// fresh engine and from the cache.
func TestDeterministic(t *testing.T) {
	e, m := setup(t, "hgx-h100", 2, "llama-3.1-8b")
	c := Config{Model: m, GlobalBatch: 4, SeqLen: 2048, Dtype: topology.BF16, TP: 4}
	a, err := e.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	e2, _ := setup(t, "hgx-h100", 2, "llama-3.1-8b")
	f, err := e2.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if a.StepS != b.StepS || a.StepS != f.StepS || a.Energy.ITJ != f.Energy.ITJ || a.DPCommS <= 0 {
		t.Errorf("step %v %v %v, energy %v %v, dp %v", a.StepS, b.StepS, f.StepS, a.Energy.ITJ, f.Energy.ITJ, a.DPCommS)
	}
}

// TestMultiDie: on CloudMatrix 384 every die is a rank with half the
// package's rates; the step matches the same job on a die's spec.
func TestMultiDie(t *testing.T) {
	e, m := setup(t, "cm384", 0, "llama-3.1-8b")
	r, err := e.Run(Config{Model: m, Accelerators: 8, TP: 2, GlobalBatch: 8, SeqLen: 2048, Dtype: topology.BF16})
	if err != nil {
		t.Fatal(err)
	}
	if r.Ranks != 16 || r.DP != 8 || r.MicroBatches != 1 {
		t.Errorf("ranks %d, dp %d, micro-batches %d; want 16, 8, 1", r.Ranks, r.DP, r.MicroBatches)
	}
	if r.MFU <= 0 || r.MFU > 1 || r.MemoryBytesPerDie > e.Topo.Accels[0].Spec.HBMBytes/2 {
		t.Errorf("MFU %g, memory per die %g", r.MFU, r.MemoryBytesPerDie)
	}
}

func TestGroups(t *testing.T) {
	for _, tc := range []struct {
		n, k, stride int
		want         string
	}{
		{8, 4, 1, "[[0 1 2 3] [4 5 6 7]]"},
		{8, 2, 4, "[[0 4] [1 5] [2 6] [3 7]]"},
		{16, 2, 8, "[[0 8] [1 9] [2 10] [3 11] [4 12] [5 13] [6 14] [7 15]]"},
	} {
		if got := sprint(groups(tc.n, tc.k, tc.stride)); got != tc.want {
			t.Errorf("groups(%d, %d, %d) = %s, want %s", tc.n, tc.k, tc.stride, got, tc.want)
		}
	}
}

func sprint(v any) string { return fmt.Sprint(v) }
