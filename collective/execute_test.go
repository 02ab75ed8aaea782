package collective

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// same fails unless two calls agree exactly: results deeply equal, or
// errors with the same text.
func same(t *testing.T, what string, got, want any, gotErr, wantErr error) {
	t.Helper()
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Errorf("%s: error %v, want %v", what, gotErr, wantErr)
		return
	}
	if wantErr == nil && !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func scriptFabric(t *testing.T, name string, domains int) *network.Fabric {
	t.Helper()
	top, err := topology.Load(name, domains)
	if err != nil {
		t.Fatal(err)
	}
	return network.NewFabric(top)
}

// TestExecuteMatchesLegacyRun: Run, now a wrapper of Execute, gives what
// Run gave before Execute (legacy_test.go), for every operation, every
// algorithm named or auto, every protocol, on several topologies, errors
// included; and Execute called directly gives the same.
func TestExecuteMatchesLegacyRun(t *testing.T) {
	for _, tc := range []struct {
		name    string
		domains int
		pl      Placement
	}{
		{"hgx-h100", 0, Placement{}},
		{"hgx-h100", 2, Placement{}},
		{"gb200-nvl72", 0, Placement{Ranks: 12}},
		{"cm384", 0, Placement{Ranks: 16, PerAccel: true}},
	} {
		f := scriptFabric(t, tc.name, tc.domains)
		g, err := NewGroup(f, tc.pl)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range Ops {
			algos := append([]Algorithm{Auto, Tree}, AlgorithmsFor(op)...)
			for _, algo := range algos {
				for _, proto := range []Protocol{ProtoAuto, Simple, LL, LL128} {
					for _, size := range []float64{8 << 10, 16 << 20} {
						links := size > 1<<20 && proto == Simple
						o := Options{Protocol: proto}
						what := fmt.Sprintf("%s/%d %s %s %s %g", tc.name, tc.domains, op, algo, proto, size)
						want, wantErr := legacyRun(g, op, algo, size, o, links)
						got, err := runTuned(g, op, algo, size, o, links)
						same(t, what, got, want, err, wantErr)
						out, err := Execute(f, Request{Jobs: []Job{{Group: g, Op: op, Algorithm: algo, Bytes: size, Options: o}}, Tune: true, Links: links, opOverhead: true})
						var direct Result
						if err == nil {
							direct = out.Results[0]
							direct.Groups, direct.AloneS = 0, 0
							alone := direct
							alone.Links = nil
							if !reflect.DeepEqual(out.Alone[0], alone) {
								t.Errorf("%s: Execute's Alone differs from its result", what)
							}
						}
						same(t, what+" (Execute)", direct, want, err, wantErr)
					}
				}
			}
		}
	}
}

// TestExecuteMatchesLegacyGroups: RunGroups as before, one group or
// many, block or strided, auto or named.
func TestExecuteMatchesLegacyGroups(t *testing.T) {
	f := scriptFabric(t, "hgx-h100", 2)
	all, err := NewGroup(f, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	for _, split := range []struct {
		n       int
		strided bool
	}{{1, false}, {2, false}, {4, true}, {8, true}} {
		gs, err := all.Split(split.n, split.strided)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []Op{AllReduce, AllToAll, AllGather} {
			for _, algo := range []Algorithm{Auto, Ring, Direct} {
				for _, links := range []bool{false, true} {
					o := Options{}
					what := fmt.Sprintf("%d groups strided %v %s %s links %v", split.n, split.strided, op, algo, links)
					want, wantErr := legacyRunGroups(gs, op, algo, 4<<20, o, links)
					got, err := runGroups(gs, op, algo, 4<<20, o, links)
					same(t, what, got, want, err, wantErr)
				}
			}
		}
	}
	_, wantErr := legacyRunGroups(nil, AllReduce, Ring, 1, Options{}, false)
	_, err = runGroups(nil, AllReduce, Ring, 1, Options{}, false)
	same(t, "no groups", nil, nil, err, wantErr)
}

// TestExecuteMatchesLegacyMoE: RunMoE and RunMoEJobs as before, on an
// ideal fabric and across domains, with and without domain dedup.
func TestExecuteMatchesLegacyMoE(t *testing.T) {
	ideal := moeFabric(t, 8, 100e9, 2e-6, 5e-6)
	h := scriptFabric(t, "hgx-h100", 2)
	for _, f := range []*network.Fabric{ideal, h} {
		g, err := NewGroup(f, Placement{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []MoE{
			{TokensPerRank: 128, TopK: 8, Experts: 64, DispatchBytesPerToken: 7392, CombineBytesPerToken: 14336},
			{TokensPerRank: 2048, TopK: 8, Experts: 256, DispatchBytesPerToken: 7392, CombineBytesPerToken: 14336, DomainDedup: true},
			{TokensPerRank: 512, TopK: 8, Experts: 64, Groups: 8, TopKGroups: 4, DispatchBytesPerToken: 7392, CombineBytesPerToken: 14336},
			{TokensPerRank: 16, TopK: 8, Experts: 100, DispatchBytesPerToken: 1},
		} {
			if m.Experts%g.Size() != 0 && m.Experts != 100 {
				continue
			}
			for _, combine := range []bool{false, true} {
				for _, links := range []bool{false, true} {
					what := fmt.Sprintf("%s %+v combine %v links %v", f.Topo.Name, m, combine, links)
					want, wantErr := legacyRunMoE(g, m, combine, links)
					got, err := runMoEOne(g, m, combine, links)
					same(t, what, got, want, err, wantErr)
				}
			}
			if m.Check(g.Size()) != nil {
				continue
			}
			mat := m.Matrix(g.Size(), false)
			jobs := []Job{
				{Group: g, Op: MoEDispatch, Algorithm: Direct, Bytes: RowBytes(mat), Options: Options{Matrix: mat}},
				{Group: g, Op: AllToAll, Algorithm: Direct, Bytes: 1 << 20, Start: 1e-5},
				{Group: g, Op: MoECombine, Algorithm: Direct, Bytes: RowBytes(mat), Options: Options{Matrix: mat, Protocol: LL}},
			}
			want, wantErr := legacyRunMoEJobs(f, jobs, true)
			got, err := runMoEJobs(f, jobs, true)
			same(t, "RunMoEJobs "+f.Topo.Name, got, want, err, wantErr)
			// RunJobs charges the same jobs op_overhead, as before.
			want, wantErr = legacyRunJobsAPI(f, jobs, false)
			got, err = runJobsTogether(f, jobs, false)
			same(t, "RunJobs "+f.Topo.Name, got, want, err, wantErr)
		}
	}
}

// TestExecuteMatchesLegacyJobs: RunJobs, RunJobsTraced (recordings
// included) and RunPlans as before, errors included.
func TestExecuteMatchesLegacyJobs(t *testing.T) {
	f := scriptFabric(t, "hgx-h100", 2)
	all, err := NewGroup(f, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	gs, err := all.Split(2, true)
	if err != nil {
		t.Fatal(err)
	}
	other := scriptFabric(t, "hgx-h100", 0)
	og, err := NewGroup(other, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	for k, jobs := range [][]Job{
		{{Group: gs[0], Op: AllReduce, Algorithm: Ring, Bytes: 8 << 20}, {Group: gs[1], Op: AllReduce, Algorithm: Hier, Bytes: 8 << 20, Start: 1e-4}},
		{{Group: all, Op: AllToAll, Algorithm: Pairwise, Bytes: 1 << 20, Options: Options{Protocol: LL}}, {Group: gs[0], Op: Broadcast, Algorithm: Tree, Bytes: 1 << 20}},
		{{Group: all, Op: AllReduce, Algorithm: Auto, Bytes: 1 << 20}},
		{{Group: all, Op: AllReduce, Algorithm: HalvDoub, Bytes: 1 << 20}, {Group: og, Op: AllReduce, Algorithm: Ring, Bytes: 1}},
		{},
	} {
		for _, links := range []bool{false, true} {
			what := fmt.Sprintf("jobs %d links %v", k, links)
			want, wantErr := legacyRunJobsAPI(f, jobs, links)
			got, err := runJobsTogether(f, jobs, links)
			same(t, what, got, want, err, wantErr)

			var wantRec, gotRec Recording
			wantRec.reset(f)
			want, wantErr = legacyRunJobs(f, jobs, links, &wantRec)
			got, err = runJobsTraced(f, jobs, links, &gotRec)
			same(t, what+" traced", got, want, err, wantErr)
			if wantErr == nil && !reflect.DeepEqual(gotRec, wantRec) {
				t.Errorf("%s: recordings differ", what)
			}

			if wantErr != nil {
				continue
			}
			plans := make([]*Plan, len(jobs))
			for i, j := range jobs {
				if plans[i], err = Compile(j.Group, j.Op, j.Algorithm, j.Bytes, j.Options); err != nil {
					t.Fatal(err)
				}
			}
			want, wantErr = legacyRunPlans(f, jobs, plans, links)
			got, err = runGivenPlans(f, jobs, plans, links)
			same(t, what+" plans", got, want, err, wantErr)
		}
	}
	_, wantErr := legacyRunPlans(f, []Job{{Group: all}}, nil, false)
	_, err = runGivenPlans(f, []Job{{Group: all}}, nil, false)
	same(t, "no plans", nil, nil, err, wantErr)
}

// TestExecuteMoEJob: Execute runs a job carrying a MoE layer as RunMoE
// does, alone or traced, and alongside other tuned jobs it keeps its
// stages; a MoE job charges MoEOverhead where Run would not.
func TestExecuteMoEJob(t *testing.T) {
	f := scriptFabric(t, "hgx-h100", 2)
	g, err := NewGroup(f, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []MoE{
		{TokensPerRank: 256, TopK: 8, Experts: 64, DispatchBytesPerToken: 7392, CombineBytesPerToken: 14336},
		{TokensPerRank: 256, TopK: 8, Experts: 64, DispatchBytesPerToken: 7392, CombineBytesPerToken: 14336, DomainDedup: true},
	} {
		want, err := runMoEOne(g, m, true, false)
		if err != nil {
			t.Fatal(err)
		}
		job := Job{Group: g, Op: MoECombine, Algorithm: Direct, MoE: &m}
		out, err := Execute(f, Request{Jobs: []Job{job}, Tune: true})
		if err != nil {
			t.Fatal(err)
		}
		got := out.Results[0]
		if got.Groups != 1 || got.AloneS != want.TimeS {
			t.Errorf("dedup %v: Groups %d, AloneS %g; want 1, %g", m.DomainDedup, got.Groups, got.AloneS, want.TimeS)
		}
		got.Groups, got.AloneS = 0, 0
		if !reflect.DeepEqual(got, want) {
			t.Errorf("dedup %v: Execute %+v, RunMoE %+v", m.DomainDedup, got, want)
		}
		// Traced, the joint run of the one job is run again and recorded;
		// it is the same run.
		var rec Recording
		out, err = Execute(f, Request{Jobs: []Job{job}, Tune: true, Trace: &rec})
		if err != nil {
			t.Fatal(err)
		}
		got = out.Results[0]
		got.Groups, got.AloneS = 0, 0
		if !reflect.DeepEqual(got, want) || len(rec.Jobs) == 0 {
			t.Errorf("dedup %v traced: Execute %+v, RunMoE %+v, %d jobs recorded", m.DomainDedup, got, want, len(rec.Jobs))
		}
		// Alongside an allreduce of another group: alone as RunMoE.
		sub, err := g.Split(2, false)
		if err != nil {
			t.Fatal(err)
		}
		out, err = Execute(f, Request{Tune: true, Jobs: []Job{job, {Group: sub[0], Op: AllReduce, Algorithm: Auto, Bytes: 1 << 20}}})
		if err != nil {
			t.Fatal(err)
		}
		if out.Alone[0].TimeS != want.TimeS || out.Results[0].TimeS < want.TimeS || out.Results[0].SizeBytes != want.SizeBytes {
			t.Errorf("dedup %v with an allreduce: alone %g, together %g (%g bytes); RunMoE %g (%g bytes)",
				m.DomainDedup, out.Alone[0].TimeS, out.Results[0].TimeS, out.Results[0].SizeBytes, want.TimeS, want.SizeBytes)
		}
	}
	// The overhead is decided by the operation: Execute charges a MoE
	// dispatch MoEOverhead, the old Run op_overhead.
	ideal := moeFabric(t, 8, 100e9, 2e-6, 5e-6)
	spec := *ideal.Topo.Accels[0].Spec
	spec.MoEOverheadS = 50e-6
	ideal.Topo.Accels[0].Spec = &spec
	ig, err := NewGroup(ideal, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	j := Job{Group: ig, Op: MoEDispatch, Algorithm: Direct, Bytes: 1 << 20, Options: Options{Protocol: Simple}}
	old, err := runTuned(ig, j.Op, j.Algorithm, j.Bytes, j.Options, false)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Execute(ideal, Request{Jobs: []Job{j}, Tune: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.Results[0].TimeS - old.TimeS; d < 44.9e-6 || d > 45.1e-6 {
		t.Errorf("Execute charges %g s more than Run; want MoEOverhead - op_overhead = 45 us", d)
	}
	if _, err := Execute(ideal, Request{Jobs: []Job{{Group: ig, Op: AllReduce, MoE: &MoE{}}}}); err == nil {
		t.Error("a MoE layer on an allreduce: want an error")
	}
	if _, err := Execute(ideal, Request{Jobs: []Job{j}, Plans: []*Plan{nil}, Tune: true}); err == nil {
		t.Error("tuning compiled plans: want an error")
	}
}
