package compute_test

import (
	"fmt"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/topology"
)

// Time a DeepSeek-style decode projection (96 tokens x 7168 -> 2048, W8A8)
// on one die of an Ascend 910C. The chip has no FP8, so an FP8 model runs
// in INT8 only through an explicit mapping.
func ExampleTime() {
	f, _, err := topology.PresetFile("cm384")
	if err != nil {
		panic(err)
	}
	cs, err := f.Spec("cm384", 0)
	if err != nil {
		panic(err)
	}
	die := compute.PerDie(cs.Domain.Accel)

	_, err = compute.Resolve(&die, topology.FP8, nil)
	fmt.Println(err)
	dt, _ := compute.Resolve(&die, topology.FP8, compute.DtypeMap{topology.FP8: topology.INT8})

	m, n, k := 96.0, 2048.0, 7168.0
	op := compute.Op{Class: compute.GEMM, FLOPs: 2 * m * n * k, Bytes: k*n + m*k + 2*m*n, Dtype: dt}
	s, bound, err := compute.Time(&die, op)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: %.1f us, %s-bound\n", die.Name, s*1e6, bound)
	// Output:
	// Ascend 910C (one of 2 dies) has no fp8 (it has bf16, fp16, int8); map it explicitly, e.g. fp8=int8
	// Ascend 910C (one of 2 dies): 15.7 us, memory-bound
}
