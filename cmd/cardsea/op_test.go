package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/compute/kernels"
	"github.com/cardsea/cardsea/topology"
)

func TestOpGolden(t *testing.T) {
	gemm := []string{"op", "--topo", "hgx-h200", "--kind", "gemm", "--m", "128", "--n", "7168", "--k", "2048", "--dtype", "fp8"}
	checkGoldenRuns(t, "op", []goldenRun{
		{"gemm-h200-fp8.txt", gemm},
		{"gemm-h200-fp8.json", append(append([]string{}, gemm...), "--format", "json")},
		{"attention-h200-decode.txt", []string{"op", "--topo", "hgx-h200", "--kind", "attention", "--phase", "decode",
			"--batch", "64", "--kv-len", "4096", "--heads", "64", "--kv-heads", "8", "--head-dim", "128"}},
		{"mla-b200-decode.md", []string{"op", "--topo", "hgx-b200", "--kind", "mla", "--batch", "128", "--kv-len", "8192",
			"--heads", "16", "--kv-dtype", "fp8", "--format", "markdown"}},
		{"moe-h200-sglang.csv", []string{"op", "--topo", "hgx-h200", "--kind", "moe", "--tokens", "4096", "--experts", "256",
			"--topk", "8", "--hidden", "7168", "--inter", "2048", "--ep", "8", "--dtype", "fp8_block", "--engine", "sglang", "--format", "csv"}},
		{"gemm-cm384-int8.txt", []string{"op", "--topo", "cm384", "--kind", "gemm", "--m", "128", "--n", "7168", "--k", "2048", "--dtype", "int8"}},
	})
}

// opJSON runs 'cardsea op ... --format json' and returns its record.
func opJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	out, errs, code := run(append(append([]string{"op"}, args...), "--format", "json")...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errs)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return rec
}

// TestOpFittedGEMM: the fitted time 'cardsea op' reports is the kernels
// package's own prediction for the shape, engine by engine, so the fits'
// tests (held-out error on the embedded sample) hold for what users read.
func TestOpFittedGEMM(t *testing.T) {
	for _, tc := range []struct {
		topo, system, engine, dtype string
		m, n, k                     int
	}{
		{"hgx-h200", "h200_sxm", "trtllm", "fp8", 128, 7168, 2048},
		{"hgx-h200", "h200_sxm", "sglang", "fp8", 128, 7168, 2048},
		{"hgx-h100", "h100_sxm", "trtllm", "bf16", 4096, 4096, 4096},
		{"hgx-b200", "b200_sxm", "trtllm", "nvfp4", 16, 2112, 7168},
		{"gb200-nvl72", "gb200", "sglang", "fp8_block", 8192, 576, 7168},
	} {
		rec := opJSON(t, "--topo", tc.topo, "--kind", "gemm", "--m", itoa(tc.m), "--n", itoa(tc.n), "--k", itoa(tc.k),
			"--dtype", tc.dtype, "--engine", tc.engine)
		g, ok := kernels.LookupEngine(tc.system, tc.engine, tc.dtype)
		if !ok {
			t.Fatalf("no fit %s %s %s", tc.system, tc.engine, tc.dtype)
		}
		want := g.Time(tc.m, tc.n, tc.k)
		if !near(rec["fitted_time_s"], want) || !near(rec["time_s"], want) {
			t.Errorf("%s %s %s: time_s %v, fitted_time_s %v; kernels predicts %v", tc.topo, tc.engine, tc.dtype, rec["time_s"], rec["fitted_time_s"], want)
		}
		o := opFlags{topo: tc.topo, kind: "gemm", engine: tc.engine, dtype: tc.dtype, m: tc.m, n: tc.n, k: tc.k}
		top, err := topology.Load(tc.topo, 1)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := o.predict(top); err != nil || !p.fitted || p.time() != want {
			t.Errorf("%s %s %s: predict %v, %v; kernels predicts %v exactly", tc.topo, tc.engine, tc.dtype, p, err, want)
		}
		if rec["source"] != g.Source || rec["engine"] != g.Engine {
			t.Errorf("%s: source %q engine %q, want %q %q", tc.topo, rec["source"], rec["engine"], g.Source, g.Engine)
		}
		if ho := rec["held_out"].(map[string]any); !near(ho["median"], g.CheckMedian) || !near(ho["p90"], g.CheckP90) {
			t.Errorf("%s: held_out %v, want median %v p90 %v", tc.topo, ho, g.CheckMedian, g.CheckP90)
		}
	}
}

// near says whether a JSON number is x as the writer prints it: to 12
// significant digits when the shortest exact form needs 16 or more.
func near(v any, x float64) bool {
	f, ok := v.(float64)
	return ok && math.Abs(f-x) <= 1e-11*math.Abs(x)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestOpFields: the record carries the roofline terms with SI units in
// their keys, consistently; an accelerator without tables says so and
// times the roofline.
func TestOpFields(t *testing.T) {
	rec := opJSON(t, "--topo", "hgx-h200", "--kind", "attention", "--batch", "64", "--kv-len", "4096", "--heads", "64", "--kv-heads", "8")
	for _, k := range []string{"time_s", "flops", "bytes", "compute_s", "memory_s", "launch_s", "roofline_time_s", "fitted_time_s", "efficiency", "source", "held_out"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if rec["phase"] != "decode" || rec["measured_table"] != true {
		t.Errorf("phase %v measured_table %v", rec["phase"], rec["measured_table"])
	}
	// Decode attention reads the KV cache once per KV head: 64 x 4096 x 8 x 128 x 2 (K, V) x 2 bytes, plus Q and O.
	if want := 64.0*4096*8*128*2*2 + 4*64*64*128; rec["bytes"] != want {
		t.Errorf("bytes %v, want %v", rec["bytes"], want)
	}
	for _, topo := range []string{"cm384", "mi355x-8", "tpu-v5p-cube", "trn2-ultraserver", "hgx-h800"} {
		rec := opJSON(t, "--topo", topo, "--kind", "gemm", "--m", "128", "--n", "7168", "--k", "2048")
		c, m, l := rec["compute_s"].(float64), rec["memory_s"].(float64), rec["launch_s"].(float64)
		if rec["measured_table"] != false || rec["fitted_time_s"] != nil || !near(rec["time_s"], l+max(c, m)) || rec["time_s"] != rec["roofline_time_s"] {
			t.Errorf("%s: %v", topo, rec)
		}
		if src, _ := rec["source"].(string); !strings.HasPrefix(src, "roofline: ") || len(src) < 20 {
			t.Errorf("%s: source %q", topo, src)
		}
	}
	out, _, _ := run("op", "--topo", "mi355x-8", "--kind", "moe", "--tokens", "64", "--experts", "128", "--topk", "8", "--hidden", "4096", "--inter", "1536")
	if !strings.Contains(out, "No measured kernel table exists for MI355X") {
		t.Errorf("MI355X table does not say it has no measured table:\n%s", out)
	}
	// H100 has tables, but not for every operator: the note says which exist.
	out, _, _ = run("op", "--topo", "hgx-h100", "--kind", "moe", "--tokens", "64", "--experts", "128", "--topk", "8", "--hidden", "4096", "--inter", "1536", "--dtype", "nvfp4")
	if out != "" {
		t.Errorf("H100 nvfp4 ran: %s", out)
	}
	out, _, _ = run("op", "--topo", "hgx-b200", "--kind", "moe", "--tokens", "64", "--experts", "128", "--topk", "8", "--hidden", "4096", "--inter", "1536", "--dtype", "fp8")
	if !strings.Contains(strings.Join(strings.Fields(out), " "), "no fp8 fused-MoE table in b200_sxm under trtllm (it has w4a8_mxfp4_mxfp8)") {
		t.Errorf("B200 trtllm fp8 MoE does not say which tables exist:\n%s", out)
	}
}

func TestOpErrors(t *testing.T) {
	gemm := []string{"op", "--topo", "hgx-h200", "--kind", "gemm", "--m", "128", "--n", "7168", "--k", "2048"}
	with := func(extra ...string) []string { return append(append([]string{}, gemm...), extra...) }
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"op", "--kind", "gemm"}, 2, "op needs --topo and --kind"},
		{[]string{"op", "--topo", "hgx-h200", "--kind", "conv"}, 2, `--kind: unknown operator "conv" (want gemm, attention, mla, moe)`},
		{[]string{"op", "--topo", "hgx-h200", "--kind", "gemm", "--m", "128"}, 2, "(missing --n, --k)"},
		{[]string{"op", "--topo", "hgx-h200", "--kind", "attention", "--kv-len", "4096"}, 2, "(missing --heads)"},
		{[]string{"op", "--topo", "hgx-h200", "--kind", "moe", "--tokens", "64"}, 2, "(missing --experts, --topk, --hidden, --inter)"},
		{with("--dtype", "fp7"), 2, `--dtype: unknown dtype "fp7"`},
		{[]string{"op", "--topo", "cm384", "--kind", "gemm", "--m", "1", "--n", "1", "--k", "1", "--dtype", "fp8"}, 2, "--dtype fp8: Ascend 910C has no fp8 (it has bf16, fp16, int8); try --dtype int8"},
		{with("--dtype", "nvfp4"), 2, "H200 SXM has no fp4"},
		{with("--m", "0"), 2, "--m is 0; want 1 or more"},
		{with("--heads", "8"), 2, "--heads does not apply to --kind gemm"},
		{with("--engine", "vllm"), 2, `--engine: unknown engine "vllm"`},
		{with("--format", "xml"), 2, `unknown format "xml"`},
		{[]string{"op", "--topo", "hgx-h200", "--kind", "mla", "--kv-len", "64", "--engine", "sglang"}, 2, "TensorRT-LLM's kernels only"},
		{[]string{"op", "--topo", "hgx-h200", "--kind", "attention", "--phase", "prefill", "--kv-len", "64", "--heads", "8"}, 2, "--seq-len"},
		{[]string{"op", "--topo", "hgx-h200", "--kind", "attention", "--kv-len", "64", "--heads", "8", "--kv-heads", "3"}, 2, "--kv-heads 3 does not divide --heads 8"},
		{[]string{"op", "--topo", "hgx-h200", "--kind", "attention", "--kv-len", "64", "--heads", "8", "--kv-dtype", "fp4"}, 2, "--kv-dtype"},
		{[]string{"op", "--topo", "hgx-h200", "--kind", "moe", "--tokens", "4", "--experts", "8", "--topk", "2", "--hidden", "64", "--inter", "64", "--ep", "3"}, 2, "--ep 3 does not divide --experts 8"},
		{[]string{"op", "--topo", "hgx-h200", "--kind", "moe", "--tokens", "4", "--experts", "8", "--topk", "2", "--hidden", "64", "--inter", "64", "--distribution", "zipf"}, 2, "--distribution"},
		{[]string{"op", "--topo", "nope", "--kind", "gemm", "--m", "1", "--n", "1", "--k", "1"}, 1, `unknown topology "nope"`},
	} {
		out, errOut, code := run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d and %q", tc.args, code, errOut, out, tc.code, tc.want)
		}
	}
}

func TestOpHelp(t *testing.T) {
	out, _, code := run("op", "--help")
	if code != 0 || !strings.Contains(out, "Usage:") || !strings.Contains(out, "Examples:") || !strings.Contains(out, "--kind") {
		t.Errorf("exit %d, help %q", code, out)
	}
}
