package power

import (
	"fmt"

	"github.com/cardsea/cardsea/topology"
)

// Component is one line of a power budget.
type Component string

// Budget components, in report order.
const (
	Accelerators Component = "accelerators"
	CPUs         Component = "cpus"
	Switches     Component = "switches"
	Optics       Component = "optics"
	NICs         Component = "nics"
	Servers      Component = "server_overhead"
)

// Components lists the IT components in report order.
var Components = [...]Component{Accelerators, CPUs, Switches, Optics, NICs, Servers}

// Mode is how power is accounted.
type Mode string

// Accounting modes.
const (
	// Provisioned counts every component at its rated power.
	Provisioned Mode = "provisioned"
)

// Budget is power by component, in watts.
type Budget struct {
	Mode Mode
	// IT is the power of each component (same order as Components), and
	// Facility the same with each rack's cooling and distribution overhead.
	IT       [len(Components)]float64
	Facility [len(Components)]float64
	// ITW is the sum of IT.
	ITW float64
	// FacilityW is ITW plus cooling and power distribution overhead (PUE).
	FacilityW float64
}

// CoolingW is the facility overhead above the IT load.
func (b Budget) CoolingW() float64 { return b.FacilityW - b.ITW }

// Of returns one component's power.
func (b Budget) Of(c Component) float64 {
	for i, k := range Components {
		if k == c {
			return b.IT[i]
		}
	}
	return 0
}

// ProvisionedBudget computes the nameplate power budget of a topology.
func ProvisionedBudget(t *topology.Topology) (Budget, error) {
	b := Budget{Mode: Provisioned}
	pue := func(c topology.Cooling) (float64, error) {
		if c == "" {
			c = t.Cooling
		}
		p, ok := t.PUE[c]
		if !ok {
			return 0, fmt.Errorf("%s: no PUE for %s-cooled racks; add it under power.pue", t.Name, c)
		}
		if p < 1 {
			return 0, fmt.Errorf("%s: PUE %g for %s cooling is below 1", t.Name, p, c)
		}
		return p, nil
	}
	compute, err := pue(t.Cooling)
	if err != nil {
		return b, err
	}
	add := func(i int, w, factor float64) {
		b.IT[i] += w
		b.Facility[i] += w * factor
		b.FacilityW += w * factor
	}
	for _, a := range t.Accels {
		add(0, a.Spec.MaxW, compute)
	}
	for _, c := range t.CPUs {
		add(1, c.Spec.MaxW, compute)
	}
	for _, s := range t.Switches {
		p, err := pue(s.Spec.Cooling)
		if err != nil {
			return b, err
		}
		add(2, s.Spec.PowerW, p)
	}
	endPUE := func(n topology.NodeID) (float64, error) {
		node := t.Nodes[n]
		if node.Kind == topology.KindSwitch {
			return pue(t.Switches[node.Index].Spec.Cooling)
		}
		return compute, nil
	}
	for _, l := range t.Links {
		if l.Modules == 0 {
			continue
		}
		if l.Optics < 0 {
			return b, fmt.Errorf("%s: a %s link has optical modules but no module type", t.Name, l.Class)
		}
		w := l.Modules * t.Optics[l.Optics].PowerW
		pa, err := endPUE(l.A)
		if err != nil {
			return b, err
		}
		pb, err := endPUE(l.B)
		if err != nil {
			return b, err
		}
		add(3, w/2, pa)
		add(3, w/2, pb)
	}
	for _, n := range t.NICs {
		add(4, n.Spec.PowerW, compute)
		if m := float64(n.Spec.Ports) * n.Spec.ModulesPerPort; m > 0 {
			if n.Spec.Optics < 0 {
				return b, fmt.Errorf("%s: NIC %s has optical modules but no module type", t.Name, n.Spec.Name)
			}
			add(3, m*t.Optics[n.Spec.Optics].PowerW, compute)
		}
	}
	add(5, float64(t.Servers)*t.ServerOverheadW, compute)
	for _, w := range b.IT {
		b.ITW += w
	}
	return b, nil
}
