package network

import (
	"math/rand/v2"
	"testing"

	"github.com/cardsea/cardsea/sim"
)

// loadLog integrates observed loads, keeping the last report per time.
type loadLog struct {
	last  []float64
	since []sim.Time
	bytes []float64
	calls int
}

func (l *loadLog) LoadChanged(ch int32, at sim.Time, bps float64) {
	l.calls++
	l.bytes[ch] += l.last[ch] * (at - l.since[ch]).Seconds()
	l.last[ch], l.since[ch] = bps, at
}

// TestObserver: the loads an observer sees integrate to every channel's
// bytes, end at zero, and observing changes nothing.
func TestObserver(t *testing.T) {
	f := load(t, "cm384", 0)
	dies := f.Topo.Dies()
	runOnce := func(obs *loadLog) ([]sim.Time, []ChannelStats, int) {
		r := rand.New(rand.NewPCG(3, 9))
		s := sim.New()
		n := New(f, s)
		if obs != nil {
			n.Observe(obs)
		}
		var ends []sim.Time
		for range 80 {
			a, b := dies[r.IntN(len(dies))], dies[r.IntN(len(dies))]
			if a == b {
				continue
			}
			at := sim.Time(r.IntN(20)) * sim.Microsecond
			bytes := float64(1+r.IntN(100)) * 1e5
			k := len(ends)
			ends = append(ends, 0)
			s.Schedule(at, func(sim.Time) {
				n.Start(f.Vertex(a), f.Vertex(b), bytes, nil, func(now sim.Time) { ends[k] = now })
			})
		}
		s.Run()
		return ends, append([]ChannelStats(nil), n.Stats()...), n.Solves
	}
	nc := len(f.Channels())
	obs := &loadLog{last: make([]float64, nc), since: make([]sim.Time, nc), bytes: make([]float64, nc)}
	e1, st1, s1 := runOnce(nil)
	e2, st2, s2 := runOnce(obs)
	if s1 != s2 {
		t.Errorf("solves %d observed, %d not", s2, s1)
	}
	for i := range e1 {
		if e1[i] != e2[i] {
			t.Fatalf("flow %d ends at %v observed, %v not", i, e2[i], e1[i])
		}
	}
	if obs.calls == 0 {
		t.Fatal("observer never called")
	}
	for c := range st1 {
		if st1[c] != st2[c] {
			t.Errorf("channel %d: stats %+v observed, %+v not", c, st2[c], st1[c])
		}
		if obs.last[c] != 0 {
			t.Errorf("channel %d ends with load %g", c, obs.last[c])
		}
		if !near(obs.bytes[c], st2[c].Bytes, 1e-9) && st2[c].Bytes > 1e-3 {
			t.Errorf("channel %d: observed loads integrate to %g bytes, stats say %g", c, obs.bytes[c], st2[c].Bytes)
		}
	}
}
