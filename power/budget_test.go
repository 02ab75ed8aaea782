package power

import (
	"math"
	"testing"

	"github.com/cardsea/cardsea/topology"
)

// TestSemiAnalysisAllIn checks the two headline systems against the
// SemiAnalysis all-in power (hardware.md §1.6): 559 kW and 145 kW within
// 10%. "All-in" there is IT power including networking, before PUE.
func TestSemiAnalysisAllIn(t *testing.T) {
	for _, tc := range []struct {
		name string
		want float64
	}{{"cm384", 559e3}, {"gb200-nvl72", 145e3}} {
		top, err := topology.Load(tc.name, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ProvisionedBudget(top)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(b.ITW-tc.want) > 0.10*tc.want {
			t.Errorf("%s: IT power %.1f kW, want %.0f kW within 10%%", tc.name, b.ITW/1e3, tc.want/1e3)
		}
		t.Logf("%s: IT %.1f kW (%.1f%% off), facility %.1f kW", tc.name, b.ITW/1e3, 100*(b.ITW-tc.want)/tc.want, b.FacilityW/1e3)
	}
}

// TestBudgetInvariants holds for every preset: the components add up to the
// IT total, every component is non-negative, and the facility draws at least
// the IT load.
func TestBudgetInvariants(t *testing.T) {
	for _, name := range topology.PresetNames() {
		top, err := topology.Load(name, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ProvisionedBudget(top)
		if err != nil {
			t.Fatal(err)
		}
		var sum float64
		for i, c := range Components {
			if b.IT[i] < 0 {
				t.Errorf("%s: %s power %g < 0", name, c, b.IT[i])
			}
			sum += b.IT[i]
		}
		if math.Abs(sum-b.ITW) > 1e-9*b.ITW {
			t.Errorf("%s: components sum to %g, IT total %g", name, sum, b.ITW)
		}
		if b.FacilityW < b.ITW || b.Of(Accelerators) <= 0 {
			t.Errorf("%s: facility %g < IT %g, or no accelerator power", name, b.FacilityW, b.ITW)
		}
	}
}

// TestMixedCooling: CloudMatrix's L2 switches sit in air-cooled racks, so
// its facility factor lies between the liquid and air PUEs.
func TestMixedCooling(t *testing.T) {
	top, err := topology.Load("cm384", 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ProvisionedBudget(top)
	if err != nil {
		t.Fatal(err)
	}
	f := b.FacilityW / b.ITW
	if f <= top.PUE[topology.Liquid] || f >= top.PUE[topology.Air] {
		t.Errorf("facility factor %.3f, want between %.2f and %.2f", f, top.PUE[topology.Liquid], top.PUE[topology.Air])
	}
}

// TestMultiDomainScales: twenty NVL72 racks draw at least twenty times one
// rack, plus the scale-out switches and optics.
func TestMultiDomainScales(t *testing.T) {
	one, _ := topology.Load("gb200-nvl72", 0)
	twenty, err := topology.Load("gb200-nvl72", 20)
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := ProvisionedBudget(one)
	b20, _ := ProvisionedBudget(twenty)
	if b20.Of(Accelerators) != 20*b1.Of(Accelerators) {
		t.Errorf("accelerator power %g, want 20 x %g", b20.Of(Accelerators), b1.Of(Accelerators))
	}
	if b20.Of(Switches) <= 20*b1.Of(Switches) || b20.Of(Optics) <= 20*b1.Of(Optics) {
		t.Errorf("scale-out switches and optics missing: %+v", b20)
	}
}

func TestMissingPUE(t *testing.T) {
	top, err := topology.Load("cm384", 0)
	if err != nil {
		t.Fatal(err)
	}
	delete(top.PUE, topology.Air)
	if _, err := ProvisionedBudget(top); err == nil {
		t.Fatal("want an error for the air-cooled racks' missing PUE")
	}
}
