package script

import (
	"fmt"

	"github.com/cardsea/cardsea/topology"
)

// Topology builds the topology a command names, for the scripts of every
// package that needs one:
//
//	preset=NAME [domains=N]
//
// loads a preset (as topology.Load), and
//
//	kind=switched|ring|mesh accels=N bw=RATE [servers=S] [planes=P]
//	    [lanes=L] [latency=T] [switch-latency=T] [eff=E]
//	    [overhead=T] [alpha=T] [bulk-alpha=T] [reduce] [reduce-eff=E]
//	    [reduce-latency=T]
//
// builds one small scale-up domain: N one-die accelerators acc0..acc(N-1)
// (spread over S servers) joined through P switch chips sw0..sw(P-1)
// (switched) with L lanes of RATE per direction each, in a ring, or all to
// all (mesh); links have first-byte latency T and efficiency E (default 1),
// switches port-to-port latency T and, with reduce, in-network reduction.
// overhead, alpha and bulk-alpha are the accelerator's op_overhead,
// step_latency and bulk_step_latency (default 0: an ideal fabric).
func Topology(c *Command) (*topology.Topology, error) {
	if c.Has("preset") {
		t, err := topology.Load(c.Need("preset"), c.Int("domains", 0))
		if err != nil {
			return nil, err
		}
		return t, nil
	}
	kind := c.Need("kind")
	n := c.Int("accels", 0)
	acc := &topology.AcceleratorSpec{
		Name:             "acc",
		Dies:             1,
		OpOverheadS:      c.Duration("overhead", 0),
		StepLatencyS:     c.Duration("alpha", 0),
		BulkStepLatencyS: c.Duration("bulk-alpha", 0),
	}
	link := topology.LinkSpec{
		Class:         "link",
		Lanes:         c.Int("lanes", 1),
		LaneBytesPerS: c.Bandwidth("bw", 0),
		LatencyS:      c.Duration("latency", 0),
		Efficiency:    c.Float("eff", 1),
		Medium:        topology.OnBoard,
		Optics:        -1,
	}
	servers := c.Int("servers", 1)
	var fabric topology.Fabric
	switch kind {
	case "switched":
		sw := &topology.SwitchSpec{
			Name:             "sw",
			LatencyS:         c.Duration("switch-latency", 0),
			Reduce:           c.Has("reduce"),
			ReduceEfficiency: c.Float("reduce-eff", 0),
			ReduceLatencyS:   c.Duration("reduce-latency", 0),
		}
		fabric = &topology.SwitchedFabric{Switch: sw, Planes: c.Int("planes", 1), Lanes: []int{link.Lanes}, Link: link}
	case "ring":
		fabric = &topology.RingFabric{Link: link}
	case "mesh":
		fabric = &topology.MeshFabric{Link: link}
	default:
		return nil, Usage("%s: kind=%s; want switched, ring or mesh", c.Name, kind)
	}
	if servers < 1 || n%servers != 0 {
		return nil, Usage("%s: %d accelerators do not fill %d servers", c.Name, n, servers)
	}
	return topology.Build(topology.ClusterSpec{
		Name:    fmt.Sprintf("%s-%d", kind, n),
		Domains: 1,
		Domain:  topology.DomainSpec{Accel: acc, Servers: servers, AccelsPerServer: n / servers, Fabric: fabric},
	})
}
