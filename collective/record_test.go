package collective

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/sim"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/trace"
)

// TestRunJobsTraced: recording changes no result, every transfer is
// recorded whole, and the trace has the tracks it should.
func TestRunJobsTraced(t *testing.T) {
	top, err := topology.Load("hgx-h100", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, algo := range []Algorithm{Ring, Tree, NVLS, Direct} {
		f := network.NewFabric(top)
		g, err := NewGroup(f, Placement{Ranks: 4})
		if err != nil {
			t.Fatal(err)
		}
		jobs := []Job{{Group: g, Op: AllReduce, Algorithm: algo, Bytes: 8 << 20, Options: Options{ChunkBytes: 1 << 20}},
			{Group: g, Op: AllReduce, Algorithm: algo, Bytes: 1 << 20, Start: 5e-6}}
		want, err := runJobsTogether(f, jobs, true)
		if err != nil {
			t.Fatal(err)
		}
		var rec Recording
		got, err := runJobsTraced(f, jobs, true, &rec)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: traced results differ:\n%+v\n%+v", algo, got, want)
		}
		n := 0
		for _, j := range jobs {
			p, _ := Compile(j.Group, j.Op, j.Algorithm, j.Bytes, j.Options)
			for _, x := range p.xfers {
				if !x.join {
					n++
				}
			}
		}
		if len(rec.Transfers) != n || len(rec.Jobs) != 2 {
			t.Fatalf("%s: %d transfers and %d jobs recorded, want %d and 2", algo, len(rec.Transfers), len(rec.Jobs), n)
		}
		switchSends := 0
		for _, x := range rec.Transfers {
			if x.Sent < x.Start || x.Arrived < x.Sent || x.Arrived > rec.Jobs[x.Job].End {
				t.Fatalf("%s: transfer %+v out of order (job ends %v)", algo, x, rec.Jobs[x.Job].End)
			}
			if x.SrcRank < 0 {
				switchSends++
			}
		}
		if (switchSends > 0) != (algo == NVLS) {
			t.Errorf("%s: %d transfers from switches", algo, switchSends)
		}
		for i, j := range rec.Jobs {
			if j.End.Seconds()-j.Start.Seconds() != got[i].TimeS && !near(j.End.Seconds()-j.Start.Seconds(), got[i].TimeS) {
				t.Errorf("%s: job %d spans %v to %v, result says %g s", algo, i, j.Start, j.End, got[i].TimeS)
			}
		}
		tr := trace.New()
		rec.AddTo(tr)
		b, err := tr.Marshal()
		if err != nil || !json.Valid(b) {
			t.Fatalf("%s: %v\n%s", algo, err, b)
		}
		s := string(b)
		for _, want := range []string{`"args":{"name":"ranks"}`, `"args":{"name":"links"}`, `"args":{"name":"op"}`,
			`"args":{"name":"job 1: allreduce"}`, `"send to `, `"ph":"C"`} {
			if !strings.Contains(s, want) {
				t.Errorf("%s: trace lacks %s", algo, want)
			}
		}
		if strings.Contains(s, `"args":{"name":"switches"}`) != (algo == NVLS) {
			t.Errorf("%s: switches process present: %v", algo, !(algo == NVLS))
		}
	}
}

func TestSegments(t *testing.T) {
	ps := sim.Picosecond
	got := segments([]span{
		{10 * ps, 20 * ps, 2},
		{0, 10 * ps, 1},
		{15 * ps, 30 * ps, 1},
		{30 * ps, 40 * ps, 1}, // same peer, back to back: merges
		{50 * ps, 50 * ps, 3}, // empty
	})
	want := []segment{
		{0, 10 * ps, []network.Vertex{1}},
		{10 * ps, 15 * ps, []network.Vertex{2}},
		{15 * ps, 20 * ps, []network.Vertex{1, 2}},
		{20 * ps, 40 * ps, []network.Vertex{1}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("segments:\n got %v\nwant %v", got, want)
	}
}
