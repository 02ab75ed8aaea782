package collective

import (
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// TestHierPipelined: across two HGX H100 nodes a 1 GiB allreduce by hier
// pipelines its levels, so NVLink and the eight 400G rails work at once:
// busbw lands near what NCCL's maintainers expect of a rail-optimised
// ring, 46-48 GB/s per NIC x 8 (NVIDIA/nccl-tests issue 290), instead of
// the sum of the three levels (about 250 GB/s when they ran in turn).
func TestHierPipelined(t *testing.T) {
	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		t.Fatal(err)
	}
	r, err := runTuned(group(t, network.NewFabric(top), 16), AllReduce, Hier, 1<<30, Options{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if lo, hi := 0.9*8*46e9, 1.1*8*48e9; r.BusBW < lo || r.BusBW > hi {
		t.Errorf("hier 1 GiB over 2 x 8 H100: busbw %.1f GB/s, want %.0f to %.0f", r.BusBW/1e9, lo/1e9, hi/1e9)
	}
}
