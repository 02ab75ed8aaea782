package train_test

import (
	"fmt"

	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/train"
)

// One step of LoRA fine-tuning of Llama 2 70B on a DGX H100, as NVIDIA ran
// MLPerf Training v4.0 on one node.
func Example() {
	top, _ := topology.Load("hgx-h100", 0)
	m, _ := llm.Load("llama-2-70b")
	r, err := train.NewEngine(top).Run(train.Config{Model: m, TP: 4, GlobalBatch: 8, SeqLen: 8192,
		Dtype: topology.FP8, LoRARank: 16, TPOverlap: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("DP %d, %d micro-batches, step %.2f s, %.1f kW per node\n", r.DP, r.MicroBatches, r.StepS, r.NodeW/1e3)
	// Output: DP 2, 4 micro-batches, step 2.12 s, 7.6 kW per node
}
