package power

import (
	"fmt"
	"math"

	"github.com/cardsea/cardsea/topology"
)

// Activity mode (see the package comment) integrates power over what each
// component did during a run:
//
//	accelerator  max_power while computing, comm_power while only
//	             communicating, idle_power otherwise
//	switch chip  idle_power + (power - idle_power) x its ports' utilisation
//	CPU          idle_power (a collective does not load the host)
//	NIC, optics, server overhead   their rated power, all the time
//
// Power is piecewise constant between the run's events and each term is
// either constant or proportional to bytes carried, so the energy is exact
// from the totals: no sampling.
const Activity Mode = "activity"

// ParseMode parses "provisioned" or "activity".
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case Provisioned, Activity:
		return Mode(s), nil
	}
	return "", fmt.Errorf("unknown power mode %q (want provisioned or activity)", s)
}

// Run is what a topology's components did during a run.
type Run struct {
	// DurationS is the length of the run in seconds.
	DurationS float64
	// AccelCommS is, per accelerator (index into Topology.Accels), the
	// seconds it spent communicating.
	AccelCommS []float64
	// AccelComputeS is, per accelerator, the seconds it spent computing (at
	// its maximum power); nil for none. Compute and communication that
	// overlap count as compute.
	AccelComputeS []float64
	// SwitchBytes is, per switch chip (index into Topology.Switches), the
	// bytes that entered it.
	SwitchBytes []float64
	// SwitchPeakUtil is, per switch chip, the highest utilisation of its
	// ingress during the run (for the peak power bound).
	SwitchPeakUtil []float64
}

// Energy is energy by component over a run, in joules, with the power
// figures derived from it.
type Energy struct {
	Mode      Mode
	DurationS float64
	// IT holds joules per component (same order as Components).
	IT        [len(Components)]float64
	ITJ       float64
	FacilityJ float64
	// AvgITW and AvgFacilityW are the energies over the duration.
	AvgITW, AvgFacilityW float64
	// PeakITW is the highest IT power during the run (activity mode: an
	// upper bound from each switch's peak utilisation).
	PeakITW float64
}

// ProvisionedEnergy counts every component at its rated power for the
// whole run, as capacity planners do.
func ProvisionedEnergy(t *topology.Topology, durationS float64) (Energy, error) {
	b, err := ProvisionedBudget(t)
	if err != nil {
		return Energy{}, err
	}
	e := Energy{Mode: Provisioned, DurationS: durationS}
	for i, w := range b.IT {
		e.IT[i] = w * durationS
	}
	e.ITJ = b.ITW * durationS
	e.FacilityJ = b.FacilityW * durationS
	e.AvgITW, e.AvgFacilityW, e.PeakITW = b.ITW, b.FacilityW, b.ITW
	return e, nil
}

// ActivityEnergy integrates the power of what each component did.
func ActivityEnergy(t *topology.Topology, r Run) (Energy, error) {
	if r.DurationS < 0 || math.IsNaN(r.DurationS) {
		return Energy{}, fmt.Errorf("run duration %g s is not a duration", r.DurationS)
	}
	if len(r.AccelCommS) != len(t.Accels) || len(r.SwitchBytes) != len(t.Switches) {
		return Energy{}, fmt.Errorf("activity covers %d accelerators and %d switches; %s has %d and %d",
			len(r.AccelCommS), len(r.SwitchBytes), t.Name, len(t.Accels), len(t.Switches))
	}
	// The provisioned budget gives the static terms and each rack's PUE.
	b, err := ProvisionedBudget(t)
	if err != nil {
		return Energy{}, err
	}
	T := r.DurationS
	e := Energy{Mode: Activity, DurationS: T}
	compute := t.PUE[t.Cooling]
	var facility, peak float64
	add := func(i int, j, factor float64) {
		e.IT[i] += j
		facility += j * factor
	}
	for i, a := range t.Accels {
		comm := a.Spec.CommW
		if comm == 0 {
			comm = a.Spec.IdleW
		}
		busy := 0.0
		if i < len(r.AccelComputeS) {
			busy = math.Min(math.Max(r.AccelComputeS[i], 0), T)
		}
		c := math.Min(math.Max(r.AccelCommS[i], 0), T-busy)
		add(0, a.Spec.MaxW*busy+comm*c+a.Spec.IdleW*(T-busy-c), compute)
		switch {
		case busy > 0:
			peak += a.Spec.MaxW
		case c > 0:
			peak += comm
		default:
			peak += a.Spec.IdleW
		}
	}
	for _, c := range t.CPUs {
		add(1, c.Spec.IdleW*T, compute)
		peak += c.Spec.IdleW
	}
	for i, s := range t.Switches {
		idle := s.Spec.IdleW
		if idle == 0 {
			idle = s.Spec.PowerW
		}
		factor, ok := t.PUE[s.Spec.Cooling]
		if s.Spec.Cooling == "" || !ok {
			factor = compute
		}
		dyn := 0.0
		if capacity := float64(s.Spec.Ports) * s.Spec.PortBytesPerS; capacity > 0 && s.Spec.PowerW > idle {
			dyn = (s.Spec.PowerW - idle) * r.SwitchBytes[i] / capacity
			if i < len(r.SwitchPeakUtil) {
				peak += (s.Spec.PowerW - idle) * math.Min(r.SwitchPeakUtil[i], 1)
			}
		}
		add(2, idle*T+dyn, factor)
		peak += idle
	}
	// Optics, NICs and the rest of each server draw their rating all the
	// time; charge them like the provisioned budget, with its cooling split.
	for _, c := range []Component{Optics, NICs, Servers} {
		i := index(c)
		e.IT[i] += b.IT[i] * T
		facility += b.Facility[i] * T
		peak += b.IT[i]
	}
	for _, j := range e.IT {
		e.ITJ += j
	}
	e.FacilityJ = facility
	if T > 0 {
		e.AvgITW = e.ITJ / T
		e.AvgFacilityW = e.FacilityJ / T
	}
	e.PeakITW = math.Max(peak, e.AvgITW)
	return e, nil
}

func index(c Component) int {
	for i, k := range Components {
		if k == c {
			return i
		}
	}
	panic("power: unknown component " + string(c))
}
