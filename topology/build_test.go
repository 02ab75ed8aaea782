package topology

import (
	"math"
	"strings"
	"testing"
)

func accel(dies int) *AcceleratorSpec {
	a := &AcceleratorSpec{Name: "acc", Dies: dies, HBMBytes: 1e9, HBMBytesPerS: 1e12, DieLinkBytesPerS: 100e9, MaxW: 500}
	a.PeakFLOPS[BF16] = 1e15
	return a
}

func link(class string, bw float64, m Medium) LinkSpec {
	return LinkSpec{Class: class, LaneBytesPerS: bw, Medium: m, Optics: -1}
}

func TestBuilders(t *testing.T) {
	sw := &SwitchSpec{Name: "sw", Ports: 0, PowerW: 100}
	tests := []struct {
		name        string
		domain      DomainSpec
		switches    int
		links       int // lanes
		scaleUp     float64
		bisection   float64
		pathsLen    int // hops between first and last accelerator
		pathsNumber int
	}{
		{
			name: "switched 18 planes (NVL72-like)",
			domain: DomainSpec{Accel: accel(1), Servers: 18, AccelsPerServer: 4,
				Fabric: &SwitchedFabric{Switch: sw, Planes: 18, Lanes: []int{1}, Link: link("a-s", 50e9, Copper)}},
			switches: 18, links: 72 * 18, scaleUp: 900e9, bisection: 36 * 900e9, pathsLen: 2, pathsNumber: 18,
		},
		{
			name: "switched uneven lanes (HGX H100-like)",
			domain: DomainSpec{Accel: accel(1), Servers: 1, AccelsPerServer: 8,
				Fabric: &SwitchedFabric{Switch: sw, Planes: 4, Lanes: []int{5, 4, 4, 5}, Link: link("a-s", 25e9, OnBoard)}},
			switches: 4, links: 8 * 18, scaleUp: 450e9, bisection: 4 * 450e9, pathsLen: 2, pathsNumber: 4,
		},
		{
			name: "switched two groups cross-linked (NVL36x2-like)",
			domain: DomainSpec{Accel: accel(1), Servers: 2, AccelsPerServer: 36,
				Fabric: &SwitchedFabric{Switch: sw, Planes: 18, Lanes: []int{1}, Link: link("a-s", 50e9, Copper),
					Groups: 2, CrossLanes: 36, CrossLink: link("s-s", 50e9, Copper)}},
			switches: 36, links: 72*18 + 18*36, scaleUp: 900e9, bisection: 36 * 900e9, pathsLen: 3, pathsNumber: 18,
		},
		{
			name: "clos2 with two dies (CM384-like, 4 servers)",
			domain: DomainSpec{Accel: accel(2), Servers: 4, AccelsPerServer: 8,
				Fabric: &Clos2Fabric{L1: sw, L1PerServer: 7, L2: sw, L2PerSubplane: 16,
					AccelLink: link("a-l1", 28e9, OnBoard), Uplink: link("l1-l2", 28e9, Optical)}},
			switches: 4*7 + 7*16, links: 32 + 4*8*2*7 + 4*7*16, scaleUp: 392e9, bisection: 16 * 392e9, pathsLen: 4, pathsNumber: 7 * 16,
		},
		{
			name: "mesh of 8",
			domain: DomainSpec{Accel: accel(1), Servers: 1, AccelsPerServer: 8,
				Fabric: &MeshFabric{Link: link("a-a", 76.8e9, OnBoard)}},
			links: 28, scaleUp: 7 * 76.8e9, bisection: 16 * 76.8e9, pathsLen: 1, pathsNumber: 1,
		},
		{
			name: "ring of 8",
			domain: DomainSpec{Accel: accel(1), Servers: 1, AccelsPerServer: 8,
				Fabric: &RingFabric{Link: link("a-a", 100e9, OnBoard)}},
			links: 8, scaleUp: 200e9, bisection: 200e9, pathsLen: 1, pathsNumber: 1,
		},
		{
			name: "torus 4x4x4",
			domain: DomainSpec{Accel: accel(1), Servers: 16, AccelsPerServer: 4,
				Fabric: &TorusFabric{Dims: []int{4, 4, 4}, Links: []LinkSpec{link("t", 100e9, Copper)}}},
			links: 3 * 64, scaleUp: 600e9, bisection: 2 * 16 * 100e9, pathsLen: 3, pathsNumber: 6,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			top, err := Build(ClusterSpec{Name: "x", Domain: tc.domain, Domains: 1})
			if err != nil {
				t.Fatal(err)
			}
			s := Summarize(top)
			if s.SwitchChips != tc.switches {
				t.Errorf("switch chips = %d, want %d", s.SwitchChips, tc.switches)
			}
			if s.Links != tc.links {
				t.Errorf("links = %d, want %d", s.Links, tc.links)
			}
			if !near(s.ScaleUpBytesPerSPerAccel, tc.scaleUp) {
				t.Errorf("scale-up = %g, want %g", s.ScaleUpBytesPerSPerAccel, tc.scaleUp)
			}
			if b := top.Bisection(); !near(b, tc.bisection) {
				t.Errorf("bisection = %g, want %g", b, tc.bisection)
			}
			first, last := top.Accels[0].Dies[0], top.Accels[len(top.Accels)-1].Dies[0]
			paths := top.ShortestPaths(first, last, 0)
			if len(paths) != tc.pathsNumber {
				t.Errorf("%d shortest paths, want %d", len(paths), tc.pathsNumber)
			}
			for _, p := range paths {
				if len(p) != tc.pathsLen {
					t.Fatalf("path of %d hops, want %d", len(p), tc.pathsLen)
				}
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

func TestScaleOutComposition(t *testing.T) {
	sw := &SwitchSpec{Name: "nvs", PowerW: 100}
	leaf := &SwitchSpec{Name: "ib", Ports: 64, PortBytesPerS: 50e9, PowerW: 1000}
	spec := ClusterSpec{
		Name: "x",
		Domain: DomainSpec{Accel: accel(1), Servers: 2, AccelsPerServer: 4, NICsPerAccel: 1,
			NIC:    &NICSpec{Name: "nic", Ports: 1, PortBytesPerS: 50e9, PowerW: 25, Optics: -1},
			Fabric: &SwitchedFabric{Switch: sw, Planes: 2, Lanes: []int{1}, Link: link("a-s", 100e9, Copper)}},
		Domains: 4,
		ScaleOut: &ScaleOutSpec{Leaf: leaf, Spine: leaf, LeafDownPorts: 4, Oversubscription: 1,
			NICLink: link("nic-leaf", 50e9, Optical), Uplink: link("leaf-spine", 50e9, Optical)},
	}
	top, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	// 4 rails x 8 NICs each = 2 leaves per rail; 32 uplinks over 1 spine.
	s := Summarize(top)
	if want := 4*2 + 8 + 1; s.SwitchChips != want {
		t.Errorf("switch chips = %d, want %d", s.SwitchChips, want)
	}
	if b := top.Bisection(); !near(b, 16*50e9) {
		t.Errorf("bisection = %g, want %g (NIC-bound)", b, 16*50e9)
	}
	// First accelerator of domain 0 to first of domain 3: die, NIC, leaf,
	// spine, leaf, NIC, die = 6 hops.
	p := top.ShortestPaths(top.Accels[0].Dies[0], top.Accels[24].Dies[0], 0)
	if len(p) == 0 || len(p[0]) != 6 {
		t.Fatalf("cross-domain paths %v, want 6 hops", p)
	}
	// 2:1 oversubscription halves the spine capacity.
	spec.ScaleOut.Oversubscription = 2
	top2, err := Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	if b := top2.Bisection(); !near(b, 8*50e9) {
		t.Errorf("2:1 bisection = %g, want %g", b, 8*50e9)
	}
}

// TestScaleOutThreeTier: more leaves than a spine has ports become a
// three-tier fat tree that joins every leaf at full bisection; past
// spinePorts pods the build is refused.
func TestScaleOutThreeTier(t *testing.T) {
	sw := &SwitchSpec{Name: "nvs", PowerW: 100}
	ib := &SwitchSpec{Name: "ib", Ports: 4, PortBytesPerS: 50e9, PowerW: 1000}
	spec := func(domains int) ClusterSpec {
		return ClusterSpec{
			Name: "x",
			Domain: DomainSpec{Accel: accel(1), Servers: 1, AccelsPerServer: 2, NICsPerAccel: 1,
				NIC:    &NICSpec{Name: "nic", Ports: 1, PortBytesPerS: 50e9, PowerW: 25, Optics: -1},
				Fabric: &SwitchedFabric{Switch: sw, Planes: 1, Lanes: []int{1}, Link: link("a-s", 100e9, Copper)}},
			Domains: domains,
			ScaleOut: &ScaleOutSpec{Leaf: ib, Spine: ib, LeafDownPorts: 2, Oversubscription: 1,
				NICLink: link("nic-leaf", 50e9, Optical), Uplink: link("leaf-spine", 50e9, Optical)},
		}
	}
	// 8 domains: 2 rails x 8 NICs = 8 leaves of 2 NICs and 2 uplinks,
	// more than a 4-port spine joins; pods of 2 leaves: 4 pods x 2 spines,
	// 2 planes of 8/4 = 2 super-spines.
	top, err := Build(spec(8))
	if err != nil {
		t.Fatal(err)
	}
	tiers := map[string]int{}
	for _, s := range top.Switches {
		tiers[s.Tier]++
	}
	if tiers["leaf"] != 8 || tiers["spine"] != 8 || tiers["superspine"] != 4 {
		t.Errorf("tiers %v, want 8 leaf, 8 spine, 4 superspine", tiers)
	}
	if b := top.Bisection(); !near(b, 8*50e9) {
		t.Errorf("bisection = %g, want %g (non-blocking, NIC-bound)", b, 8*50e9)
	}
	for _, j := range []int{1, 2, 5, 15} {
		if p := top.ShortestPaths(top.Accels[0].Dies[0], top.Accels[j].Dies[0], 0); len(p) == 0 {
			t.Errorf("no path from accelerator 0 to %d", j)
		}
	}
	// A 4-port spine joins 4 pods of 2 leaves: 9 domains need 10 leaves,
	// so each rail gets a three-tier plane of its own (5 leaves, 3 pods),
	// and traffic between rails crosses the scale-up fabric.
	top, err = Build(spec(9))
	if err != nil {
		t.Fatalf("9 domains: %v", err)
	}
	planes := map[string]bool{}
	for _, s := range top.Switches {
		if s.Tier == "superspine" {
			planes[strings.SplitN(strings.TrimPrefix(top.Nodes[s.Node].Name, "superspine."), ".", 2)[0]] = true
		}
	}
	if len(planes) != 2 || !planes["r0"] || !planes["r1"] {
		t.Errorf("9 domains: super-spine planes %v, want r0 and r1", planes)
	}
	// Within a rail every accelerator reaches every other; across rails
	// none does by the scale-out alone (accelerators are not transit:
	// such traffic is forwarded, network.Fabric.RouteVia).
	for _, j := range []int{1, 2, 4, 16} {
		if p := top.ShortestPaths(top.Accels[0].Dies[0], top.Accels[j].Dies[0], 0); len(p) == 0 {
			t.Errorf("9 domains: no path from accelerator 0 to %d (rail 0)", j)
		}
	}
	if p := top.ShortestPaths(top.Accels[0].Dies[0], top.Accels[3].Dies[0], 0); len(p) != 0 {
		t.Errorf("9 domains: accelerator 0 (rail 0) reaches 3 (rail 1) over %v; want the rails' planes apart", p)
	}
	// 17 domains: 9 leaves a rail, more than one plane of 4-port switches joins.
	if _, err := Build(spec(17)); err == nil || !strings.Contains(err.Error(), "three-tier network of 4-port switches") {
		t.Errorf("17 domains: %v, want a refusal naming the three-tier limit", err)
	}
}

func TestBuildErrors(t *testing.T) {
	sw := &SwitchSpec{Name: "small", Ports: 4}
	ok := DomainSpec{Accel: accel(1), Servers: 1, AccelsPerServer: 8,
		Fabric: &SwitchedFabric{Switch: sw, Planes: 1, Lanes: []int{1}, Link: link("a", 1, Copper)}}
	tests := []struct {
		name string
		spec ClusterSpec
		want string
	}{
		{"ports", ClusterSpec{Domain: ok, Domains: 1}, "needs 8 ports but has 4"},
		{"no scale-out", ClusterSpec{Domain: ok, Domains: 2}, "need a scale-out network"},
		{"zero domains", ClusterSpec{Domain: ok, Domains: 0}, "want at least 1"},
		{"too big", ClusterSpec{Domain: ok, Domains: 1 << 30, ScaleOut: &ScaleOutSpec{}}, "over the limit"},
		{"torus shape", ClusterSpec{Domains: 1, Domain: DomainSpec{Accel: accel(1), Servers: 1, AccelsPerServer: 8,
			Fabric: &TorusFabric{Dims: []int{3, 3}, Links: []LinkSpec{link("t", 1, Copper)}}}}, "holds 9 accelerators but the domain has 8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestShortestPathsDeterministic(t *testing.T) {
	top, err := Load("cm384", 0)
	if err != nil {
		t.Fatal(err)
	}
	a, b := top.Accels[0].Dies[1], top.Accels[383].Dies[0]
	p1 := top.ShortestPaths(a, b, 0)
	p2 := top.ShortestPaths(a, b, 0)
	if len(p1) != 7*16 {
		t.Fatalf("%d paths between nodes, want 112 (7 sub-planes x 16 L2)", len(p1))
	}
	for i := range p1 {
		for j := range p1[i] {
			if p1[i][j] != p2[i][j] {
				t.Fatal("ECMP set differs between calls")
			}
		}
	}
	if got := top.ShortestPaths(a, b, 5); len(got) != 5 {
		t.Errorf("limit 5 gave %d paths", len(got))
	}
	// Same node: both dies are one die-die hop apart.
	if got := top.ShortestPaths(top.Accels[0].Dies[0], top.Accels[0].Dies[1], 0); len(got) != 1 || len(got[0]) != 1 {
		t.Errorf("die to die: %v", got)
	}
	if lat := top.PathLatency(p1[0]); !near(lat, 200e-9*3+100e-9*2) {
		t.Errorf("path latency %g, want 3 switch hops + 2 fibre", lat)
	}
}
