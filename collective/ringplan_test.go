package collective

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/sim"
	"github.com/cardsea/cardsea/topology"
)

// withRingForm runs f with rings kept in ring form from min transfers on.
func withRingForm(min int, f func()) {
	old := minRingForm
	minRingForm = min
	defer func() { minRingForm = old }()
	f()
}

// TestRingFormIdentical: a ring kept as its parameters runs exactly as the
// same ring stored transfer by transfer: equal results (times, link
// statistics, activity) and equal recordings, alone, in auto mode, and
// traced alongside other jobs.
func TestRingFormIdentical(t *testing.T) {
	for _, su := range []struct {
		name    string
		domains int
		faults  []string
		pl      Placement
	}{
		{"hgx-h100", 4, nil, Placement{}},
		// Channels across domains: two ranks a domain, a degraded NIC
		// (the channels no longer alike), unequal domains (one ring).
		{"hgx-h100", 2, nil, Placement{List: []int{0, 4, 8, 12}}},
		{"hgx-h100", 3, []string{"degrade:d1.acc11.nic0-leaf.r3.3=0.5"}, Placement{}},
		{"hgx-h100", 2, nil, Placement{Ranks: 12}},
		{"hgx-h100", 2, []string{"link:d1.acc11.nic0-leaf.r3.3"}, Placement{}},
		{"gb200-nvl72", 0, nil, Placement{}},
		{"gb200-nvl72", 0, []string{"plane:3"}, Placement{Ranks: 24}},
		{"cm384", 0, nil, Placement{Ranks: 24, PerAccel: true}},
	} {
		t.Run(fmt.Sprintf("%s/%d/%v", su.name, su.domains, su.faults), func(t *testing.T) {
			top, err := topology.Load(su.name, su.domains)
			if err != nil {
				t.Fatal(err)
			}
			if su.faults != nil {
				fs, err := topology.ParseFaults(su.faults)
				if err != nil {
					t.Fatal(err)
				}
				if top, err = top.WithFaults(fs); err != nil {
					t.Fatal(err)
				}
			}
			for _, op := range []Op{AllReduce, AllGather, ReduceScatter} {
				for oi, o := range []Options{{Protocol: Simple}, {Protocol: LL, Chunks: 3}, {Protocol: ProtoAuto, ChunkBytes: 1 << 18}} {
					ringFormCase(t, top, su.pl, op, o, oi == 1, oi == 2 && op == AllReduce)
				}
			}
		})
	}
}

// ringFormCase runs op with options o in both forms and compares them:
// alone, and, if traced, recorded alongside two other jobs, and, if auto,
// with every algorithm in the running.
func ringFormCase(t *testing.T, top *topology.Topology, pl Placement, op Op, o Options, traced, auto bool) {
	t.Helper()
	name := fmt.Sprintf("%s/%+v", op, o)
	run := func() ([]Result, Recording) {
		f := network.NewFabric(top)
		g, err := NewGroup(f, pl)
		if err != nil {
			t.Fatal(err)
		}
		one, err := runTuned(g, op, Ring, 16<<20, o, true)
		if err != nil {
			t.Fatal(err)
		}
		res := []Result{one}
		if auto {
			r, err := runTuned(g, op, Auto, 16<<20, o, false)
			if err != nil {
				t.Fatal(err)
			}
			res = append(res, r)
		}
		var rec Recording
		if traced {
			jobs := []Job{
				{Group: g, Op: op, Algorithm: Ring, Bytes: 4 << 20, Options: o},
				{Group: g, Op: op, Algorithm: Ring, Bytes: 1 << 20, Options: o, Start: 3e-6},
				{Group: g, Op: AllReduce, Algorithm: Tree, Bytes: 2 << 20, Options: o, Start: 1e-6},
			}
			many, err := runJobsTraced(f, jobs, true, &rec)
			if err != nil {
				t.Fatal(err)
			}
			rec.Fabric = nil
			res = append(res, many...)
		}
		return res, rec
	}
	var stored, ring []Result
	var recStored, recRing Recording
	withRingForm(math.MaxInt, func() { stored, recStored = run() })
	withRingForm(0, func() { ring, recRing = run() })
	for i := range stored {
		if !reflect.DeepEqual(ring[i], stored[i]) {
			t.Errorf("%s: result %d in ring form: %v s, %v bytes; stored: %v s, %v bytes",
				name, i, ring[i].TimeS, ring[i].WireBytes, stored[i].TimeS, stored[i].WireBytes)
		}
	}
	if !reflect.DeepEqual(recRing, recStored) {
		t.Errorf("%s: recordings differ (%d and %d transfers)", name, len(recRing.Transfers), len(recStored.Transfers))
	}
}

// TestRingFormPlan: a plan in ring form has the transfers, bytes, bound
// and size limit of the stored one.
func TestRingFormPlan(t *testing.T) {
	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		t.Fatal(err)
	}
	f := network.NewFabric(top)
	g, err := NewGroup(f, Placement{})
	if err != nil {
		t.Fatal(err)
	}
	compile := func(min int) *Plan {
		var p *Plan
		withRingForm(min, func() {
			p, err = Compile(g, AllReduce, Ring, 1<<30, Options{Protocol: LL})
		})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p, q := compile(math.MaxInt), compile(0)
	if p.rings != nil || q.rings == nil {
		t.Fatalf("forms: stored %v, ring %v", p.rings != nil, q.rings != nil)
	}
	if p.Transfers() != q.Transfers() || p.WireBytes() != q.WireBytes() || p.lowerBound(f) != q.lowerBound(f) {
		t.Errorf("ring form: %d transfers, %v bytes, bound %v; stored: %d, %v, %v",
			q.Transfers(), q.WireBytes(), q.lowerBound(f), p.Transfers(), p.WireBytes(), p.lowerBound(f))
	}
	// Past MaxTransfers the stored form is refused and the ring form,
	// at a byte a transfer, still runs; past maxRingForm it is refused
	// too, and says so.
	old := MaxTransfers
	defer func() { MaxTransfers = old }()
	for _, tc := range []struct {
		min, limit int
		refused    bool
	}{
		{math.MaxInt, p.Transfers() - 1, true},
		{0, p.Transfers() - 1, false},
		{0, (p.Transfers() - 1) / ringFormFactor, true},
	} {
		MaxTransfers = tc.limit
		withRingForm(tc.min, func() {
			_, err = Compile(g, AllReduce, Ring, 1<<30, Options{Protocol: LL})
		})
		var big *TooLargeError
		switch {
		case !tc.refused && err != nil:
			t.Errorf("min %d, limit %d: %v", tc.min, tc.limit, err)
		case tc.refused && (!errors.As(err, &big) || big.Transfers != int64(p.Transfers()) || big.RingForm != (tc.min == 0)):
			t.Errorf("min %d, limit %d: past the limit: %v", tc.min, tc.limit, err)
		}
	}
}

// TestRingPathsMemo: lowerBound's critical path of each ring, memoised
// over rotations of earlier rings (ringPaths), is the ring's own, and the
// memo is used: NCCL's channels across HGX nodes are rotations.
func TestRingPathsMemo(t *testing.T) {
	for _, tc := range []struct {
		name    string
		domains int
	}{{"hgx-h100", 4}, {"gb200-nvl72", 2}} {
		f := network.NewFabric(mustLoad(t, tc.name, tc.domains))
		g, err := NewGroup(f, Placement{})
		if err != nil {
			t.Fatal(err)
		}
		var p *Plan
		withRingForm(0, func() { p, err = Compile(g, AllReduce, Ring, 256<<20, Options{Protocol: Simple}) })
		if err != nil {
			t.Fatal(err)
		}
		if len(p.rings) < 2 {
			t.Fatalf("%s x%d: %d rings in ring form, want several", tc.name, tc.domains, len(p.rings))
		}
		var m ringPaths
		for i, r := range p.rings {
			routes := make([]*network.Route, r.n)
			for j := range r.n {
				rt, err := p.routeOf(f, r.verts[j], r.viaOf(j), r.verts[(j+1)%r.n])
				if err != nil {
					t.Fatal(err)
				}
				routes[j] = rt
			}
			if got, want := m.of(r, f, routes), r.criticalPath(f, routes); got != want {
				t.Errorf("%s x%d ring %d: memoised path %v, its own %v", tc.name, tc.domains, i, got, want)
			}
		}
		if len(m.seen) == len(p.rings) {
			t.Errorf("%s x%d: no ring of %d was a rotation of another", tc.name, tc.domains, len(p.rings))
		}
		t.Logf("%s x%d: %d rings, %d paths computed", tc.name, tc.domains, len(p.rings), len(m.seen))
	}
}

// TestRotationOf: a rotation is found at any offset, and a ring that is
// not one is not taken for one.
func TestRotationOf(t *testing.T) {
	u := ringTimes{alpha: []sim.Time{1, 2, 3, 1}, dur: []sim.Time{4, 5, 6, 4}, wait: []sim.Time{7, 8, 9, 7}}
	rot := func(s int) ringTimes {
		n := len(u.dur)
		r := ringTimes{alpha: make([]sim.Time, n), dur: make([]sim.Time, n), wait: make([]sim.Time, n)}
		for i := range n {
			j := (i + s) % n
			r.alpha[i], r.dur[i], r.wait[i] = u.alpha[j], u.dur[j], u.wait[j]
		}
		return r
	}
	for s := range 4 {
		if !rotationOf(u, rot(s)) {
			t.Errorf("rotation by %d not found", s)
		}
	}
	v := rot(3)
	v.wait[2]++
	if rotationOf(u, v) {
		t.Error("a ring with one delay changed taken for a rotation")
	}
}
