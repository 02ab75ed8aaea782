package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestModelsGolden(t *testing.T) {
	checkGoldenRuns(t, "", []goldenRun{
		{"models/list.txt", []string{"models", "list"}},
		{"models/list.csv", []string{"models", "list", "--format", "csv"}},
		{"models/show-deepseek-r1.txt", []string{"models", "show", "deepseek-r1"}},
		{"models/show-deepseek-r1.json", []string{"models", "show", "deepseek-r1", "--format", "json"}},
		{"models/show-llama-gpt-oss.md", []string{"models", "show", "llama-3.1-70b", "gpt-oss-120b", "--context", "32768", "-f", "markdown"}},
	})
}

// TestModelsJSON checks the machine-readable names and a few figures users
// script against.
func TestModelsJSON(t *testing.T) {
	out, _, code := run("models", "show", "deepseek-r1", "--format", "json")
	if code != 0 {
		t.Fatal(code)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatal(err)
	}
	get := func(path string) float64 {
		var v any = rec
		for _, k := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s: not an object at %q", path, k)
			}
			v = m[k]
		}
		f, ok := v.(float64)
		if !ok {
			t.Fatalf("%s = %v, not a number", path, v)
		}
		return f
	}
	if got := get("kv_bytes_per_token.bf16"); got != 70272 {
		t.Errorf("kv_bytes_per_token.bf16 = %v, want 70272", got)
	}
	if got := get("params.total"); got < 660e9 || got > 680e9 {
		t.Errorf("params.total = %v", got)
	}
	for _, k := range []string{"params.active", "weight_bytes.fp8", "weight_bytes.fp4", "flops_per_token.total",
		"flops_per_token.expert_gemm", "attention.kv_lora_rank", "moe.routed_experts", "layers"} {
		get(k)
	}
	if get("flops_per_token.context_tokens") != 4096 {
		t.Error("default context is not 4096")
	}

	out, _, code = run("models", "list", "--format", "json")
	if code != 0 {
		t.Fatal(code)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 9 || list[0]["total_params"] == nil || list[0]["active_params"] == nil {
		t.Errorf("list: %v", list)
	}
}

// A user's model file shows like a zoo model.
func TestModelsShowFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.yaml")
	err := os.WriteFile(path, []byte(`name: tiny
layers: 2            # assumption: test
hidden: 64           # assumption: test
vocab: 1000          # assumption: test
max_context: 2048    # assumption: test
attention: {kind: mha, heads: 4}
ffn: {intermediate: 256, activation: gelu}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	out, errs, code := run("models", "show", path, "-f", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// 2 layers x (4 x 64 x 64 attention + 2 x 64 x 256 FFN + 128 norms)
	// + 64 final norm + 2 x 1000 x 64 embedding and head = 226,624.
	if !strings.Contains(out, "tiny,tiny,2,") || !strings.Contains(out, ",226624,") {
		t.Errorf("csv:\n%s", out)
	}
}

func TestModelsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", []string{"models"}, 2, "list or show"},
		{"bad subcommand", []string{"models", "lsit"}, 2, `unknown subcommand "lsit"`},
		{"no name", []string{"models", "show"}, 2, "needs a model name"},
		{"unknown", []string{"models", "show", "deepseek-v4"}, 1, `did you mean "deepseek-v3"?`},
		{"missing file", []string{"models", "show", "nope.yaml"}, 1, "cannot read model file"},
		{"bad format", []string{"models", "list", "--format", "xml"}, 2, `unknown format "xml"`},
		{"list args", []string{"models", "list", "llama"}, 2, "takes no arguments"},
		{"context", []string{"models", "show", "qwen3-32b", "--context", "0"}, 2, "want 1 or more"},
		{"bad flag", []string{"models", "show", "qwen3-32b", "--ctx", "3"}, 2, "unknown flag: --ctx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := run(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if !strings.Contains(errs, tc.want) {
				t.Errorf("stderr %q, want it to contain %q", errs, tc.want)
			}
			if out != "" {
				t.Errorf("stdout not empty on error: %q", out)
			}
		})
	}
}

func TestModelsHelp(t *testing.T) {
	for _, args := range [][]string{{"help", "models"}, {"models", "--help"}, {"models", "show", "--help"}, {"models", "list", "-h"}} {
		errs, _, code := run(args...) // help goes to stdout
		if code != 0 || !strings.Contains(errs, "Usage:") || !strings.Contains(errs, "cardsea models show") {
			t.Errorf("%v: exit %d, help %q", args, code, errs)
		}
	}
}
