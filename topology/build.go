package topology

import (
	"errors"
	"fmt"
	"slices"
)

// DomainSpec describes one scale-up domain: its servers and what is in
// them, and the fabric that joins their accelerators.
type DomainSpec struct {
	Accel *AcceleratorSpec
	CPU   *CPUSpec // nil for none
	NIC   *NICSpec // nil for none
	// Servers per domain and what each server (node, tray, board) holds.
	Servers         int
	AccelsPerServer int
	CPUsPerServer   int
	// NICsPerAccel scale-out NICs per accelerator, spread over its dies.
	NICsPerAccel int
	// NICLink joins a NIC to its accelerator die (PCIe); nil for an
	// integrated NIC with no separate hop.
	NICLink *LinkSpec
	Fabric  Fabric
}

// Fabric builds the scale-up network of one domain. Each fabric kind is a
// builder of its own: SwitchedFabric, Clos2Fabric, MeshFabric, RingFabric,
// TorusFabric.
type Fabric interface {
	// Kind is the fabric's name in files: "switched", "clos2", ...
	Kind() string
	build(t *Topology, d *domainCtx) error
}

// domainCtx is what a fabric builder sees of the domain it wires.
type domainCtx struct {
	spec    *DomainSpec
	index   int
	prefix  string  // name prefix, "" for a single domain
	accels  []int   // indices into Topology.Accels
	cpus    []int   // indices into Topology.CPUs
	servers [][]int // accels per server
	cpuSrv  [][]int // cpus per server
}

// ClusterSpec is everything Build needs: a domain, how many of them, and
// the scale-out network that joins them.
type ClusterSpec struct {
	Name, Title string
	Domain      DomainSpec
	// Domains is the number of scale-up domains (at least 1).
	Domains int
	// ScaleOut joins the domains; required when Domains > 1.
	ScaleOut *ScaleOutSpec
	Optics   []OpticsSpec
	// ServerOverheadW is per-server power outside the modelled devices.
	ServerOverheadW float64
	// ServerOverheadIdleW and ServerOverheadLoadW are what those parts draw
	// idle and at full load (0: not given; activity mode uses the rating).
	ServerOverheadIdleW, ServerOverheadLoadW float64
	Cooling                                  Cooling
	PUE                                      map[Cooling]float64
	Assumptions                              []string
	// Reliability gives failure rates per part (zero when not given).
	Reliability Reliability
}

// MaxNodes bounds the size of a topology Build accepts, so a typo in a
// domain count is refused up front instead of exhausting memory.
const MaxNodes = 4_000_000

// Build builds the topology a cluster spec describes.
func Build(c ClusterSpec) (*Topology, error) {
	d := &c.Domain
	if err := d.validate(); err != nil {
		return nil, err
	}
	if c.Domains < 1 {
		return nil, fmt.Errorf("domains is %d; want at least 1", c.Domains)
	}
	if c.Domains > 1 && c.ScaleOut == nil {
		return nil, fmt.Errorf("%d domains need a scale-out network to join them, and this topology has none", c.Domains)
	}
	perDomain := d.Servers * (d.AccelsPerServer*(d.Accel.Dies+d.NICsPerAccel) + d.CPUsPerServer)
	if est := perDomain * c.Domains; est > MaxNodes || est < 0 {
		return nil, fmt.Errorf("%d domains of %d devices each is about %d graph vertices, over the limit of %d (roughly %d GiB of memory)",
			c.Domains, perDomain, est, MaxNodes, int64(est)*2000>>30)
	}
	t := &Topology{
		Name: c.Name, Title: c.Title,
		Optics:              c.Optics,
		Domains:             c.Domains,
		ServerOverheadW:     c.ServerOverheadW,
		ServerOverheadIdleW: c.ServerOverheadIdleW,
		ServerOverheadLoadW: c.ServerOverheadLoadW,
		Cooling:             c.Cooling,
		PUE:                 c.PUE,
		Assumptions:         c.Assumptions,
		Reliability:         c.Reliability,
	}
	for dom := range c.Domains {
		ctx := &domainCtx{spec: d, index: dom}
		if c.Domains > 1 {
			ctx.prefix = fmt.Sprintf("d%d.", dom)
		}
		t.placeDomain(ctx)
		if err := d.Fabric.build(t, ctx); err != nil {
			return nil, err
		}
	}
	if c.ScaleOut != nil {
		t.Transport = c.ScaleOut.Transport
	}
	if c.Domains > 1 {
		if err := c.ScaleOut.build(t, d); err != nil {
			return nil, err
		}
	}
	if err := t.checkPorts(); err != nil {
		return nil, err
	}
	t.finish()
	return t, nil
}

func (d *DomainSpec) validate() error {
	switch {
	case d.Accel == nil:
		return errors.New("no accelerator")
	case d.Accel.Dies < 1:
		return fmt.Errorf("accelerator %s has %d dies; want at least 1", d.Accel.Name, d.Accel.Dies)
	case d.Servers < 1:
		return fmt.Errorf("servers is %d; want at least 1", d.Servers)
	case d.AccelsPerServer < 1:
		return fmt.Errorf("accelerators per server is %d; want at least 1", d.AccelsPerServer)
	case d.CPUsPerServer < 0 || (d.CPUsPerServer > 0 && d.CPU == nil):
		return fmt.Errorf("cpus per server is %d but no CPU is described", d.CPUsPerServer)
	case d.NICsPerAccel < 0 || (d.NICsPerAccel > 0 && d.NIC == nil):
		return fmt.Errorf("NICs per accelerator is %d but no NIC is described", d.NICsPerAccel)
	case d.Fabric == nil:
		return errors.New("no fabric")
	}
	return nil
}

// placeDomain creates the servers' accelerators, dies, CPUs and NICs.
func (t *Topology) placeDomain(ctx *domainCtx) {
	d := ctx.spec
	dieLink := LinkSpec{Class: "die-die", LaneBytesPerS: d.Accel.DieLinkBytesPerS, Medium: OnBoard, Optics: -1}
	// Without a described host link a NIC hangs off its die at its own line rate.
	var nicLink LinkSpec
	if d.NICLink != nil {
		nicLink = *d.NICLink
	} else if d.NIC != nil {
		nicLink = LinkSpec{Class: "die-nic", LaneBytesPerS: float64(d.NIC.Ports) * d.NIC.PortBytesPerS, Medium: OnBoard, Optics: -1}
	}
	for s := range d.Servers {
		server := int32(t.Servers)
		t.Servers++
		var srv []int
		for range d.AccelsPerServer {
			ai := len(t.Accels)
			a := Accelerator{Spec: d.Accel, Domain: int32(ctx.index), Server: server}
			for k := range d.Accel.Dies {
				name := fmt.Sprintf("%sacc%d", ctx.prefix, ai)
				if d.Accel.Dies > 1 {
					name += fmt.Sprintf(".die%d", k)
				}
				a.Dies = append(a.Dies, t.addNode(Node{Kind: KindDie, Index: int32(ai), Die: int32(k), Name: name}))
			}
			for k := 1; k < len(a.Dies); k++ {
				t.addLink(a.Dies[k-1], a.Dies[k], dieLink, 1)
			}
			for n := range d.NICsPerAccel {
				die := n % d.Accel.Dies
				ni := len(t.NICs)
				id := t.addNode(Node{Kind: KindNIC, Index: int32(ni), Name: fmt.Sprintf("%sacc%d.nic%d", ctx.prefix, ai, n)})
				rail := (ai%d.AccelsPerServer)*d.NICsPerAccel + n
				t.NICs = append(t.NICs, NIC{Spec: d.NIC, Node: id, Accel: int32(ai), Die: int32(die), Domain: int32(ctx.index), Rail: int32(rail)})
				a.NICs = append(a.NICs, int32(ni))
				t.addLink(a.Dies[die], id, nicLink, 1)
			}
			t.Accels = append(t.Accels, a)
			ctx.accels = append(ctx.accels, ai)
			srv = append(srv, ai)
		}
		ctx.servers = append(ctx.servers, srv)
		var cs []int
		for c := range d.CPUsPerServer {
			ci := len(t.CPUs)
			id := t.addNode(Node{Kind: KindCPU, Index: int32(ci), Name: fmt.Sprintf("%ss%d.cpu%d", ctx.prefix, s, c)})
			t.CPUs = append(t.CPUs, CPU{Spec: d.CPU, Node: id, Domain: int32(ctx.index), Server: server})
			ctx.cpus = append(ctx.cpus, ci)
			cs = append(cs, ci)
		}
		ctx.cpuSrv = append(ctx.cpuSrv, cs)
	}
}

// SwitchedFabric is a one-tier multi-plane switched fabric: every
// accelerator has links to each of Planes switch chips (NVL72: 18 planes of
// one NVLink each; HGX H100: 4 NVSwitches with 5, 4, 4 and 5 NVLinks).
// Groups > 1 splits the accelerators into groups (racks) with a switch set
// each, switch p of every group cross-linked to switch p of every other
// (NVL36x2).
type SwitchedFabric struct {
	Switch *SwitchSpec
	Planes int
	// Lanes from each accelerator to plane p; one entry means the same for
	// every plane.
	Lanes []int
	Link  LinkSpec
	// Groups and the cross-links between them (default one group).
	Groups     int
	CrossLanes int
	CrossLink  LinkSpec
	// CPULink joins each CPU to the accelerators it hosts (NVLink-C2C,
	// PCIe); nil leaves CPUs off the fabric graph.
	CPULink *LinkSpec
}

// Kind implements Fabric.
func (f *SwitchedFabric) Kind() string { return "switched" }

func (f *SwitchedFabric) build(t *Topology, ctx *domainCtx) error {
	if f.Planes < 1 {
		return fmt.Errorf("switched fabric: planes is %d; want at least 1", f.Planes)
	}
	if len(f.Lanes) != 1 && len(f.Lanes) != f.Planes {
		return fmt.Errorf("switched fabric: %d lane counts for %d planes; give one, or one per plane", len(f.Lanes), f.Planes)
	}
	groups := max(f.Groups, 1)
	n := len(ctx.accels)
	if n%groups != 0 {
		return fmt.Errorf("switched fabric: %d accelerators do not split into %d groups", n, groups)
	}
	per := n / groups
	sw := make([][]int, groups)
	for g := range groups {
		for p := range f.Planes {
			name := fmt.Sprintf("%ssw%d", ctx.prefix, p)
			if groups > 1 {
				name = fmt.Sprintf("%sg%d.sw%d", ctx.prefix, g, p)
			}
			sw[g] = append(sw[g], t.addSwitch(f.Switch, "switch", p, ctx.index, name))
		}
	}
	for i, ai := range ctx.accels {
		g := i / per
		a := &t.Accels[ai]
		for p := range f.Planes {
			lanes := f.Lanes[0]
			if len(f.Lanes) > 1 {
				lanes = f.Lanes[p]
			}
			if lanes == 0 {
				continue
			}
			// Spread lanes over dies: die k takes every k-th lane.
			for k, die := range a.Dies {
				dl := lanes / len(a.Dies)
				if k < lanes%len(a.Dies) {
					dl++
				}
				if dl > 0 {
					t.addLink(die, t.Switches[sw[g][p]].Node, f.Link, dl)
				}
			}
		}
	}
	if groups > 1 && f.CrossLanes > 0 {
		for g := range groups {
			for h := g + 1; h < groups; h++ {
				for p := range f.Planes {
					t.addLink(t.Switches[sw[g][p]].Node, t.Switches[sw[h][p]].Node, f.CrossLink, f.CrossLanes)
				}
			}
		}
	}
	if f.CPULink != nil {
		t.linkCPUsToAccels(ctx, *f.CPULink)
	}
	return nil
}

// linkCPUsToAccels joins each server's CPUs to its accelerators, the
// accelerators split evenly between the CPUs.
func (t *Topology) linkCPUsToAccels(ctx *domainCtx, l LinkSpec) {
	for s, accels := range ctx.servers {
		cpus := ctx.cpuSrv[s]
		if len(cpus) == 0 {
			continue
		}
		for i, ai := range accels {
			c := cpus[i*len(cpus)/len(accels)]
			t.addLink(t.CPUs[c].Node, t.Accels[ai].Dies[0], l, 1)
		}
	}
}

// checkPorts verifies that no switch chip uses more ports than it has.
func (t *Topology) checkPorts() error {
	used := make([]int, len(t.Nodes))
	for _, l := range t.Links {
		used[l.A] += int(l.Lanes)
		used[l.B] += int(l.Lanes)
	}
	for _, s := range t.Switches {
		if s.Spec.Ports == 0 {
			continue
		}
		if u := used[s.Node]; u > s.Spec.Ports {
			return fmt.Errorf("switch %s (%s) needs %d ports but has %d", t.Nodes[s.Node].Name, s.Spec.Name, u, s.Spec.Ports)
		}
	}
	return nil
}

// Clos2Fabric is a two-tier Clos with sub-planes (CloudMatrix 384): each
// server has L1PerServer switch chips on board; L2 is split into as many
// sub-planes, each of L2PerSubplane chips, and L1 chip k of every server is
// wired to every L2 chip of sub-plane k.
type Clos2Fabric struct {
	L1            *SwitchSpec
	L1PerServer   int
	L2            *SwitchSpec
	L2PerSubplane int
	// AccelLink joins each die to each L1 chip of its server (Lanes per die).
	AccelLink LinkSpec
	// Uplink joins an L1 chip to each L2 chip of its sub-plane.
	Uplink LinkSpec
	// CPULink joins each CPU to each L1 chip of its server; nil for none.
	CPULink *LinkSpec
}

// Kind implements Fabric.
func (f *Clos2Fabric) Kind() string { return "clos2" }

func (f *Clos2Fabric) build(t *Topology, ctx *domainCtx) error {
	if f.L1PerServer < 1 || f.L2PerSubplane < 1 {
		return fmt.Errorf("clos2 fabric: l1 per server (%d) and l2 per sub-plane (%d) must be at least 1", f.L1PerServer, f.L2PerSubplane)
	}
	// Chips first (L1 server by server, then L2 sub-plane by sub-plane), so
	// that switch indices read in layout order; then the links.
	l1 := make([][]int, len(ctx.servers))
	for s := range ctx.servers {
		for k := range f.L1PerServer {
			l1[s] = append(l1[s], t.addSwitch(f.L1, "l1", k, ctx.index, fmt.Sprintf("%ss%d.l1.%d", ctx.prefix, s, k)))
		}
	}
	l2 := make([][]int, f.L1PerServer)
	for k := range f.L1PerServer {
		for j := range f.L2PerSubplane {
			l2[k] = append(l2[k], t.addSwitch(f.L2, "l2", k, ctx.index, fmt.Sprintf("%sl2.sp%d.%d", ctx.prefix, k, j)))
		}
	}
	for s, accels := range ctx.servers {
		for k := range f.L1PerServer {
			n1 := t.Switches[l1[s][k]].Node
			for _, ai := range accels {
				for _, die := range t.Accels[ai].Dies {
					t.addLink(die, n1, f.AccelLink, max(f.AccelLink.Lanes, 1))
				}
			}
			if f.CPULink != nil {
				for _, c := range ctx.cpuSrv[s] {
					t.addLink(t.CPUs[c].Node, n1, *f.CPULink, max(f.CPULink.Lanes, 1))
				}
			}
			for _, j := range l2[k] {
				t.addLink(n1, t.Switches[j].Node, f.Uplink, max(f.Uplink.Lanes, 1))
			}
		}
	}
	return nil
}

// MeshFabric joins every pair of accelerators in the domain directly (the
// 8-GPU Infinity Fabric mesh of AMD Instinct platforms).
type MeshFabric struct {
	Link    LinkSpec
	CPULink *LinkSpec
}

// Kind implements Fabric.
func (f *MeshFabric) Kind() string { return "mesh" }

func (f *MeshFabric) build(t *Topology, ctx *domainCtx) error {
	for i, a := range ctx.accels {
		for _, b := range ctx.accels[i+1:] {
			t.addLink(t.Accels[a].Dies[0], t.Accels[b].Dies[0], f.Link, max(f.Link.Lanes, 1))
		}
	}
	if f.CPULink != nil {
		t.linkCPUsToAccels(ctx, *f.CPULink)
	}
	return nil
}

// RingFabric joins the domain's accelerators in one bidirectional ring.
type RingFabric struct {
	Link LinkSpec
}

// Kind implements Fabric.
func (f *RingFabric) Kind() string { return "ring" }

func (f *RingFabric) build(t *Topology, ctx *domainCtx) error {
	t.DiesForward = true
	n := len(ctx.accels)
	if n < 2 {
		return nil
	}
	for i := range n {
		if n == 2 && i == 1 {
			break
		}
		a, b := ctx.accels[i], ctx.accels[(i+1)%n]
		t.addLink(t.Accels[a].Dies[0], t.Accels[b].Dies[0], f.Link, max(f.Link.Lanes, 1))
	}
	return nil
}

// TorusFabric is an n-dimensional torus (TPU cubes, Trainium2
// UltraServers). Accelerators are laid out with dimension 0 varying fastest.
type TorusFabric struct {
	Dims []int
	// Links per dimension (one entry means the same for all).
	Links []LinkSpec
	// WrapLinks, when set, is used for the wrap-around link of each ring
	// instead of the dimension's link (TPU cubes close the torus through
	// optical circuit switches).
	WrapLinks []LinkSpec
}

// Kind implements Fabric.
func (f *TorusFabric) Kind() string { return "torus" }

func (f *TorusFabric) build(t *Topology, ctx *domainCtx) error {
	t.DiesForward = true
	total := 1
	for _, d := range f.Dims {
		if d < 1 {
			return fmt.Errorf("torus fabric: dimension %d; want at least 1", d)
		}
		total *= d
	}
	if total != len(ctx.accels) {
		return fmt.Errorf("torus fabric: %v holds %d accelerators but the domain has %d", f.Dims, total, len(ctx.accels))
	}
	if len(f.Links) != 1 && len(f.Links) != len(f.Dims) {
		return fmt.Errorf("torus fabric: %d link specs for %d dimensions", len(f.Links), len(f.Dims))
	}
	stride := 1
	for dim, size := range f.Dims {
		l := f.Links[0]
		if len(f.Links) > 1 {
			l = f.Links[dim]
		}
		wrap := l
		if len(f.WrapLinks) > 0 {
			wrap = f.WrapLinks[0]
			if len(f.WrapLinks) > 1 {
				wrap = f.WrapLinks[dim]
			}
		}
		for i := range total {
			c := (i / stride) % size
			if size == 1 {
				continue
			}
			if c == size-1 && size == 2 {
				continue // a ring of 2 has one link
			}
			j := i + stride
			spec := l
			if c == size-1 {
				j = i - (size-1)*stride
				spec = wrap
			}
			a, b := ctx.accels[i], ctx.accels[j]
			t.addLink(t.Accels[a].Dies[0], t.Accels[b].Dies[0], spec, max(spec.Lanes, 1))
		}
		stride *= size
	}
	return nil
}

// ScaleOutSpec is a rail-optimised leaf/spine network joining domains
// through the accelerators' NICs: NIC rail r of every server goes to the
// leaves of rail r; leaves connect to every spine.
type ScaleOutSpec struct {
	Leaf  *SwitchSpec
	Spine *SwitchSpec
	// LeafDownPorts is how many NIC-facing ports a leaf has.
	LeafDownPorts int
	// Oversubscription is the leaf's down:up ratio (1 = non-blocking).
	Oversubscription float64
	NICLink          LinkSpec // NIC to leaf (modules counted with the NIC)
	Uplink           LinkSpec // leaf to spine
	// Transport is what the network's frames are (transport.go):
	// infiniband or roce, "" where the file does not say.
	Transport string
}

func (s *ScaleOutSpec) build(t *Topology, d *DomainSpec) error {
	if d.NICsPerAccel < 1 {
		return errors.New("scale-out: the accelerators have no NICs")
	}
	if s.LeafDownPorts < 1 || s.Oversubscription < 1 {
		return fmt.Errorf("scale-out: leaf down ports %d and oversubscription %g must be at least 1", s.LeafDownPorts, s.Oversubscription)
	}
	rails := d.AccelsPerServer * d.NICsPerAccel
	byRail := make([][]int, rails)
	for i, n := range t.NICs {
		byRail[n.Rail] = append(byRail[n.Rail], i)
	}
	type leaf struct {
		sw   int
		down int
	}
	var leaves []leaf
	for r, nics := range byRail {
		for start := 0; start < len(nics); start += s.LeafDownPorts {
			end := min(start+s.LeafDownPorts, len(nics))
			li := t.addSwitch(s.Leaf, "leaf", r, -1, fmt.Sprintf("leaf.r%d.%d", r, len(leaves)))
			for _, ni := range nics[start:end] {
				t.addLink(t.NICs[ni].Node, t.Switches[li].Node, s.NICLink, 1)
			}
			leaves = append(leaves, leaf{sw: li, down: end - start})
		}
	}
	if len(leaves) < 2 {
		return nil
	}
	up := make([]int, len(leaves))
	total := 0
	for i, l := range leaves {
		up[i] = int(float64(l.down)/s.Oversubscription + 0.999999)
		total += up[i]
	}
	spinePorts := s.Spine.Ports
	if spinePorts < 1 {
		return errors.New("scale-out: spine switch needs a port count")
	}
	if len(leaves) > spinePorts {
		// A spine has a port for at most spinePorts leaves: past that a
		// leaf/spine cannot join every leaf, and fabrics add a tier.
		sw := make([]int, len(leaves))
		for i, l := range leaves {
			sw[i] = l.sw
		}
		perPod := spinePorts / 2
		if perPod < 1 || (len(leaves)+perPod-1)/perPod <= spinePorts || rails < 2 {
			return s.buildThreeTier(t, sw, up, spinePorts, "")
		}
		// One three-tier fat tree cannot join every leaf: build one per
		// rail, each rail its own plane, as the largest rail-optimised
		// clusters do (a three-tier tree of k-port switches joins k^3/4
		// NICs; Meta's 24k-GPU RoCE and xAI's 100k-GPU clusters run a
		// network plane per rail). Traffic between rails then crosses the
		// scale-up fabric first, as NCCL's PXN sends it.
		at := 0
		for r, nics := range byRail {
			n := (len(nics) + s.LeafDownPorts - 1) / s.LeafDownPorts
			if err := s.buildThreeTier(t, sw[at:at+n], up[at:at+n], spinePorts, fmt.Sprintf("r%d.", r)); err != nil {
				return err
			}
			at += n
		}
		return nil
	}
	spines := (total + spinePorts - 1) / spinePorts
	var sp []int
	for k := range spines {
		sp = append(sp, t.addSwitch(s.Spine, "spine", k, -1, fmt.Sprintf("spine.%d", k)))
	}
	offset := 0
	for i, l := range leaves {
		t.spreadLinks(l.sw, sp, up[i], offset, s.Uplink)
		offset += up[i]
	}
	return nil
}

// buildThreeTier joins more leaves than a spine has ports as a three-tier
// fat tree: pods of spinePorts/2 leaves, each pod with a spine per leaf
// uplink (leaf uplink k goes to the pod's spine k), every pod spine using
// as many ports up as down; the super-spines form one plane per pod-spine
// index, pod spine k spreading its uplinks over plane k. A super-spine has
// a port per pod, so the network joins up to spinePorts pods
// (spinePorts^2/2 leaves).
// Its switches' names start with prefix (a rail's plane: "r3.").
func (s *ScaleOutSpec) buildThreeTier(t *Topology, leaves, up []int, spinePorts int, prefix string) error {
	perPod := spinePorts / 2
	if perPod < 1 {
		return fmt.Errorf("scale-out: %d leaves need a three-tier network, and a %d-port spine cannot build one", len(leaves), spinePorts)
	}
	pods := (len(leaves) + perPod - 1) / perPod
	if pods > spinePorts {
		return fmt.Errorf("scale-out: %d leaves need %d pods of %d, more than the %d a three-tier network of %d-port switches joins; use fewer domains (at most %d leaves)",
			len(leaves), pods, perPod, spinePorts, spinePorts, spinePorts*perPod)
	}
	if len(leaves) <= spinePorts {
		// A rail's plane small enough for one spine tier.
		total := 0
		for _, u := range up {
			total += u
		}
		var sp []int
		for k := range (total + spinePorts - 1) / spinePorts {
			sp = append(sp, t.addSwitch(s.Spine, "spine", k, -1, fmt.Sprintf("spine.%s%d", prefix, k)))
		}
		offset := 0
		for i, l := range leaves {
			t.spreadLinks(l, sp, up[i], offset, s.Uplink)
			offset += up[i]
		}
		return nil
	}
	width := slices.Max(up) // pod spines per pod
	// podSpine[p][k] is pod p's spine k; down[p] how many leaves pod p holds.
	podSpine := make([][]int, pods)
	down := make([]int, pods)
	for p := range pods {
		for k := range width {
			podSpine[p] = append(podSpine[p], t.addSwitch(s.Spine, "spine", k, -1, fmt.Sprintf("spine.%sp%d.%d", prefix, p, k)))
		}
	}
	for i, l := range leaves {
		p := i / perPod
		down[p]++
		for k := range up[i] {
			t.addLink(t.Switches[l].Node, t.Switches[podSpine[p][k]].Node, s.Uplink, 1)
		}
	}
	// Plane k: every pod's spine k, down[p] lanes up each.
	total := 0
	for _, d := range down {
		total += d
	}
	supers := (total + spinePorts - 1) / spinePorts
	for k := range width {
		plane := make([]int, supers)
		for j := range supers {
			plane[j] = t.addSwitch(s.Spine, "superspine", k, -1, fmt.Sprintf("superspine.%s%d.%d", prefix, k, j))
		}
		offset := 0
		for p := range pods {
			t.spreadLinks(podSpine[p][k], plane, down[p], offset, s.Uplink)
			offset += down[p]
		}
	}
	return nil
}

// spreadLinks deals n uplink lanes of switch from round-robin over the
// switches to, starting at offset (so consecutive callers fill them
// evenly), one link per target with its share of the lanes.
func (t *Topology) spreadLinks(from int, to []int, n, offset int, spec LinkSpec) {
	lanes := make([]int, len(to))
	for u := range n {
		lanes[(offset+u)%len(to)]++
	}
	for j, k := range lanes {
		if k > 0 {
			t.addLink(t.Switches[from].Node, t.Switches[to[j]].Node, spec, k)
		}
	}
}
