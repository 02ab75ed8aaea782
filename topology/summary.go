package topology

// TierCount is how many switch chips of one kind sit in one tier.
type TierCount struct {
	Tier  string
	Chip  string
	Count int
}

// Summary holds the aggregates users compare between topologies, in SI
// base units.
type Summary struct {
	Name, Title  string
	Domains      int
	Servers      int
	Accelerators int
	Dies         int
	CPUs         int
	NICs         int
	// Transport is the scale-out network's (infiniband, roce; "" where
	// the file does not say).
	Transport      string
	SwitchChips    int
	SwitchTiers    []TierCount
	Links          int // physical links (lanes), every class
	OpticalModules int
	PeakFLOPS      [NumDtypes]float64
	HBMBytes       float64
	HBMBytesPerS   float64
	// ScaleUpBytesPerSPerAccel is the fabric bandwidth of one accelerator,
	// per direction: its links to the scale-up fabric, not die-to-die or NIC.
	ScaleUpBytesPerSPerAccel float64
	// ScaleOutBytesPerSPerAccel is the NIC bandwidth of one accelerator, per direction.
	ScaleOutBytesPerSPerAccel float64
}

// Summarize computes the aggregates of a topology (all but the bisection,
// which needs a max-flow: call Bisection for it).
func Summarize(t *Topology) Summary {
	s := Summary{
		Name: t.Name, Title: t.Title,
		Domains: t.Domains, Servers: t.Servers,
		Accelerators: len(t.Accels), CPUs: len(t.CPUs), NICs: len(t.NICs), Transport: t.Transport,
		SwitchChips: len(t.Switches),
	}
	tiers := map[[2]string]int{}
	var order [][2]string
	for _, sw := range t.Switches {
		k := [2]string{sw.Tier, sw.Spec.Name}
		if _, ok := tiers[k]; !ok {
			order = append(order, k)
		}
		tiers[k]++
	}
	for _, k := range order {
		s.SwitchTiers = append(s.SwitchTiers, TierCount{Tier: k[0], Chip: k[1], Count: tiers[k]})
	}
	var modules float64
	for _, l := range t.Links {
		s.Links += int(l.Lanes)
		modules += l.Modules
	}
	for _, n := range t.NICs {
		modules += float64(n.Spec.Ports) * n.Spec.ModulesPerPort
		s.ScaleOutBytesPerSPerAccel += float64(n.Spec.Ports) * n.Spec.PortBytesPerS
	}
	s.OpticalModules = int(modules + 0.5)
	for _, a := range t.Accels {
		s.Dies += len(a.Dies)
		for d := range NumDtypes {
			s.PeakFLOPS[d] += a.Spec.PeakFLOPS[d]
		}
		s.HBMBytes += a.Spec.HBMBytes
		s.HBMBytesPerS += a.Spec.HBMBytesPerS
	}
	if len(t.Accels) > 0 {
		s.ScaleOutBytesPerSPerAccel /= float64(len(t.Accels))
		s.ScaleUpBytesPerSPerAccel = t.ScaleUpBytesPerS(0)
	}
	return s
}

// ScaleUpBytesPerS is accelerator a's scale-up bandwidth per direction: the
// capacity of its dies' links to switches or to other accelerators.
func (t *Topology) ScaleUpBytesPerS(a int) float64 {
	var sum float64
	acc := &t.Accels[a]
	for _, die := range acc.Dies {
		for _, adj := range t.adj[die] {
			peer := t.Nodes[adj.Peer]
			switch {
			case peer.Kind == KindSwitch && t.Switches[peer.Index].Domain >= 0:
				sum += t.Links[adj.Link].BytesPerS
			case peer.Kind == KindDie && int(peer.Index) != a:
				sum += t.Links[adj.Link].BytesPerS
			}
		}
	}
	return sum
}

// Bisection is the max-flow rate from the first half of the accelerators
// (in index order) to the second half, per direction. Index order follows
// the physical layout (servers, racks, torus rows), which is the cut
// vendors quote.
func (t *Topology) Bisection() float64 {
	n := len(t.Accels)
	if n < 2 {
		return 0
	}
	var a, b []NodeID
	for i, acc := range t.Accels {
		if i < n/2 {
			a = append(a, acc.Dies...)
		} else {
			b = append(b, acc.Dies...)
		}
	}
	return t.maxFlow(a, b)
}

// LinkClasses returns the distinct link classes in first-built order with
// their lane counts; show uses it to list what the fabric is made of.
func (t *Topology) LinkClasses() []ClassCount {
	idx := map[string]int{}
	var out []ClassCount
	for _, l := range t.Links {
		i, ok := idx[l.Class]
		if !ok {
			i = len(out)
			idx[l.Class] = i
			out = append(out, ClassCount{Class: l.Class, Medium: l.Medium, LaneBytesPerS: l.BytesPerS / float64(max(l.Lanes, 1))})
		}
		out[i].Lanes += int(l.Lanes)
		out[i].Modules += l.Modules
	}
	return out
}

// ClassCount aggregates the links of one class.
type ClassCount struct {
	Class         string
	Medium        Medium
	Lanes         int
	LaneBytesPerS float64
	Modules       float64
}
