package llm_test

import (
	"fmt"

	"github.com/cardsea/cardsea/llm"
)

// Load a model from the zoo and read what serving it costs.
func ExampleLoad() {
	m, err := llm.Load("deepseek-v3")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: %.0fB params, %.1fB active per token\n", m.Title, m.TotalParams()/1e9, m.ActiveParams()/1e9)
	fmt.Printf("KV cache: %.0f bytes per token in BF16\n", m.KVBytesPerToken(llm.BytesBF16))
	fmt.Printf("weights: %.0f GB in FP8\n", m.WeightBytes(llm.BytesFP8)/1e9)
	f := m.FLOPsPerToken(4096)
	fmt.Printf("at 4K context: %.1f GFLOP per token, %.0f%% in routed experts\n", f.Total()/1e9, 100*f.ExpertGEMM/f.Total())
	// Output:
	// DeepSeek-V3 (671B MoE, MLA, 37B active): 671B params, 36.6B active per token
	// KV cache: 70272 bytes per token in BF16
	// weights: 671 GB in FP8
	// at 4K context: 93.7 GFLOP per token, 44% in routed experts
}
