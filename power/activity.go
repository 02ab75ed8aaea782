package power

import (
	"fmt"
	"math"

	"github.com/cardsea/cardsea/topology"
)

// Activity mode (see the package comment) integrates power over what each
// component did during a run:
//
//	accelerator  while computing: idle_power + (max_power - idle_power) x load,
//	             load the mean of LoadFactor over its operators (1 when the
//	             run does not say: every operator compute-bound);
//	             comm_power while only communicating, idle_power otherwise
//	switch chip  idle_power + (power - idle_power) x its ports' utilisation
//	CPU          idle_power (neither collectives nor the modelled workloads
//	             load the host)
//	server rest  overhead_idle_power + (overhead_load_power -
//	             overhead_idle_power) x the server's accelerator load (fans
//	             and power conversion losses follow the heat), or the rated
//	             overhead_power when the preset gives no at-load figures
//	NIC, optics  their rated power, all the time
//
// Power is piecewise constant between the run's events and each term is
// either constant or proportional to bytes carried or to busy time, so the
// energy is exact from the totals: no sampling.
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
	// AccelComputeS is, per accelerator, the seconds it spent computing;
	// nil for none. Compute and communication that overlap count as
	// compute.
	AccelComputeS []float64
	// AccelLoad is, per accelerator, the share of its dynamic power range
	// (max_power - idle_power) it drew on average while computing: the
	// time-weighted mean of LoadFactor over its operators. Nil (or a
	// shorter slice) reads as 1, every operator at maximum power.
	AccelLoad []float64
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
	// ScaleOutSwitchJ is the part of the switches' energy spent by the
	// scale-out network's switches (outside every scale-up domain).
	ScaleOutSwitchJ float64
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
	for _, s := range t.Switches {
		if s.Domain < 0 {
			e.ScaleOutSwitchJ += s.Spec.PowerW * durationS
		}
	}
	return e, nil
}

// Of returns one component's energy in joules.
func (e Energy) Of(c Component) float64 { return e.IT[index(c)] }

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
	// Per server: the accelerators' dynamic energy and its ceiling, for
	// the load-following part of the server overhead.
	serverDyn := make([]float64, t.Servers)
	serverDynMax := make([]float64, t.Servers)
	serverPeak := make([]float64, t.Servers)
	for i, a := range t.Accels {
		comm := a.Spec.CommW
		if comm == 0 {
			comm = a.Spec.IdleW
		}
		busy, load := 0.0, 1.0
		if i < len(r.AccelComputeS) {
			busy = math.Min(math.Max(r.AccelComputeS[i], 0), T)
		}
		if i < len(r.AccelLoad) {
			load = math.Min(math.Max(r.AccelLoad[i], 0), 1)
		}
		c := math.Min(math.Max(r.AccelCommS[i], 0), T-busy)
		dynRange := a.Spec.MaxW - a.Spec.IdleW
		active := a.Spec.IdleW + dynRange*load
		add(0, active*busy+comm*c+a.Spec.IdleW*(T-busy-c), compute)
		var p float64
		switch {
		case busy > 0:
			p = active
		case c > 0:
			p = comm
		default:
			p = a.Spec.IdleW
		}
		peak += p
		if s := int(a.Server); s >= 0 && s < t.Servers && dynRange > 0 {
			serverDyn[s] += dynRange*load*busy + (comm-a.Spec.IdleW)*c
			serverDynMax[s] += dynRange * T
			serverPeak[s] = math.Max(serverPeak[s], (p-a.Spec.IdleW)/dynRange)
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
		if s.Domain < 0 {
			e.ScaleOutSwitchJ += idle*T + dyn
		}
		peak += idle
	}
	// Optics and NICs draw their rating all the time; charge them like the
	// provisioned budget, with its cooling split.
	for _, c := range []Component{Optics, NICs} {
		i := index(c)
		e.IT[i] += b.IT[i] * T
		facility += b.Facility[i] * T
		peak += b.IT[i]
	}
	// The rest of each server: its rating, or idle plus the part that
	// follows the server's accelerator load.
	if idle, load := t.ServerOverheadIdleW, t.ServerOverheadLoadW; load > 0 {
		for s := range t.Servers {
			frac := 0.0
			if serverDynMax[s] > 0 {
				frac = math.Min(math.Max(serverDyn[s]/serverDynMax[s]*T, 0), T)
			}
			add(index(Servers), idle*T+(load-idle)*frac, compute)
			peak += idle + (load-idle)*serverPeak[s]
		}
	} else {
		i := index(Servers)
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

// Account is the one place a workload's energy is computed from what it
// did, in the mode asked: provisioned charges every component at its
// rated power for durationS; activity charges what run says each part did
// (run.DurationS is its span). Every workload (collectives, inference,
// training, scenarios) calls it, so the mode switch has one home.
func Account(t *topology.Topology, mode Mode, durationS float64, run Run) (Energy, error) {
	if mode == Provisioned {
		return ProvisionedEnergy(t, durationS)
	}
	return ActivityEnergy(t, run)
}
