package topology

import (
	"fmt"
	"sort"
)

// NodeID identifies a vertex of the fabric graph: an accelerator die, a
// switch chip, a CPU or a NIC. IDs are dense, from 0 to len(Nodes)-1, and
// assigned in build order, so every iteration over them is deterministic.
type NodeID int32

// NodeKind says what a vertex is.
type NodeKind uint8

// Vertex kinds.
const (
	KindDie NodeKind = iota // one die of an accelerator (the whole package if it has one die)
	KindSwitch
	KindCPU
	KindNIC
)

func (k NodeKind) String() string {
	switch k {
	case KindDie:
		return "die"
	case KindSwitch:
		return "switch"
	case KindCPU:
		return "cpu"
	case KindNIC:
		return "nic"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Node is a vertex of the fabric graph.
type Node struct {
	Kind NodeKind
	// Index is the position in Topology.Accels, Switches, CPUs or NICs.
	Index int32
	// Die is the die number within the accelerator (KindDie only).
	Die int32
	// Name is unique and stable, e.g. "d0.npu17.die1", "d0.l2.sp3.5".
	Name string
}

// Link is a full-duplex connection between two vertices with the same
// capacity in each direction.
type Link struct {
	A, B NodeID
	// Lanes is how many physical links the connection bundles (an HGX H100
	// GPU has 5 NVLinks to some NVSwitches); counts report lanes.
	Lanes int32
	// BytesPerS is the raw capacity per direction over all lanes.
	BytesPerS float64
	// LatencyS is the wire latency of the first byte.
	LatencyS float64
	// Efficiency is the fraction of BytesPerS that bulk collective traffic
	// achieves after protocol overhead (1 when unknown).
	Efficiency float64
	Medium     Medium
	// Modules counts the optical modules on this link, both ends together.
	Modules float64
	// Optics is the module type (index into Topology.Optics), -1 for none.
	Optics int
	// Class names the role of the link, e.g. "accel-l1", "l1-l2", "die-die".
	Class string
}

// Accelerator is one placed accelerator package.
type Accelerator struct {
	Spec   *AcceleratorSpec
	Dies   []NodeID
	Domain int32 // scale-up domain
	Server int32 // server (node, tray) within the whole topology
	NICs   []int32
	// Failed is set by WithFaults: the accelerator has no links and
	// collectives place no ranks on it.
	Failed bool
}

// Switch is one placed switch chip.
type Switch struct {
	Spec *SwitchSpec
	Node NodeID
	// Tier names the switch layer: "nvswitch", "l1", "l2", "leaf", "spine".
	Tier   string
	Plane  int32
	Domain int32 // -1 for the scale-out network
}

// CPU is one placed host CPU.
type CPU struct {
	Spec   *CPUSpec
	Node   NodeID
	Domain int32
	Server int32
}

// NIC is one placed scale-out interface, attached to an accelerator.
type NIC struct {
	Spec   *NICSpec
	Node   NodeID
	Accel  int32
	Die    int32
	Domain int32
	Rail   int32
}

// Adj is one entry of a vertex's adjacency list.
type Adj struct {
	Link int32
	Peer NodeID
}

// Topology is a built fabric: the devices, the links between them and what
// the power and report layers need to know about them. Build one with a
// builder or from a preset; it is read-only afterwards and safe to share
// between goroutines.
type Topology struct {
	Name  string // preset or file name
	Title string
	// Transport is the scale-out network's: infiniband or roce ("" where
	// the file does not say; see transport.go).
	Transport string

	Nodes    []Node
	Links    []Link
	Accels   []Accelerator
	Switches []Switch
	CPUs     []CPU
	NICs     []NIC
	Optics   []OpticsSpec

	Domains int
	Servers int
	// ServerOverheadW is the per-server power not in any modelled device:
	// DRAM, fans, storage, management, power conversion losses, at its
	// rating (provisioned budgets count this).
	ServerOverheadW float64
	// ServerOverheadIdleW and ServerOverheadLoadW are what the same parts
	// draw with the server's accelerators idle and at full load; zero when
	// the preset does not say (activity mode then counts the rating).
	ServerOverheadIdleW, ServerOverheadLoadW float64
	// Cooling of the compute racks; PUE maps each cooling kind to its
	// facility factor.
	Cooling Cooling
	PUE     map[Cooling]float64
	// DiesForward is set by direct-connect fabrics (torus, ring) whose
	// accelerators route traffic for each other.
	DiesForward bool
	// Assumptions lists modelling choices a reader must know about.
	Assumptions []string
	// Faults lists the faults WithFaults applied (none for a healthy
	// topology).
	Faults []Fault
	// Reliability gives failure rates per part (zero when not given).
	Reliability Reliability

	adj [][]Adj
}

// Adjacent returns the adjacency list of n, sorted by (peer, link).
func (t *Topology) Adjacent(n NodeID) []Adj { return t.adj[n] }

// Other returns the far end of link l seen from n.
func (t *Topology) Other(l int32, n NodeID) NodeID {
	if t.Links[l].A == n {
		return t.Links[l].B
	}
	return t.Links[l].A
}

// IsTransit reports whether traffic may pass through n: switches, NICs
// (which pass their own accelerator's traffic to the scale-out network),
// and accelerator dies in direct-connect fabrics (torus, ring), where chips
// route for each other. CPUs are endpoints only.
func (t *Topology) IsTransit(n NodeID) bool {
	switch t.Nodes[n].Kind {
	case KindSwitch, KindNIC:
		return true
	case KindDie:
		return t.DiesForward
	}
	return false
}

// Dies lists every accelerator die in rank order (accelerator, then die).
func (t *Topology) Dies() []NodeID {
	out := make([]NodeID, 0, len(t.Accels)*2)
	for _, a := range t.Accels {
		out = append(out, a.Dies...)
	}
	return out
}

// finish builds the adjacency index; builders call it last.
func (t *Topology) finish() {
	t.adj = make([][]Adj, len(t.Nodes))
	for i, l := range t.Links {
		t.adj[l.A] = append(t.adj[l.A], Adj{Link: int32(i), Peer: l.B})
		t.adj[l.B] = append(t.adj[l.B], Adj{Link: int32(i), Peer: l.A})
	}
	for _, a := range t.adj {
		sort.Slice(a, func(i, j int) bool {
			if a[i].Peer != a[j].Peer {
				return a[i].Peer < a[j].Peer
			}
			return a[i].Link < a[j].Link
		})
	}
}

// addNode appends a vertex and returns its ID.
func (t *Topology) addNode(n Node) NodeID {
	t.Nodes = append(t.Nodes, n)
	return NodeID(len(t.Nodes) - 1)
}

// addSwitch places a switch chip.
func (t *Topology) addSwitch(spec *SwitchSpec, tier string, plane, domain int, name string) int {
	id := t.addNode(Node{Kind: KindSwitch, Index: int32(len(t.Switches)), Name: name})
	t.Switches = append(t.Switches, Switch{Spec: spec, Node: id, Tier: tier, Plane: int32(plane), Domain: int32(domain)})
	return len(t.Switches) - 1
}

// LinkSpec is the template for links of one class.
type LinkSpec struct {
	Class string
	// Lanes per connection and the per-direction rate of one lane.
	Lanes         int
	LaneBytesPerS float64
	LatencyS      float64
	// Efficiency is the achievable fraction of the raw rate (0 means 1).
	Efficiency float64
	Medium     Medium
	// ModulesPerLane counts optical modules per lane, both ends together
	// (2 for a plain optical cable; 1 where one module serves two lanes).
	ModulesPerLane float64
	Optics         int // -1 for none
}

// addLink connects a and b with a connection of lanes lanes.
func (t *Topology) addLink(a, b NodeID, s LinkSpec, lanes int) {
	t.Links = append(t.Links, Link{
		A: a, B: b, Lanes: int32(lanes),
		BytesPerS: float64(lanes) * s.LaneBytesPerS,
		LatencyS:  s.LatencyS, Medium: s.Medium,
		Efficiency: efficiency(s.Efficiency),
		Modules:    float64(lanes) * s.ModulesPerLane,
		Optics:     s.Optics, Class: s.Class,
	})
}

func efficiency(e float64) float64 {
	if e <= 0 {
		return 1
	}
	return e
}
