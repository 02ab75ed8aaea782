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
			key := s.topologyKey(pi, ti)
			fab, ok := built[key]
			if !ok {
				t, err := s.build(pi, ti)
				if err != nil {
					return err
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

// topologyKey names topology ti of point pi by what builds it: the file,
// the domain count, the overrides and the faults. Points that build the
// same topology share a key.
func (s *Scenario) topologyKey(pi, ti int) string {
	ref, ct := s.Points[pi].File.Topologies[ti], s.Points[pi].jobs.topos[ti]
	key := fmt.Sprintf("%s|%d|%v", ref.topologyName(s.Path), ref.Domains, ct.overrides)
	if len(ct.faults) > 0 {
		key += fmt.Sprintf("|faults%q", ref.Faults)
	}
	return key
}

// build builds topology ti of point pi: its preset or file with the
// domains and overrides, and its faults, parsed when the point was
// checked.
func (s *Scenario) build(pi, ti int) (*topology.Topology, error) {
	ref, ct := s.Points[pi].File.Topologies[ti], s.Points[pi].jobs.topos[ti]
	t, err := topology.LoadWith(ref.topologyName(s.Path), ref.Domains, ct.overrides)
	if err != nil {
		return nil, fmt.Errorf("%s: topologies[%d] (%s): %w", s.Path, ti, ref.label(), err)
	}
	if len(ct.faults) > 0 {
		if t, err = t.WithFaults(ct.faults); err != nil {
			return nil, fmt.Errorf("%s: topologies[%d].faults (%s): %w", s.Path, ti, ref.label(), err)
		}
	}
	return t, nil
}
