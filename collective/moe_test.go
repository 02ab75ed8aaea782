package collective

import (
	"math"
	"reflect"
	"sort"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// moeFabric is an ideal switched fabric of n accelerators: one link of bw
// bytes/s per direction each to one non-blocking switch, no hop latency,
// full efficiency.
func moeFabric(t *testing.T, n int, bw, alpha, overhead float64) *network.Fabric {
	t.Helper()
	acc := &topology.AcceleratorSpec{Name: "x", Dies: 1, MaxW: 1, StepLatencyS: alpha, OpOverheadS: overhead}
	top, err := topology.Build(topology.ClusterSpec{Name: "ideal", Domains: 1, Domain: topology.DomainSpec{
		Accel: acc, Servers: 1, AccelsPerServer: n,
		Fabric: &topology.SwitchedFabric{Switch: &topology.SwitchSpec{Name: "sw"}, Planes: 1, Lanes: []int{1},
			Link: topology.LinkSpec{Class: "l", LaneBytesPerS: bw, Optics: -1}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return network.NewFabric(top)
}

// binom is C(n, k) by lgamma, a check on the product form.
func binom(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return math.Exp(a - b - c)
}

func TestMoEMatrixRowSums(t *testing.T) {
	m := MoE{TokensPerRank: 4096, Hidden: 7168, TopK: 8, Experts: 256, DispatchBytesPerToken: 7392, CombineBytesPerToken: 14336}
	for _, n := range []int{2, 8, 16, 64, 256} {
		per := 256 / n
		p := 1 - binom(256-per, 8)/binom(256, 8)
		for _, combine := range []bool{false, true} {
			b := m.DispatchBytesPerToken
			if combine {
				b = m.CombineBytesPerToken
			}
			mat := m.Matrix(n, combine)
			if len(mat) != n {
				t.Fatalf("n=%d: %d rows", n, len(mat))
			}
			want := float64(n-1) * 4096 * p * b
			for i, row := range mat {
				if row[i] != 0 {
					t.Errorf("n=%d: self traffic %g", n, row[i])
				}
				var s float64
				for _, x := range row {
					s += x
				}
				if math.Abs(s-want) > 1e-9*want {
					t.Errorf("n=%d combine=%v row %d: %g bytes, want %g", n, combine, i, s, want)
				}
			}
			if got := RowBytes(mat); math.Abs(got-want) > 1e-9*want {
				t.Errorf("n=%d: RowBytes %g, want %g", n, got, want)
			}
		}
	}
	// One expert per rank: P(hit) = k/E exactly.
	if p := HitProbability(256, 1, 8); math.Abs(p-8.0/256) > 1e-15 {
		t.Errorf("one expert per rank: P(hit) %g, want %g", p, 8.0/256)
	}
	// Large E and k do not overflow.
	if p := HitProbability(4096, 16, 64); !(p > 0 && p < 1) {
		t.Errorf("P(hit) %g out of (0, 1)", p)
	}
}

func TestMoEHitCertain(t *testing.T) {
	// With TopK >= E - E/n + 1 every token reaches every rank.
	for _, tc := range []struct{ e, n int }{{16, 2}, {16, 4}, {32, 8}, {8, 8}} {
		per := tc.e / tc.n
		for k := tc.e - per + 1; k <= tc.e; k++ {
			if p := HitProbability(tc.e, per, k); p != 1 {
				t.Errorf("E=%d n=%d k=%d: P(hit) %g, want 1", tc.e, tc.n, k, p)
			}
		}
		if k := tc.e - per; k >= 1 {
			if p := HitProbability(tc.e, per, k); p >= 1 {
				t.Errorf("E=%d n=%d k=%d: P(hit) %g, want < 1", tc.e, tc.n, k, p)
			}
		}
	}
}

func TestMoECheck(t *testing.T) {
	m := MoE{TokensPerRank: 1, TopK: 8, Experts: 256}
	if err := m.Check(3); err == nil {
		t.Error("256 experts over 3 ranks: want an error")
	}
	if m.Matrix(3, false) != nil {
		t.Error("Matrix of an uneven spread: want nil")
	}
	if err := (MoE{TopK: 9, Experts: 8}).Check(2); err == nil {
		t.Error("top-9 of 8: want an error")
	}
	f := moeFabric(t, 3, 1e9, 0, 0)
	g, err := NewGroup(f, Placement{Ranks: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runMoEOne(g, m, false, false); err == nil {
		t.Error("RunMoE of an uneven spread: want an error")
	}
}

// TestMoEIdealTime: on an ideal fabric a dispatch takes op_overhead + alpha
// + one rank's row over its link.
func TestMoEIdealTime(t *testing.T) {
	const bw, alpha, over = 100e9, 2e-6, 5e-6
	m := MoE{TokensPerRank: 128, Hidden: 7168, TopK: 8, Experts: 64, DispatchBytesPerToken: 7392, CombineBytesPerToken: 14336}
	for _, n := range []int{2, 8, 16} {
		f := moeFabric(t, n, bw, alpha, over)
		g, err := NewGroup(f, Placement{Ranks: n})
		if err != nil {
			t.Fatal(err)
		}
		for _, combine := range []bool{false, true} {
			r, err := runMoEOne(g, m, combine, true)
			if err != nil {
				t.Fatal(err)
			}
			b := m.DispatchBytesPerToken
			op := MoEDispatch
			if combine {
				b, op = m.CombineBytesPerToken, MoECombine
			}
			row := float64(n-1) * 128 * HitProbability(64, 64/n, 8) * b
			want := over + alpha + row/bw
			if !(r.TimeS >= want-1e-15 && r.TimeS-want <= float64(2*n+1)*1e-12) {
				t.Errorf("n=%d %s: %.12g s, want %.12g s", n, op, r.TimeS, want)
			}
			if r.Op != op || r.Algorithm != Direct || r.Transfers != n*(n-1) {
				t.Errorf("n=%d: op %s algorithm %s transfers %d", n, r.Op, r.Algorithm, r.Transfers)
			}
			if math.Abs(r.SizeBytes-row) > 1e-9*row {
				t.Errorf("n=%d: size %g, want the row %g", n, r.SizeBytes, row)
			}
			if len(r.Links) == 0 {
				t.Errorf("n=%d: no link statistics", n)
			}
		}
	}
}

// TestMoEOverhead: MoE operations pay moe_overhead instead of op_overhead
// (the largest over the ranks, an accelerator without one counting its
// op_overhead); other operations keep op_overhead.
func TestMoEOverhead(t *testing.T) {
	const bw, alpha, over = 100e9, 2e-6, 5e-6
	const n = 8
	m := MoE{TokensPerRank: 128, Hidden: 7168, TopK: 8, Experts: 64, DispatchBytesPerToken: 7392, CombineBytesPerToken: 14336}
	f := moeFabric(t, n, bw, alpha, over)
	g, err := NewGroup(f, Placement{Ranks: n})
	if err != nil {
		t.Fatal(err)
	}
	if got := g.MoEOverhead().Seconds(); math.Abs(got-over) > 1e-15 {
		t.Errorf("no moe_overhead: %g s, want op_overhead %g s", got, over)
	}
	base, err := runMoEOne(g, m, false, false)
	if err != nil {
		t.Fatal(err)
	}
	// One rank's accelerator gets a moe_overhead of 80 us, another 30 us;
	// the group pays the largest.
	for k, s := range map[int]float64{3: 80e-6, 5: 30e-6} {
		spec := *f.Topo.Accels[k].Spec
		spec.MoEOverheadS = s
		f.Topo.Accels[k].Spec = &spec
	}
	if got := g.MoEOverhead().Seconds(); math.Abs(got-80e-6) > 1e-15 {
		t.Errorf("moe_overhead 80 us on one rank: group pays %g s", got)
	}
	for _, combine := range []bool{false, true} {
		r, err := runMoEOne(g, m, combine, false)
		if err != nil {
			t.Fatal(err)
		}
		b := m.DispatchBytesPerToken
		if combine {
			b = m.CombineBytesPerToken
		}
		row := float64(n-1) * 128 * HitProbability(64, 64/n, 8) * b
		want := 80e-6 + alpha + row/bw
		if !(r.TimeS >= want-1e-15 && r.TimeS-want <= float64(2*n+1)*1e-12) {
			t.Errorf("combine=%v: %.12g s, want %.12g s", combine, r.TimeS, want)
		}
	}
	r, err := runMoEOne(g, m, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := r.TimeS - base.TimeS; math.Abs(d-(80e-6-over)) > 1e-12 {
		t.Errorf("moe_overhead adds %g s, want %g s", d, 80e-6-over)
	}
	// RunMoEJobs: the MoE job pays moe_overhead, the alltoall op_overhead.
	mat := m.Matrix(n, false)
	jobs := []Job{
		{Group: g, Op: MoEDispatch, Algorithm: Direct, Bytes: RowBytes(mat), Options: Options{Matrix: mat}},
		{Group: g, Op: AllToAll, Algorithm: Direct, Bytes: 1 << 10, Start: 1},
	}
	rs, err := runMoEJobs(f, jobs, false)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := runJobsTogether(f, jobs, false)
	if err != nil {
		t.Fatal(err)
	}
	if d := rs[0].TimeS - plain[0].TimeS; math.Abs(d-(80e-6-over)) > 1e-12 {
		t.Errorf("RunMoEJobs: MoE job pays %g s more than under RunJobs, want %g s", d, 80e-6-over)
	}
	if rs[1].TimeS != plain[1].TimeS {
		t.Errorf("RunMoEJobs: alltoall %g s, RunJobs %g s", rs[1].TimeS, plain[1].TimeS)
	}
}

// TestRunPlansMatchesRunJobs: running the compiled plans unchanged gives
// RunJobs's results.
func TestRunPlansMatchesRunJobs(t *testing.T) {
	f := moeFabric(t, 8, 50e9, 1e-6, 4e-6)
	g, err := NewGroup(f, Placement{Ranks: 8})
	if err != nil {
		t.Fatal(err)
	}
	jobs := []Job{
		{Group: g, Op: AllReduce, Algorithm: Ring, Bytes: 1 << 20},
		{Group: g, Op: AllToAll, Algorithm: Direct, Bytes: 1 << 18, Options: Options{Protocol: LL}, Start: 2e-6},
	}
	want, err := runJobsTogether(f, jobs, true)
	if err != nil {
		t.Fatal(err)
	}
	plans := make([]*Plan, len(jobs))
	for i, j := range jobs {
		if plans[i], err = Compile(j.Group, j.Op, j.Algorithm, j.Bytes, j.Options); err != nil {
			t.Fatal(err)
		}
	}
	got, err := runGivenPlans(f, jobs, plans, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range jobs {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("job %d: RunPlans %+v, RunJobs %+v", i, got[i], want[i])
		}
	}
	if _, err := runGivenPlans(f, jobs, plans[:1], false); err == nil {
		t.Error("one plan for two jobs: want an error")
	}
}

// TestHitGroups checks group-limited routing against counting: with 4
// groups of 2 experts, top-2 groups and top-2 experts, every (groups,
// experts) choice is equally likely.
func TestHitGroups(t *testing.T) {
	m := MoE{Experts: 8, TopK: 2, Groups: 4, TopKGroups: 2}
	if err := m.Check(4); err != nil {
		t.Fatal(err)
	}
	// Enumerate: choose 2 of 4 groups, then 2 of their 4 experts.
	count := func(set map[int]bool) float64 {
		hit, all := 0, 0
		for g1 := 0; g1 < 4; g1++ {
			for g2 := g1 + 1; g2 < 4; g2++ {
				ex := []int{2 * g1, 2*g1 + 1, 2 * g2, 2*g2 + 1}
				for a := 0; a < 4; a++ {
					for b := a + 1; b < 4; b++ {
						all++
						if set[ex[a]] || set[ex[b]] {
							hit++
						}
					}
				}
			}
		}
		return float64(hit) / float64(all)
	}
	for _, tc := range []struct{ first, n int }{{0, 1}, {0, 2}, {2, 2}, {0, 4}, {4, 4}, {0, 8}} {
		set := map[int]bool{}
		for e := tc.first; e < tc.first+tc.n; e++ {
			set[e] = true
		}
		if got, want := m.Hit(tc.first, tc.n), count(set); math.Abs(got-want) > 1e-12 {
			t.Errorf("Hit(%d, %d) = %g, want %g", tc.first, tc.n, got, want)
		}
	}
	// Without groups Hit is HitProbability.
	if got, want := (MoE{Experts: 256, TopK: 8}).Hit(0, 32), HitProbability(256, 32, 8); got != want {
		t.Errorf("ungrouped Hit %g, want %g", got, want)
	}
	for _, bad := range []MoE{
		{Experts: 8, TopK: 2, Groups: 3, TopKGroups: 1},
		{Experts: 8, TopK: 5, Groups: 4, TopKGroups: 2},
		{Experts: 8, TopK: 2, Groups: 4, TopKGroups: 5},
		{Experts: 12, TopK: 2, Groups: 4, TopKGroups: 2}, // 3 per group, 12/8 ranks...
	} {
		if bad.Check(8) == nil && bad.Check(4) == nil {
			t.Errorf("%+v: want a check error", bad)
		}
	}
}

// TestStagesDomainDedup: on two HGX H100 nodes, each token crosses
// InfiniBand once per node that holds its experts and NVLink carries the
// forwarding; without DomainDedup (or in one domain) Stages is Matrix.
func TestStagesDomainDedup(t *testing.T) {
	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		t.Fatal(err)
	}
	f := network.NewFabric(top)
	g, err := NewGroup(f, Placement{Ranks: 16})
	if err != nil {
		t.Fatal(err)
	}
	m := MoE{TokensPerRank: 1024, Hidden: 7168, TopK: 8, Experts: 256, DispatchBytesPerToken: 7392, CombineBytesPerToken: 14336,
		Groups: 8, TopKGroups: 4, DomainDedup: true}
	st, err := m.Stages(g, false)
	if err != nil || len(st) != 2 {
		t.Fatalf("stages %d, %v", len(st), err)
	}
	out, up := st[0], st[1]
	if want := 1024 * m.Hit(0, 128) * 7392; math.Abs(out[0][8]-want) > 1e-6 || out[0][9] != 0 || out[0][1] != 0 {
		t.Errorf("scale-out row 0: to 8 %g (want %g), to 9 %g, to 1 %g", out[0][8], want, out[0][9], out[0][1])
	}
	if want := 2 * 1024 * m.Hit(0, 16) * 7392; math.Abs(up[0][1]-want) > 1e-6 || up[0][8] != 0 {
		t.Errorf("scale-up row 0: to 1 %g (want %g), to 8 %g", up[0][1], want, up[0][8])
	}
	flat := m
	flat.DomainDedup = false
	if st, err := flat.Stages(g, false); err != nil || len(st) != 1 || !reflect.DeepEqual(st[0], flat.Matrix(16, false)) {
		t.Errorf("without dedup: %d stages, %v", len(st), err)
	}
	// De-duplication sends fewer bytes over InfiniBand, so it is faster.
	dd, err := runMoEOne(g, m, false, false)
	if err != nil {
		t.Fatal(err)
	}
	fl, err := runMoEOne(g, flat, false, false)
	if err != nil {
		t.Fatal(err)
	}
	if !(dd.TimeS < fl.TimeS) {
		t.Errorf("dedup %g s, flat %g s", dd.TimeS, fl.TimeS)
	}
}

// TestMoEPricingSameAsAll: RunMoE, which routes a protocol's plan for its
// lowerBound only once its cheap egressBound could still win, returns
// exactly the result of routing and simulating both protocols and taking
// the fastest, ties to the least lowerBound and then to the order tried.
func TestMoEPricingSameAsAll(t *testing.T) {
	load := func(name string, domains int) *topology.Topology {
		top, err := topology.Load(name, domains)
		if err != nil {
			t.Fatal(err)
		}
		return top
	}
	h100, cm384 := load("hgx-h100", 4), load("cm384", 0)
	for _, tc := range []struct {
		name   string
		top    *topology.Topology
		pl     Placement
		tokens int
	}{
		{"h100x4 decode", h100, Placement{}, 8},
		{"h100x4 prefill", h100, Placement{}, 4096},
		{"cm384 64 decode", cm384, Placement{Ranks: 64, PerAccel: true}, 16},
		{"cm384 64 prefill", cm384, Placement{Ranks: 64, PerAccel: true}, 2048},
	} {
		for _, combine := range []bool{false, true} {
			m := MoE{TokensPerRank: tc.tokens, Hidden: 7168, TopK: 8, Experts: 256, DispatchBytesPerToken: 7392, CombineBytesPerToken: 14336}
			g, err := NewGroup(network.NewFabric(tc.top), tc.pl)
			if err != nil {
				t.Fatal(err)
			}
			got, err := runMoEOne(g, m, combine, false)
			if err != nil {
				t.Fatal(err)
			}
			// Every protocol routed, bounded and simulated.
			g, err = NewGroup(network.NewFabric(tc.top), tc.pl)
			if err != nil {
				t.Fatal(err)
			}
			op := MoEDispatch
			if combine {
				op = MoECombine
			}
			mat := m.Matrix(g.Size(), combine)
			bytes := RowBytes(mat)
			type cand struct {
				r     Result
				bound float64
			}
			var cands []cand
			for _, pr := range []Protocol{Simple, LL} {
				p, err := Compile(g, op, Direct, bytes, Options{Protocol: pr, Matrix: mat})
				if err != nil {
					t.Fatal(err)
				}
				p.Overhead = g.MoEOverhead()
				lb, eb := p.lowerBound(g.Fabric), p.egressBound(g.Fabric)
				if eb > lb {
					t.Errorf("%s %s: egressBound %v passes lowerBound %v", tc.name, pr, eb, lb)
				}
				rs, err := runPlans(g.Fabric, []Job{{Group: g, Op: op, Algorithm: Direct, Bytes: bytes, Options: Options{Matrix: mat}}}, []*Plan{p}, false, nil)
				if err != nil {
					t.Fatal(err)
				}
				cands = append(cands, cand{rs[0], lb})
			}
			sort.SliceStable(cands, func(i, j int) bool { return cands[i].bound < cands[j].bound })
			want := cands[0].r
			for _, c := range cands[1:] {
				if c.r.TimeS < want.TimeS {
					want = c.r
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s combine=%v: RunMoE took %s, %v s; routing all takes %s, %v s", tc.name, combine, got.Protocol, got.TimeS, want.Protocol, want.TimeS)
			}
		}
	}
}
