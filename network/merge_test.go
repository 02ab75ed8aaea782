package network

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cardsea/cardsea/sim"
	"github.com/cardsea/cardsea/topology"
)

// mergeCase is a random set of flow groups: group g is k[g] identical
// flows from src[g] to dst[g] of bytes[g], starting at at[g].
type mergeCase struct {
	src, dst []Vertex
	k        []int
	bytes    []float64
	at       []sim.Time
}

// mergeFabrics are the small fabrics of the merge tests: switched,
// torus (ECMP splits with fractional shares), leaf/spine across domains.
var mergeFabrics = []struct {
	name    string
	domains int
}{{"hgx-h100", 2}, {"hgx-h100", 3}, {"tpu-v5p-cube", 0}, {"gb200-nvl72", 2}, {"cm384", 0}}

func randomMergeCase(f *Fabric, r *rand.Rand, groups int) mergeCase {
	dies := f.Topo.Dies()
	var c mergeCase
	for len(c.src) < groups {
		a, b := dies[r.IntN(len(dies))], dies[r.IntN(len(dies))]
		if a == b {
			continue
		}
		c.src = append(c.src, f.Vertex(a))
		c.dst = append(c.dst, f.Vertex(b))
		c.k = append(c.k, 1+r.IntN(6))
		c.bytes = append(c.bytes, float64(r.IntN(100))*1e5) // some zero-byte
		c.at = append(c.at, sim.Time(r.IntN(20))*sim.Microsecond)
	}
	return c
}

// mergeResult is what a run of a mergeCase gives: per group, every
// member's sent and arrived times; per channel, the statistics.
type mergeResult struct {
	sent, arrived [][]sim.Time
	stats         []ChannelStats
	end           sim.Time
}

// runMergeCase runs c with each group as k flows (merged false) or as one
// merged flow (merged true).
func runMergeCase(t testing.TB, f *Fabric, c mergeCase, merged bool) mergeResult {
	s := sim.New()
	n := New(f, s)
	res := mergeResult{sent: make([][]sim.Time, len(c.src)), arrived: make([][]sim.Time, len(c.src))}
	for g := range c.src {
		g := g
		res.sent[g] = make([]sim.Time, c.k[g])
		res.arrived[g] = make([]sim.Time, c.k[g])
		r, err := f.Route(c.src[g], c.dst[g])
		if err != nil {
			t.Fatal(err)
		}
		s.Schedule(c.at[g], func(sim.Time) {
			if merged {
				m, err := f.Merged(r, c.k[g])
				if err != nil {
					t.Fatal(err)
				}
				n.StartFlow(m, c.bytes[g], funcs{
					func(now sim.Time) {
						for i := range res.sent[g] {
							res.sent[g][i] = now
						}
					},
					func(now sim.Time) {
						for i := range res.arrived[g] {
							res.arrived[g][i] = now
						}
					}}, 0)
				return
			}
			for i := range c.k[g] {
				i := i
				n.StartFlow(r, c.bytes[g], funcs{
					func(now sim.Time) { res.sent[g][i] = now },
					func(now sim.Time) { res.arrived[g][i] = now }}, 0)
			}
		})
	}
	s.Run()
	res.end = s.Now()
	res.stats = append([]ChannelStats(nil), n.Stats()...)
	return res
}

// timeNear is near for simulated times, with one tick of slack for the
// rounding of a time to the kernel's resolution.
func timeNear(a, b sim.Time, tol float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1 || float64(d) <= tol*math.Max(float64(a), float64(b))
}

// compareMerged reports the first difference between an unmerged and a
// merged run beyond 1e-9 relative: times, busy times and peak
// utilisation to that plus a tick (the kernel rounds every event to a
// picosecond, and the k unmerged flows, rated in another order, may
// drain a tick apart), channel bytes to that plus what the channel
// carries in two ticks (the bytes left when a drain is rounded).
func compareMerged(t testing.TB, f *Fabric, what string, want, got mergeResult) {
	t.Helper()
	const tol = 1e-9
	for g := range want.sent {
		for i := range want.sent[g] {
			if !timeNear(want.sent[g][i], got.sent[g][i], tol) || !timeNear(want.arrived[g][i], got.arrived[g][i], tol) {
				t.Fatalf("%s: group %d flow %d sent/arrived %v/%v unmerged, %v/%v merged", what, g, i,
					want.sent[g][i], want.arrived[g][i], got.sent[g][i], got.arrived[g][i])
			}
		}
	}
	if !timeNear(want.end, got.end, tol) {
		t.Fatalf("%s: ends at %v unmerged, %v merged", what, want.end, got.end)
	}
	for c := range want.stats {
		w, g := want.stats[c], got.stats[c]
		if math.Abs(w.Bytes-g.Bytes) > tol*math.Max(w.Bytes, g.Bytes)+2*f.chans[c].BytesPerS*sim.Picosecond.Seconds() || !timeNear(w.Busy, g.Busy, tol) || !near(w.PeakUtil, g.PeakUtil, tol) {
			t.Fatalf("%s: channel %d stats %+v unmerged, %+v merged", what, c, w, g)
		}
	}
}

// TestMergedMatchesUnmerged: on random groups of identical flows over
// small fabrics of every shape, a group run as one merged flow finishes
// every member when the unmerged run does, and leaves every channel with
// the same statistics, to 1e-9 relative (see Merged for why not to the
// bit); with every multiplicity 1 the runs are the same run, to the bit.
func TestMergedMatchesUnmerged(t *testing.T) {
	for _, tc := range mergeFabrics {
		f := load(t, tc.name, tc.domains)
		r := rand.New(rand.NewPCG(13, uint64(len(tc.name)+tc.domains)))
		for trial := range 6 {
			c := randomMergeCase(f, r, 5+trial*8)
			compareMerged(t, f, tc.name, runMergeCase(t, f, c, false), runMergeCase(t, f, c, true))
		}
	}
}

// TestMergedBitForBitWhenAlone: k flows alone on an idle fabric, started
// together, finish at the same times to the bit merged or not; channel
// statistics sum k rates in one product rather than k additions, so they
// agree to 1e-12 relative.
func TestMergedBitForBitWhenAlone(t *testing.T) {
	f := load(t, "hgx-h100", 2)
	dies := f.Topo.Dies()
	for _, k := range []int{2, 3, 7, 64} {
		c := mergeCase{src: []Vertex{f.Vertex(dies[0]), f.Vertex(dies[1])}, dst: []Vertex{f.Vertex(dies[9]), f.Vertex(dies[2])},
			k: []int{k, k + 1}, bytes: []float64{3e8, 1e7}}
		c.at = []sim.Time{0, 0}
		want, got := runMergeCase(t, f, c, false), runMergeCase(t, f, c, true)
		for g := range want.sent {
			for i := range want.sent[g] {
				if want.sent[g][i] != got.sent[g][i] || want.arrived[g][i] != got.arrived[g][i] {
					t.Fatalf("k=%d group %d: %v/%v unmerged, %v/%v merged", k, g, want.sent[g][i], want.arrived[g][i], got.sent[g][i], got.arrived[g][i])
				}
			}
		}
		for ch := range want.stats {
			w, g := want.stats[ch], got.stats[ch]
			if !near(w.Bytes, g.Bytes, 1e-12) || w.Busy != g.Busy || !near(w.PeakUtil, g.PeakUtil, 1e-12) {
				t.Fatalf("k=%d channel %d: %+v unmerged, %+v merged", k, ch, want.stats[ch], got.stats[ch])
			}
		}
	}
}

func TestMergedBadMultiplicity(t *testing.T) {
	f := load(t, "hgx-h100", 0)
	dies := f.Topo.Dies()
	r, err := f.Route(f.Vertex(dies[0]), f.Vertex(dies[1]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Merged(r, 0); err == nil {
		t.Fatal("multiplicity 0 accepted")
	}
	m, err := f.Merged(r, 4)
	if err != nil || m.Multiplicity() != 4 || r.Multiplicity() != 1 {
		t.Fatalf("Merged(r, 4): %v, multiplicity %d", err, m.Multiplicity())
	}
	if _, err := f.Merged(m, 2); err == nil {
		t.Fatal("merging a merged route accepted")
	}
	if same, _ := f.Merged(r, 1); same != r {
		t.Fatal("Merged(r, 1) is not r")
	}
}

// FuzzMergedMatchesUnmerged is TestMergedMatchesUnmerged on fuzzed cases.
func FuzzMergedMatchesUnmerged(f *testing.F) {
	fabrics := make([]*Fabric, len(mergeFabrics))
	for i, tc := range mergeFabrics {
		top, err := topology.Load(tc.name, tc.domains)
		if err != nil {
			f.Fatal(err)
		}
		fabrics[i] = NewFabric(top)
	}
	f.Add(uint64(1), uint8(0), uint8(10))
	f.Add(uint64(2), uint8(2), uint8(30))
	f.Add(uint64(3), uint8(3), uint8(3))
	f.Fuzz(func(t *testing.T, seed uint64, fabric, groups uint8) {
		fab := fabrics[int(fabric)%len(fabrics)]
		c := randomMergeCase(fab, rand.New(rand.NewPCG(seed, 1)), 1+int(groups)%40)
		compareMerged(t, fab, "fuzz", runMergeCase(t, fab, c, false), runMergeCase(t, fab, c, true))
	})
}

// TestChannelOrbits: with no automorphism every channel is an orbit of
// its own; with the rotation of an HGX pair's GPUs by one within each
// node, every channel is in its image's orbit, an orbit's channels share
// a capacity, classes are numbered by first channel, and the GPU-switch
// channels of a node fall into as few orbits as the rotation allows.
func TestChannelOrbits(t *testing.T) {
	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		t.Fatal(err)
	}
	f := NewFabric(top)
	class, n := f.ChannelOrbits(nil)
	if n != len(f.Channels()) {
		t.Fatalf("no automorphism: %d orbits of %d channels", n, len(f.Channels()))
	}
	for c, k := range class {
		if int(k) != c {
			t.Fatalf("no automorphism: channel %d in class %d", c, k)
		}
	}
	dies := top.Dies()
	from, to := make([]Vertex, len(dies)), make([]Vertex, len(dies))
	for i, d := range dies {
		from[i] = f.Vertex(d)
		to[i] = f.Vertex(dies[i/8*8+(i%8+1)%8])
	}
	perm, ok := f.Automorphism(from, to)
	if !ok {
		t.Fatal("the rotation of every node's GPUs is not an automorphism")
	}
	class, n = f.ChannelOrbits([][]Vertex{perm})
	if n >= len(f.Channels()) {
		t.Fatalf("rotation: %d orbits of %d channels", n, len(f.Channels()))
	}
	next := int32(0)
	for c, ch := range f.Channels() {
		if class[c] > next {
			t.Fatalf("channel %d opens class %d before class %d", c, class[c], next)
		}
		if class[c] == next {
			next++
		}
		u, v := perm[ch.From], perm[ch.To]
		if u < 0 || v < 0 {
			continue
		}
		im := f.chanBetween(u, v)
		if im < 0 || class[im] != class[c] {
			t.Fatalf("channel %d and its image %d in classes %d and %d", c, im, class[c], class[im])
		}
		if f.Channels()[im].BytesPerS != ch.BytesPerS {
			t.Fatalf("channel %d and its image differ in capacity", c)
		}
	}
}
