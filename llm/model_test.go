package llm

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func load(t *testing.T, name string) *Model {
	t.Helper()
	m, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func within(got, want, tol float64) bool { return math.Abs(got-want) <= tol*want }

func TestZooNames(t *testing.T) {
	want := []string{"deepseek-r1", "deepseek-v3", "gpt-oss-120b", "llama-2-70b", "llama-3.1-405b",
		"llama-3.1-70b", "llama-3.1-8b", "qwen3-235b-a22b", "qwen3-32b"}
	if got := strings.Join(Names(), " "); got != strings.Join(want, " ") {
		t.Errorf("Names() = %s", got)
	}
}

// TestZooSources checks that every figure of every zoo file names its
// source and that the file's name matches its own name field.
func TestZooSources(t *testing.T) {
	for _, name := range Names() {
		m := load(t, name)
		if m.Name != name {
			t.Errorf("%s: name field is %q", name, m.Name)
		}
		if len(m.Sources) < 8 {
			t.Errorf("%s: only %d figures", name, len(m.Sources))
		}
		for _, s := range m.Sources {
			if s.Source == "" {
				t.Errorf("%s:%d: %s = %s has no source comment", m.File, s.Line, s.Field, s.Value)
			}
		}
	}
}

// TestParams checks the counts computed from each config against the
// published ones: total within 3%, active within 5%.
func TestParams(t *testing.T) {
	for _, name := range Names() {
		m := load(t, name)
		total, active := m.TotalParams(), m.ActiveParams()
		t.Logf("%-16s total %8.2fB (published %6.2fB)  active %7.2fB (published %6.2fB)",
			name, total/1e9, m.Published.TotalParams/1e9, active/1e9, m.Published.ActiveParams/1e9)
		if m.Published.TotalParams == 0 {
			t.Errorf("%s: no published total", name)
		} else if !within(total, m.Published.TotalParams, 0.03) {
			t.Errorf("%s: total %.3gB, published %.3gB", name, total/1e9, m.Published.TotalParams/1e9)
		}
		// A dense model uses every parameter but the embedding lookup
		// (which, when tied, it uses again as the output head).
		want := total - m.Params().Embedding
		if m.TiedEmbeddings {
			want = total
		}
		if m.MoE == nil && active != want {
			t.Errorf("%s: dense model's active %v, want %v", name, active, want)
		}
		if m.Published.ActiveParams > 0 && !within(active, m.Published.ActiveParams, 0.05) {
			t.Errorf("%s: active %.3gB, published %.3gB", name, active/1e9, m.Published.ActiveParams/1e9)
		}
		if m.MoE != nil && m.Published.ActiveParams == 0 {
			t.Errorf("%s: MoE model with no published active count", name)
		}
	}
}

// DeepSeek-V3's 671B is the main model; Hugging Face's 685B adds the MTP
// module and its stored copies of the embedding and output head.
func TestDeepSeekMTP(t *testing.T) {
	for _, name := range []string{"deepseek-v3", "deepseek-r1"} {
		m := load(t, name)
		p := m.Params()
		withMTP := p.Total() + p.MTP + p.Embedding + p.LMHead
		if !within(withMTP, m.Published.TotalParamsWithMTP, 0.03) {
			t.Errorf("%s: with MTP %.4gB, published %.4gB", name, withMTP/1e9, m.Published.TotalParamsWithMTP/1e9)
		}
		// README_WEIGHTS.md: 11.5B unique MTP parameters.
		if !within(p.MTP, 11.5e9, 0.03) {
			t.Errorf("%s: MTP %.4gB, want about 11.5B", name, p.MTP/1e9)
		}
		// README_WEIGHTS.md: 36.6B activated incl. 0.9B output head.
		if !within(m.ActiveParams(), 36.6e9, 0.02) {
			t.Errorf("%s: active %.4gB, want about 36.6B", name, m.ActiveParams()/1e9)
		}
		if m.MoELayers() != 58 || m.DenseLayers != 3 {
			t.Errorf("%s: %d MoE + %d dense layers", name, m.MoELayers(), m.DenseLayers)
		}
	}
}

func TestKVBytesPerToken(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bytes float64
		want  float64
	}{
		{"deepseek-v3", BytesBF16, 61 * (512 + 64) * 2},    // 70,272
		{"llama-3.1-70b", BytesBF16, 80 * 2 * 8 * 128 * 2}, // 327,680
		{"llama-3.1-70b", BytesFP8, 80 * 2 * 8 * 128},
		{"llama-3.1-8b", BytesBF16, 32 * 2 * 8 * 128 * 2},
		{"qwen3-235b-a22b", BytesBF16, 94 * 2 * 4 * 128 * 2},
		{"gpt-oss-120b", BytesBF16, 18 * 2 * 8 * 64 * 2}, // full-attention layers only
	} {
		if got := load(t, tc.name).KVBytesPerToken(tc.bytes); got != tc.want {
			t.Errorf("%s: KV %v B/token, want %v", tc.name, got, tc.want)
		}
	}
	g := load(t, "gpt-oss-120b")
	// 8K context: 18 full layers hold 8192 tokens, 18 sliding layers 128.
	if got, want := g.KVBytes(8192, BytesBF16), float64(18*8192+18*128)*2*8*64*2; got != want {
		t.Errorf("gpt-oss KVBytes(8192) = %v, want %v", got, want)
	}
	d := load(t, "deepseek-v3")
	if got := d.KVBytes(1000, BytesBF16); got != 1000*d.KVBytesPerToken(BytesBF16) {
		t.Errorf("deepseek KVBytes(1000) = %v", got)
	}
}

func TestFLOPs(t *testing.T) {
	// A dense model's GEMM FLOPs per token are twice its active matrix
	// parameters (the usual 2N), and attention is 4 x layers x heads x
	// head_dim x context.
	m := load(t, "llama-3.1-70b")
	f := m.FLOPsPerToken(4096)
	p := m.Params()
	if want := 2 * (p.Total() - p.Embedding - p.Norms); !within(f.DenseGEMM, want, 1e-12) {
		t.Errorf("dense GEMM %v, want %v", f.DenseGEMM, want)
	}
	if f.ExpertGEMM != 0 {
		t.Errorf("dense model has expert FLOPs %v", f.ExpertGEMM)
	}
	if want := 4.0 * 80 * 64 * 128 * 4096; f.Attention() != want {
		t.Errorf("attention %v, want %v", f.Attention(), want)
	}
	if f.Total() != f.DenseGEMM+f.Attention() {
		t.Error("Total")
	}

	// DeepSeek-V3: GEMMs are about 2 x 37B per token; attention grows
	// linearly with context; absorbed MLA attends over the 576-wide latent.
	d := load(t, "deepseek-v3")
	f1, f2 := d.FLOPsPerToken(1024), d.FLOPsPerToken(2048)
	if gemm := f1.DenseGEMM + f1.ExpertGEMM; !within(gemm, 2*d.ActiveParams(), 0.01) {
		t.Errorf("GEMM %.4g, want about 2 x active %.4g", gemm, 2*d.ActiveParams())
	}
	if f2.Attention() != 2*f1.Attention() || f2.DenseGEMM != f1.DenseGEMM {
		t.Errorf("attention does not scale with context: %v %v", f1, f2)
	}
	if want := 61.0 * 2 * 128 * 192 * 1024; f1.AttentionScores != want {
		t.Errorf("scores %v, want %v", f1.AttentionScores, want)
	}
	a := d.FLOPsPerTokenAbsorbed(1024)
	if want := 61.0 * 2 * 128 * (576 + 512) * 1024; a.Attention() != want || a.DenseGEMM != f1.DenseGEMM {
		t.Errorf("absorbed attention %v, want %v", a.Attention(), want)
	}
	if want := 58.0 * 2 * 8 * 3 * 7168 * 2048; f1.ExpertGEMM != want {
		t.Errorf("expert GEMM %v, want %v", f1.ExpertGEMM, want)
	}

	// gpt-oss: sliding layers stop at 128 tokens.
	g := load(t, "gpt-oss-120b")
	if want := 4.0 * 64 * 64 * (18*4096 + 18*128); g.FLOPsPerToken(4096).Attention() != want {
		t.Errorf("gpt-oss attention %v, want %v", g.FLOPsPerToken(4096).Attention(), want)
	}
}

func TestWeightBytes(t *testing.T) {
	d := load(t, "deepseek-v3")
	if d.WeightBytes(BytesFP8) != d.TotalParams() || d.WeightBytes(BytesBF16) != 2*d.TotalParams() {
		t.Error("WeightBytes")
	}
	var sum float64
	for i := range d.Layers {
		sum += d.LayerWeightBytes(i, BytesBF16)
	}
	p := d.Params()
	if want := 2 * (p.Total() - p.Embedding - p.LMHead - float64(d.Hidden)); !within(sum, want, 1e-12) {
		t.Errorf("layer bytes sum %v, want %v", sum, want)
	}
	if dense, moe := d.LayerWeightBytes(0, BytesFP8), d.LayerWeightBytes(3, BytesFP8); dense > 1e9 || moe < 11e9 {
		t.Errorf("dense layer %v B, MoE layer %v B", dense, moe)
	}
}

func TestLoadErrors(t *testing.T) {
	_, err := Load("deepseek-v4")
	if err == nil || !strings.Contains(err.Error(), `did you mean "deepseek-v3"?`) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := Load("llama-3.1"); err == nil || !strings.Contains(err.Error(), "did you mean") {
		t.Errorf("prefix: %v", err)
	}
	if _, err := Load("nope.yaml"); err == nil || !strings.Contains(err.Error(), "cannot read model file") {
		t.Errorf("missing file: %v", err)
	}
}

// A user's file in the same form loads by path.
func TestLoadFile(t *testing.T) {
	src, err := Source("llama-3.1-8b")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mine.yaml")
	text := strings.Replace(string(src), "name: llama-3.1-8b", "name: mine", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "mine" || m.File != path || m.TotalParams() != load(t, "llama-3.1-8b").TotalParams() {
		t.Errorf("%+v", m)
	}
}

func TestParseErrors(t *testing.T) {
	base := `name: m
layers: 4
hidden: 64
vocab: 100
max_context: 1024
attention: {kind: gqa, heads: 4, kv_heads: 2}
ffn: {intermediate: 128, activation: swiglu}
`
	if m, err := Parse("ok.yaml", []byte(base)); err != nil {
		t.Fatal(err)
	} else if m.Attention.HeadDim != 16 || m.DenseLayers != 4 {
		t.Errorf("defaults: head_dim %d, dense layers %d", m.Attention.HeadDim, m.DenseLayers)
	}
	for _, tc := range []struct{ name, edit, want string }{
		{"typo", "hiden: 64\n", "did you mean `hidden`?"},
		{"kind", "attention: {kind: mqa, heads: 4}\n", `unknown attention kind "mqa"`},
		{"kv groups", "attention: {kind: gqa, heads: 4, kv_heads: 3}\n", "do not divide"},
		{"mla field on gqa", "attention: {kind: gqa, heads: 4, kv_heads: 2, kv_lora_rank: 8}\n", "does not apply to gqa"},
		{"mla missing", "attention: {kind: mla, heads: 4}\n", "kv_lora_rank`: missing"},
		{"mha kv", "attention: {kind: mha, heads: 4, kv_heads: 2}\n", "use kind: gqa"},
		{"window", "attention: {kind: gqa, heads: 4, kv_heads: 2, layer_pattern: [sliding, full]}\n", "no window"},
		{"pattern", "attention: {kind: gqa, heads: 4, kv_heads: 2, sliding_window: 8, layer_pattern: [local]}\n", `unknown layer type "local"`},
		{"activation", "ffn: {intermediate: 128, activation: tanh}\n", `unknown activation "tanh"`},
		{"top_k", "moe: {routed_experts: 4, top_k: 8, expert_intermediate: 32}\n", "top-8 of 4"},
		{"dense without moe", "dense_layers: 2\n", "every layer dense"},
		{"all dense moe", "dense_layers: 4\nmoe: {routed_experts: 4, top_k: 2, expert_intermediate: 32}\n", "leave no MoE layer"},
		{"count", "published: {total_params: lots}\n", "total_params"},
		{"negative", "layers: -1\n", "out of range"},
		{"zero heads", "attention: {kind: gqa, heads: 0, kv_heads: 0}\n", "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The edit replaces the line (or mapping) with the same key.
			key := tc.edit[:strings.Index(tc.edit, ":")+1]
			var lines []string
			for _, l := range strings.Split(strings.TrimSuffix(base, "\n"), "\n") {
				if !strings.HasPrefix(l, key) {
					lines = append(lines, l)
				}
			}
			text := strings.Join(lines, "\n") + "\n" + tc.edit
			if key == "moe:" || key == "dense_layers:" || key == "published:" {
				text = strings.Replace(text, "ffn: {intermediate: 128, activation: swiglu}", "ffn: {intermediate: 128, activation: swiglu}", 1)
			}
			_, err := Parse("bad.yaml", []byte(text))
			if err == nil {
				t.Fatalf("no error for\n%s", text)
			}
			if !strings.HasPrefix(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to name bad.yaml and contain %q", err, tc.want)
			}
		})
	}
}
