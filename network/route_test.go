package network

import (
	"slices"
	"testing"
)

// TestCutShortCountsGiveSameRoutes: a route computed from cut-short path
// counts (a vertex's first routes) equals the route from full counts.
func TestCutShortCountsGiveSameRoutes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		domains int
	}{{"hgx-h100", 4}, {"tpu-v5p-cube", 0}, {"cm384", 0}, {"nvl36x2", 4}} {
		cut := load(t, tc.name, tc.domains)
		full := load(t, tc.name, tc.domains)
		full.fromWork, full.toWork = make([]int32, full.Vertices()), make([]int32, full.Vertices())
		for v := range full.fromWork {
			full.fromWork[v], full.toWork[v] = int32(full.Vertices()), int32(full.Vertices()) // always count in full
		}
		dies := cut.Topo.Dies()
		for i := range dies {
			for _, j := range []int{(i + 1) % len(dies), (i*13 + 5) % len(dies), len(dies) - 1 - i} {
				src, dst := cut.Vertex(dies[i]), cut.Vertex(dies[j])
				a, errA := cut.route(src, dst)
				b, errB := full.route(src, dst)
				if errA != nil || errB != nil {
					t.Fatalf("%s: %v, %v", tc.name, errA, errB)
				}
				if a.latency != b.latency || a.delay != b.delay || a.hops != b.hops || !slices.Equal(a.shares, b.shares) {
					t.Fatalf("%s die %d -> %d: cut-short %+v, full %+v", tc.name, i, j, a, b)
				}
			}
		}
	}
}
