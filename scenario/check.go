package scenario

import (
	"fmt"

	"github.com/cardsea/cardsea/network"
	"github.com/cardsea/cardsea/topology"
)

// CheckPlacements builds every topology of every point and places each
// collective workload's ranks and groups on it, without simulating: the
// errors a run would stop at first (too many ranks, groups that do not
// divide them, faults that name nothing), each naming the file and field.
func (s *Scenario) CheckPlacements() error {
	built := map[string]*network.Fabric{}
	for pi := range s.Points {
		f := s.Points[pi].File
		for ti, ref := range f.Topologies {
			ovr, _ := flatten(ref.Overrides, "")
			name := ref.topologyName(s.Path)
			key := fmt.Sprintf("%s|%d|%v|%q", name, ref.Domains, ovr, ref.Faults)
			fab, ok := built[key]
			if !ok {
				t, err := topology.LoadWith(name, ref.Domains, ovr)
				if err != nil {
					return fmt.Errorf("%s: topologies[%d] (%s): %w", s.Path, ti, ref.label(), err)
				}
				if len(ref.Faults) > 0 {
					fs, _ := topology.ParseFaults(ref.Faults) // checked on load
					if t, err = t.WithFaults(fs); err != nil {
						return fmt.Errorf("%s: topologies[%d].faults (%s): %w", s.Path, ti, ref.label(), err)
					}
				}
				fab = network.NewFabric(t)
				built[key] = fab
			}
			for wi, j := range s.Points[pi].jobs.coll {
				if j == nil {
					continue
				}
				if _, err := j.Place(fab); err != nil {
					return fmt.Errorf("%s: workloads[%d] on %s: %w", s.Path, wi, ref.label(), err)
				}
			}
		}
	}
	return nil
}
