package topology_test

import (
	"fmt"

	"github.com/cardsea/cardsea/topology"
)

// Load a preset and read the aggregates architects compare.
func ExampleLoad() {
	t, err := topology.Load("cm384", 0)
	if err != nil {
		panic(err)
	}
	s := topology.Summarize(t)
	fmt.Println(s.Accelerators, "NPUs,", s.Dies, "dies,", s.SwitchChips, "switch chips,", s.OpticalModules, "optical modules")
	fmt.Printf("BF16 %.0f PFLOP/s, HBM %.1f TB, %.0f GB/s scale-up per NPU\n",
		s.PeakFLOPS[topology.BF16]/1e15, s.HBMBytes/1e12, s.ScaleUpBytesPerSPerAccel/1e9)
	// Output:
	// 384 NPUs, 768 dies, 448 switch chips, 6912 optical modules
	// BF16 289 PFLOP/s, HBM 49.2 TB, 392 GB/s scale-up per NPU
}

// The ECMP set between two GPUs of an NVL72 is one path through each of
// the 18 NVLink switch chips.
func ExampleTopology_ShortestPaths() {
	t, err := topology.Load("gb200-nvl72", 0)
	if err != nil {
		panic(err)
	}
	paths := t.ShortestPaths(t.Accels[0].Dies[0], t.Accels[71].Dies[0], 0)
	first := paths[0]
	fmt.Println(len(paths), "paths of", len(first), "hops; capacity", t.PathCapacity(first)/1e9, "GB/s per direction")
	// Output: 18 paths of 2 hops; capacity 50 GB/s per direction
}

// Build a fabric directly from Go: 16 accelerators on a ring.
func ExampleBuild() {
	acc := &topology.AcceleratorSpec{Name: "chip", Dies: 1, MaxW: 300}
	t, err := topology.Build(topology.ClusterSpec{
		Name:    "ring16",
		Domains: 1,
		Domain: topology.DomainSpec{
			Accel: acc, Servers: 4, AccelsPerServer: 4,
			Fabric: &topology.RingFabric{Link: topology.LinkSpec{Class: "ring", LaneBytesPerS: 100e9, Optics: -1}},
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(t.Links), "links; bisection", t.Bisection()/1e9, "GB/s")
	// Output: 16 links; bisection 200 GB/s
}
