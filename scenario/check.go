package scenario

// CheckPlacements builds every topology of every point and places each
// collective workload's ranks and groups on it, without simulating: the
// errors a run would stop at first (too many ranks, groups that do not
// divide them, faults that name nothing), each naming the file and field.
func (s *Scenario) CheckPlacements() error { return s.Study().CheckPlacements() }
