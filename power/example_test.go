package power_test

import (
	"fmt"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/topology"
)

// How much of its dynamic power range an H100 draws for a compute-bound
// prefill GEMM and for a memory-bound decode GEMM (the same weights, 4096
// tokens against 8), and what a step mixing them averages.
func ExampleLoadFactor() {
	top, err := topology.Load("hgx-h100", 0)
	if err != nil {
		panic(err)
	}
	gpu := top.Accels[0].Spec
	weights := 8192.0 * 8192
	var meter power.LoadMeter
	for _, tokens := range []float64{4096, 8} {
		op := compute.Op{Class: compute.GEMM, FLOPs: 2 * tokens * weights, Bytes: weights + 4*tokens*8192, Dtype: topology.FP8}
		t, err := compute.Roofline(gpu, op)
		if err != nil {
			panic(err)
		}
		meter.Add(gpu, t.ComputeS, t.MemoryS, t.LaunchS, 1)
		fmt.Printf("%4.0f tokens: %s-bound, load %.2f\n", tokens, t.Bound(), power.LoadFactor(gpu, t.ComputeS, t.MemoryS))
	}
	fmt.Printf("memory share %.2f, mean load over both %.2f\n", power.MemoryShare(gpu), meter.Load())
	// Output:
	// 4096 tokens: compute-bound, load 1.00
	//    8 tokens: memory-bound, load 0.39
	// memory share 0.36, mean load over both 0.95
}
