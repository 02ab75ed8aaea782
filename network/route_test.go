package network

import (
	"slices"
	"testing"

	"github.com/cardsea/cardsea/topology"
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

// TestBackwardMatchesCount: routes found by walking the shortest-path
// DAG back from the destination (Fabric.backward) equal, to the bit,
// those found with the full count from the destination they replace, on
// every kind of fabric the presets build (switched, Clos, torus, rails
// on leaf/spine and three tiers, a degraded one), for pairs near and
// far, in the order an alltoall asks for them.
func TestBackwardMatchesCount(t *testing.T) {
	defer func(on bool) { dagBackward = on }(dagBackward)
	cases := []struct {
		name    string
		domains int
		fail    []string
	}{
		{"hgx-h100", 4, nil},
		{"hgx-h100", 4, []string{"link:d0.acc0-d0.sw0"}},
		{"gb200-nvl72", 2, nil},
		{"cm384", 1, nil},
		{"tpu-v5p-cube", 0, nil},
		{"nvl36x2", 4, nil},
		{"trn2-ultraserver", 2, nil},
		{"hgx-h100", 300, nil},
	}
	for _, c := range cases {
		top, err := topology.Load(c.name, c.domains)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.fail) > 0 {
			fs, err := topology.ParseFaults(c.fail)
			if err != nil {
				t.Fatal(err)
			}
			if top, err = top.WithFaults(fs); err != nil {
				t.Fatal(err)
			}
		}
		dies := top.LiveDies()
		var routes [2][]*route
		for k, on := range []bool{true, false} {
			dagBackward = on
			f := NewFabric(top)
			for _, s := range []int{0, 1, len(dies) / 2, len(dies) - 1} {
				for j := 0; j < len(dies); j += 1 + len(dies)/200 {
					if j == s {
						continue
					}
					r, err := f.route(f.Vertex(dies[s]), f.Vertex(dies[j]))
					if err != nil {
						t.Fatalf("%s: %v", c.name, err)
					}
					routes[k] = append(routes[k], r)
				}
			}
		}
		for i, a := range routes[0] {
			b := routes[1][i]
			if a.hops != b.hops || a.latency != b.latency || len(a.shares) != len(b.shares) {
				t.Fatalf("%s route %d: hops %d/%d latency %g/%g shares %d/%d", c.name, i, a.hops, b.hops, a.latency, b.latency, len(a.shares), len(b.shares))
			}
			for k := range a.shares {
				if a.shares[k] != b.shares[k] {
					t.Fatalf("%s route %d share %d: %+v, want %+v", c.name, i, k, a.shares[k], b.shares[k])
				}
			}
		}
	}
}
