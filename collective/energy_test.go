package collective

import (
	"math"
	"testing"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/topology"
)

// TestEnergyDoublesWithSize: on an uncontended path, a transfer twice as
// large takes twice the energy above the whole system's idle floor, and
// the parts of the energy add up to the whole.
func TestEnergyDoublesWithSize(t *testing.T) {
	top, err := topology.Load("hgx-h100", 0)
	if err != nil {
		t.Fatal(err)
	}
	f := network.NewFabric(top)
	g, err := NewGroup(f, Placement{Ranks: 2})
	if err != nil {
		t.Fatal(err)
	}
	above := func(bytes float64) float64 {
		r, err := runTuned(g, SendRecv, Direct, bytes, Options{Protocol: Simple}, false)
		if err != nil {
			t.Fatal(err)
		}
		e, err := power.ActivityEnergy(top, r.Activity)
		if err != nil {
			t.Fatal(err)
		}
		floor, err := power.ActivityEnergy(top, power.Run{DurationS: r.Activity.DurationS,
			AccelCommS: make([]float64, len(top.Accels)), SwitchBytes: make([]float64, len(top.Switches))})
		if err != nil {
			t.Fatal(err)
		}
		return e.ITJ - floor.ITJ
	}
	one, two := above(4<<30), above(8<<30)
	if one <= 0 || math.Abs(two/one-2) > 0.01 {
		t.Errorf("energy above idle: %g J at 4 GiB, %g J at 8 GiB; want twice", one, two)
	}
}
