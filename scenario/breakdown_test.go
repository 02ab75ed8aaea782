package scenario

import (
	"math"
	"testing"

	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/topology"
)

// TestEnergyBreakdownSums: the components and the cooling overhead add up
// to the facility energy, in both accounting modes, and the columns match
// the cells.
func TestEnergyBreakdownSums(t *testing.T) {
	top, err := topology.Load("cm384", 0)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := power.ProvisionedEnergy(top, 2)
	if err != nil {
		t.Fatal(err)
	}
	act, err := power.ActivityEnergy(top, power.Run{DurationS: 2,
		AccelCommS: make([]float64, len(top.Accels)), SwitchBytes: make([]float64, len(top.Switches))})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []power.Energy{prov, act} {
		for _, share := range []float64{1, 0.25} {
			cells := EnergyBreakdown(e, share)
			if len(cells) != len(EnergyBreakdownColumns) {
				t.Fatalf("%d cells for %d columns", len(cells), len(EnergyBreakdownColumns))
			}
			sum := 0.0
			for _, c := range cells {
				sum += c.(float64)
			}
			if want := e.FacilityJ * share; math.Abs(sum-want) > 1e-9*want {
				t.Errorf("%s share %g: components sum to %g J, facility energy %g J", e.Mode, share, sum, want)
			}
		}
	}
}
