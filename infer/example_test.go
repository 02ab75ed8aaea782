package infer_test

import (
	"fmt"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/topology"
)

// Prefill on one HGX H100 box, decode on another, the KV cache crossing
// the InfiniBand scale-out network between them.
func ExampleEngine_RunDisagg() {
	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		panic(err)
	}
	m, err := llm.Load("llama-3.1-70b")
	if err != nil {
		panic(err)
	}
	p := compute.Precision{Weights: topology.FP8, Activations: topology.BF16, KVCache: topology.FP8}
	r, err := infer.NewEngine(top).RunDisagg(infer.Disagg{
		Prefill:   infer.Config{Model: m, Accelerators: 8, Batch: 1, InputLen: 4096, TP: 8, Precision: p},
		Decode:    infer.Config{Model: m, Accelerators: 8, FirstAccelerator: 8, Batch: 32, TP: 8, Precision: p},
		OutputLen: 1024,
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("KV per request %.0f MB, per prefill batch %.2f GB in %.1f ms\n", r.KVBytesPerRequest/1e6, r.KVTransferBytes/1e9, r.KVTransferS*1e3)
	fmt.Printf("TTFT %.0f ms (prefill %.0f ms), TPOT %.1f ms\n", r.TTFTS*1e3, r.Prefill.TTFTS*1e3, r.TPOTS*1e3)
	fmt.Printf("%.2f prefill boxes per decode box: deploy %d:%d (prefill %.0f%% used), %.0f output tokens/s per GPU\n",
		r.PrefillPerDecode, r.PrefillInstances, r.DecodeInstances, r.PrefillUse*100, r.TokensPerSPerAccel)
	// Output:
	// KV per request 671 MB, per prefill batch 5.37 GB in 14.6 ms
	// TTFT 916 ms (prefill 902 ms), TPOT 26.2 ms
	// 1.08 prefill boxes per decode box: deploy 7:6 (prefill 92% used), 564 output tokens/s per GPU
}
