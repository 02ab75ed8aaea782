package infer

import (
	"math"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/topology"
)

var int8w = compute.Precision{Weights: topology.INT8, Activations: topology.BF16, KVCache: topology.BF16}
var fp8 = compute.Precision{Weights: topology.FP8, Activations: topology.BF16, KVCache: topology.FP8}

// TestDisaggCM384: DeepSeek-R1 with a 16-NPU prefill instance and a
// 160-NPU decode instance on one CloudMatrix 384. The KV transfer moves
// every prompt's MLA cache (61 layers x 576 elements x 2 bytes per token)
// and adds to TTFT; the balance follows from the two request rates.
func TestDisaggCM384(t *testing.T) {
	e := engine(t, "cm384")
	m := model(t, "deepseek-r1")
	r, err := e.RunDisagg(Disagg{
		Prefill:   Config{Model: m, Accelerators: 16, Batch: 4, InputLen: 4096, Precision: int8w, MicroBatches: 2},
		Decode:    Config{Model: m, Accelerators: 160, FirstAccelerator: 16, Batch: 96, Precision: int8w, MicroBatches: 2, MTPDraft: 1, MTPAccept: 0.7},
		OutputLen: 1024})
	if err != nil {
		t.Fatal(err)
	}
	perReq := 61.0 * 576 * 2 * 4096
	if r.KVBytesPerRequest != perReq || r.KVTransferBytes != 64*perReq {
		t.Errorf("KV %g B per request, %g B per batch; want %g and %g", r.KVBytesPerRequest, r.KVTransferBytes, perReq, 64*perReq)
	}
	if r.KVTransferS <= 0 || r.TTFTS != r.Prefill.TTFTS+r.KVTransferS {
		t.Errorf("TTFT %g = prefill %g + KV %g?", r.TTFTS, r.Prefill.TTFTS, r.KVTransferS)
	}
	if r.Decode.Config.Context != 4096+512 {
		t.Errorf("decode context %d, want input + output/2", r.Decode.Config.Context)
	}
	wantRatio := (r.Decode.TokensPerS / 1024) / (64 / r.Prefill.StepS)
	if math.Abs(r.PrefillPerDecode/wantRatio-1) > 1e-9 || math.Abs(r.BalancedAccelerators-(wantRatio*16+160)) > 1e-6 {
		t.Errorf("ratio %g, want %g; balanced accelerators %g", r.PrefillPerDecode, wantRatio, r.BalancedAccelerators)
	}
	// The whole deployment: its instances' accelerators, its decode
	// instances' tokens/s, every instance's power.
	if r.Accelerators != r.PrefillInstances*16+r.DecodeInstances*160 || r.DecodeUse != 1 ||
		math.Abs(r.TokensPerS-float64(r.DecodeInstances)*r.Decode.TokensPerS) > 1e-6 ||
		math.Abs(r.PowerW-float64(r.PrefillInstances)*r.Prefill.PowerW-float64(r.DecodeInstances)*r.Decode.PowerW) > 1e-6 {
		t.Errorf("%d:%d instances, %d accelerators, %g tok/s, %g W", r.PrefillInstances, r.DecodeInstances, r.Accelerators, r.TokensPerS, r.PowerW)
	}
	if r.TokensPerSPerAccel >= r.DecodeTokensPerSPerAccel || r.TokensPerKW <= 0 {
		t.Errorf("system %g tok/s per NPU should be below decode's %g (prefill NPUs count); %g per kW", r.TokensPerSPerAccel, r.DecodeTokensPerSPerAccel, r.TokensPerKW)
	}
}

// TestDisaggKVOverScaleOut: two HGX H100 boxes, prefill on one and decode
// on the other with TP8 on both: GPU t sends its KV heads to GPU t only,
// over its own NIC, so the transfer runs at about a NIC's rate per GPU,
// far slower than the same transfer within one box over NVLink.
func TestDisaggKVOverScaleOut(t *testing.T) {
	m := model(t, "llama-3.1-70b")
	two, err := topology.Load("hgx-h100", 2)
	if err != nil {
		t.Fatal(err)
	}
	d := Disagg{
		Prefill:   Config{Model: m, Accelerators: 8, Batch: 1, InputLen: 4096, TP: 8, Precision: fp8},
		Decode:    Config{Model: m, Accelerators: 8, FirstAccelerator: 8, Batch: 16, TP: 8, Precision: fp8},
		OutputLen: 512}
	r, err := NewEngine(two).RunDisagg(d)
	if err != nil {
		t.Fatal(err)
	}
	pre, dec := r.Prefill, r.Decode
	sends, total := kvSends(pre, dec, r.KVBytesPerRequest, 0, 8)
	if len(sends) != 8 || total != r.KVTransferBytes {
		t.Fatalf("%d sends of %g B, want 8 (rank t to rank t) of %g", len(sends), total, r.KVTransferBytes)
	}
	for i, s := range sends {
		if s.From != i || s.To != 8+i {
			t.Errorf("send %d: die %d to %d", i, s.From, s.To)
		}
	}
	nic := topology.Summarize(two).ScaleOutBytesPerSPerAccel
	floor := r.KVTransferBytes / 8 / nic
	if r.KVTransferS < floor || r.KVTransferS > 1.5*floor {
		t.Errorf("KV transfer %.2f ms, want just above %.2f ms (%.0f GB per GPU at %.0f GB/s)", r.KVTransferS*1e3, floor*1e3, r.KVTransferBytes/8/1e9, nic/1e9)
	}
	// Within one box, TP4 + TP4 over NVLink.
	d.Prefill.Accelerators, d.Prefill.TP, d.Decode.Accelerators, d.Decode.TP, d.Decode.FirstAccelerator = 4, 4, 4, 4, 4
	one, err := NewEngine(two).RunDisagg(d)
	if err != nil {
		t.Fatal(err)
	}
	if one.KVTransferBytesPerS < 3*r.KVTransferBytesPerS {
		t.Errorf("KV over NVLink %.0f GB/s, over InfiniBand %.0f GB/s", one.KVTransferBytesPerS/1e9, r.KVTransferBytesPerS/1e9)
	}
}

func TestDisaggErrors(t *testing.T) {
	m := model(t, "llama-3.1-70b")
	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(top)
	ok := Disagg{Prefill: Config{Model: m, Accelerators: 8, Batch: 1, InputLen: 1024, TP: 8, Precision: fp8},
		Decode: Config{Model: m, Accelerators: 8, FirstAccelerator: 8, Batch: 8, TP: 8, Precision: fp8}, OutputLen: 128}
	for _, tc := range []struct {
		name string
		edit func(d *Disagg)
		want string
	}{
		{"overlap", func(d *Disagg) { d.Decode.FirstAccelerator = 4 }, "overlap"},
		{"too large", func(d *Disagg) { d.Decode.Accelerators = 16 }, "accelerators 0 to 15"},
		{"no output", func(d *Disagg) { d.OutputLen = 0 }, "output length 0"},
		{"no input", func(d *Disagg) { d.Prefill.InputLen = 0 }, "input length 0"},
		{"empty instance", func(d *Disagg) { d.Prefill.Accelerators = 0 }, "at least 1"},
		{"kv dtypes", func(d *Disagg) { d.Decode.Precision.KVCache = topology.BF16 }, "one KV dtype"},
		{"tp", func(d *Disagg) { d.Prefill.TP = 3 }, "prefill: TP 3"},
		{"kv does not fit", func(d *Disagg) { d.Decode.Batch = 4000 }, "decode: does not fit"},
		{"models", func(d *Disagg) { d.Decode.Model = model(t, "llama-3.1-8b") }, "want one model"},
	} {
		d := ok
		tc.edit(&d)
		_, err := e.RunDisagg(d)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: err %v, want one line with %q", tc.name, err, tc.want)
		}
	}
	if _, err := e.RunDisagg(ok); err != nil {
		t.Errorf("the valid configuration: %v", err)
	}
}

// TestDisaggSLO: the TTFT limit counts the KV transfer, and the search
// takes the largest prefill batch within it.
func TestDisaggSLO(t *testing.T) {
	m := model(t, "llama-3.1-70b")
	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(top)
	d := Disagg{Prefill: Config{Model: m, Accelerators: 8, InputLen: 1024, TP: 8, Precision: fp8},
		Decode: Config{Model: m, Accelerators: 8, FirstAccelerator: 8, TP: 8, Precision: fp8}, OutputLen: 256}
	r, err := e.BestDisaggUnderSLO(d, 1.0, 0.030)
	if err != nil {
		t.Fatal(err)
	}
	if r.TTFTS > 1.0 || r.TPOTS > 0.030 {
		t.Errorf("TTFT %.0f ms, TPOT %.1f ms: over the limits", r.TTFTS*1e3, r.TPOTS*1e3)
	}
	d.Prefill.Batch = r.Prefill.Config.Batch + 1
	d.Decode.Batch = r.Decode.Config.Batch
	if next, err := e.RunDisagg(d); err == nil && next.TTFTS <= 1.0 {
		t.Errorf("prefill batch %d also meets 1 s (%.0f ms)", d.Prefill.Batch, next.TTFTS*1e3)
	}
}

// TestWholeInstances: the smallest whole deployment that balances: its
// decode instances run full, the fewest prefill instances keep up (no
// pool over 100%), and the prefill pool is at least BalancedUse used.
func TestWholeInstances(t *testing.T) {
	for _, tc := range []struct {
		ratio   float64
		p, d    int
		use     float64
		comment string
	}{
		{10.051, 11, 1, 10.051 / 11, "CM384's R1 example: eleven prefill instances feed one decode"},
		{8.743, 9, 1, 8.743 / 9, "nine prefill instances, 97% used"},
		{2, 2, 1, 1, "an exact ratio runs full"},
		{1.19874, 5, 4, 1.19874 * 4 / 5, "2:1 would idle 40% of the prefill pool, 4:3 10.1%: 5:4"},
		{1.2, 4, 3, 0.9, "4:3 idles a tenth exactly"},
		{1.5, 3, 2, 1, "3:2 exact"},
		{0.3, 1, 3, 0.9, "one prefill feeds three decode instances"},
		{0.25, 1, 4, 1, "exact below one"},
		{0.55, 3, 5, 0.55 * 5 / 3, "1:1 would idle 45%, 2:3 17.5%"},
		{1e-4, 1, 9000, 0.9, "one prefill instance for thousands of decode instances"},
		{0, 0, 0, 0, "no decode demand"},
		{math.Inf(1), 0, 0, 0, "no prefill capacity"},
		{math.NaN(), 0, 0, 0, "no figures"},
	} {
		p, d, use, dUse := WholeInstances(tc.ratio)
		if p != tc.p || d != tc.d || math.Abs(use-tc.use) > 1e-12 {
			t.Errorf("%s: WholeInstances(%g) = %d, %d, %g; want %d, %d, %g", tc.comment, tc.ratio, p, d, use, tc.p, tc.d, tc.use)
		}
		if p == 0 {
			continue
		}
		// The rule: decode full, prefill not over 100% nor under
		// BalancedUse, and no smaller d balances.
		if dUse != 1 || use > 1 || use < BalancedUse-1e-9 || float64(p) < tc.ratio*float64(d)-1e-9 {
			t.Errorf("%g: %d:%d uses prefill %g, decode %g", tc.ratio, p, d, use, dUse)
		}
		for dd := 1; dd < d; dd++ {
			pp := math.Ceil(tc.ratio*float64(dd) - 1e-9)
			if tc.ratio*float64(dd)/pp >= BalancedUse-1e-9 {
				t.Errorf("%g: %v:%d balances before %d:%d", tc.ratio, pp, dd, p, d)
			}
		}
	}
}
