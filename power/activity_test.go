package power

import (
	"math"
	"testing"

	"github.com/cardsea/cardsea/topology"
)

func run(t *topology.Topology, dur float64, comm float64, switchBytes float64) Run {
	r := Run{DurationS: dur, AccelCommS: make([]float64, len(t.Accels)), SwitchBytes: make([]float64, len(t.Switches))}
	for i := range r.AccelCommS {
		r.AccelCommS[i] = comm
	}
	for i := range r.SwitchBytes {
		r.SwitchBytes[i] = switchBytes
	}
	return r
}

// TestEnergyConserved: components add up to the total, in both modes.
func TestEnergyConserved(t *testing.T) {
	for _, name := range topology.PresetNames() {
		top, err := topology.Load(name, 0)
		if err != nil {
			t.Fatal(err)
		}
		a, err := ActivityEnergy(top, run(top, 1e-3, 1e-3, 1e9))
		if err != nil {
			t.Fatal(err)
		}
		p, err := ProvisionedEnergy(top, 1e-3)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []Energy{a, p} {
			var sum float64
			for _, j := range e.IT {
				sum += j
			}
			if math.Abs(sum-e.ITJ) > 1e-9*e.ITJ || e.FacilityJ < e.ITJ || e.PeakITW < e.AvgITW*(1-1e-12) {
				t.Errorf("%s %s: parts %g, IT %g J, facility %g J, avg %g peak %g W", name, e.Mode, sum, e.ITJ, e.FacilityJ, e.AvgITW, e.PeakITW)
			}
		}
		if a.ITJ > p.ITJ*(1+1e-9) {
			t.Errorf("%s: activity energy %g J above provisioned %g J", name, a.ITJ, p.ITJ)
		}
	}
}

// TestEnergyScales: twice the time communicating and twice the bytes add
// twice the energy above the idle floor.
func TestEnergyScales(t *testing.T) {
	top, err := topology.Load("gb200-nvl72", 0)
	if err != nil {
		t.Fatal(err)
	}
	floor, _ := ActivityEnergy(top, run(top, 2e-3, 0, 0))
	one, _ := ActivityEnergy(top, run(top, 2e-3, 1e-3, 1e9))
	two, _ := ActivityEnergy(top, run(top, 2e-3, 2e-3, 2e9))
	if d1, d2 := one.ITJ-floor.ITJ, two.ITJ-floor.ITJ; math.Abs(d2-2*d1) > 1e-9*d2 {
		t.Errorf("above the floor: %g J then %g J, want double", d1, d2)
	}
}

func TestActivityErrors(t *testing.T) {
	top, _ := topology.Load("hgx-h100", 0)
	if _, err := ActivityEnergy(top, Run{DurationS: 1}); err == nil {
		t.Error("want an error for activity of the wrong shape")
	}
	if _, err := ActivityEnergy(top, Run{DurationS: math.NaN()}); err == nil {
		t.Error("want an error for a NaN duration")
	}
	if _, err := ParseMode("nameplate"); err == nil {
		t.Error("want an error for an unknown mode")
	}
}

// TestAccountIsTheModeSwitch: Account gives exactly what the mode's own
// function gives.
func TestAccountIsTheModeSwitch(t *testing.T) {
	top, err := topology.Load("hgx-h100", 0)
	if err != nil {
		t.Fatal(err)
	}
	r := run(top, 2e-3, 1e-3, 1e9)
	for _, mode := range []Mode{Provisioned, Activity} {
		got, err := Account(top, mode, 3e-3, r)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := ActivityEnergy(top, r)
		if mode == Provisioned {
			want, _ = ProvisionedEnergy(top, 3e-3)
		}
		if got.Mode != mode || got.ITJ != want.ITJ || got.FacilityJ != want.FacilityJ || got.PeakITW != want.PeakITW {
			t.Errorf("%s: Account %+v, want %+v", mode, got, want)
		}
	}
}
