package llm

import (
	"strings"
	"testing"
)

// FuzzParse checks that no model file makes the parser (or the arithmetic
// on what it accepts) panic, and that every error names the file.
func FuzzParse(f *testing.F) {
	for _, name := range Names() {
		src, err := Source(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	for _, s := range []string{
		"",
		"name: x\n",
		"name: x\nlayers: 1\nhidden: 1\nvocab: 1\nmax_context: 1\nattention: {kind: mla, heads: 1, kv_lora_rank: 1, qk_rope_head_dim: 1, qk_nope_head_dim: 1, v_head_dim: 1}\nffn: {intermediate: 1, activation: gelu}\n",
		"attention: {kind: gqa, heads: 0, kv_heads: 0}\n",
		"moe: {routed_experts: 0, top_k: 0}\n",
		"attention: {layer_pattern: []}\n",
		"layers: 99999999999999999999\n",
		"published: {total_params: 1e400}\n",
		"[[[",
	} {
		f.Add([]byte(s))
	}
	const file = "fuzz.yaml"
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(file, data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), file) {
				t.Fatalf("error %q does not name %s", err, file)
			}
			if m != nil {
				t.Fatal("model with error")
			}
			return
		}
		_ = m.TotalParams() + m.ActiveParams() + m.MTPParams() + m.KVBytesPerToken(BytesBF16) +
			m.KVBytes(4096, BytesFP8) + m.FLOPsPerToken(4096).Total() + m.FLOPsPerTokenAbsorbed(4096).Total() +
			m.LayerWeightBytes(m.Layers-1, BytesFP4)
	})
}
