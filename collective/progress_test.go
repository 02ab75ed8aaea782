package collective

import (
	"strings"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// TestProgress: a run with a Progress gives the result of one without,
// to the bit, and ends reporting the candidate taken, every byte
// carried.
func TestProgress(t *testing.T) {
	defer func(step int) { pauseCheck = step }(pauseCheck)
	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		t.Fatal(err)
	}
	// A failed link breaks the symmetry, so the run goes event by event.
	fs, err := topology.ParseFaults([]string{"link:d0.acc0-d0.sw0"})
	if err != nil {
		t.Fatal(err)
	}
	if top, err = top.WithFaults(fs); err != nil {
		t.Fatal(err)
	}
	for _, algo := range []Algorithm{Ring, Auto} {
		run := func(p *Progress) Result {
			g, err := NewGroup(network.NewFabric(top), Placement{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := runTuned(g, AllReduce, algo, 1<<28, Options{Progress: p}, true)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		plain := run(nil)
		p := &Progress{}
		watched := run(p)
		if plain.TimeS != watched.TimeS || plain.Algorithm != watched.Algorithm || plain.Protocol != watched.Protocol {
			t.Errorf("%s: with a Progress %s/%s %.9g s, without %s/%s %.9g s", algo, watched.Algorithm, watched.Protocol, watched.TimeS,
				plain.Algorithm, plain.Protocol, plain.TimeS)
		}
		if f, ok := p.Fraction(); !ok || f != 1 {
			t.Errorf("%s: fraction at the end %g (%v), want 1", algo, f, ok)
		}
		if s := p.String(); !strings.HasPrefix(s, "simulat") || !strings.HasSuffix(s, "100% of its bytes carried") {
			t.Errorf("%s: progress %q", algo, s)
		}
	}
	var nilP *Progress
	if s := nilP.String(); s != "" {
		t.Errorf("nil Progress says %q", s)
	}
}
