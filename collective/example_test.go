package collective_test

import (
	"fmt"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// DeepSeek-V3's routing picks a token's 8 experts from its top 4 of 8
// groups of 32, so a token reaches fewer expert-parallel ranks and nodes
// than uniform routing would. With DomainDedup a dispatch over two HGX
// H100 nodes sends each token over InfiniBand once per node and forwards
// it over NVLink, as DeepEP's normal kernels do.
func ExampleMoE_Hit() {
	grouped := collective.MoE{TokensPerRank: 4096, Hidden: 7168, TopK: 8, Experts: 256,
		DispatchBytesPerToken: 7392, CombineBytesPerToken: 14336, Groups: 8, TopKGroups: 4}
	uniform := grouped
	uniform.Groups, uniform.TopKGroups = 0, 0
	fmt.Printf("a rank of 16 (16 experts): %.3f grouped, %.3f uniform\n", grouped.Hit(0, 16), uniform.Hit(0, 16))
	fmt.Printf("a node of 2 (128 experts): %.3f grouped, %.3f uniform\n", grouped.Hit(0, 128), uniform.Hit(0, 128))

	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		panic(err)
	}
	g, err := collective.NewGroup(network.NewFabric(top), collective.Placement{Ranks: 16})
	if err != nil {
		panic(err)
	}
	grouped.DomainDedup = true
	stages, err := grouped.Stages(g, false)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d stages; rank 0 sends rank 8 (the other node) %.1f MB, rank 1 (its node) %.1f MB\n",
		len(stages), stages[0][0][8]/1e6, stages[1][0][1]/1e6)
	// Output:
	// a rank of 16 (16 experts): 0.334 grouped, 0.408 uniform
	// a node of 2 (128 experts): 0.963 grouped, 0.997 uniform
	// 2 stages; rank 0 sends rank 8 (the other node) 29.2 MB, rank 1 (its node) 20.2 MB
}
