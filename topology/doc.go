// Package topology models the hardware of AI supernodes: accelerators (and
// their dies), switch chips, CPUs, NICs and optical modules, the links
// between them, and the fabrics they form.
//
// A Topology is a graph with dense vertex IDs (every die, switch chip, CPU
// and NIC) and full-duplex links whose capacities are per direction. It is
// built by Build from a ClusterSpec: a scale-up domain (servers and a
// Fabric: SwitchedFabric, Clos2Fabric, MeshFabric, RingFabric,
// TorusFabric), multiplied into a cluster of domains joined by a
// rail-optimised leaf/spine ScaleOutSpec.
//
// Presets are topology files embedded in the binary (presets/*.yaml);
// users write their own in the same form (see File). Every figure in a
// preset carries a line comment naming its source; Figures lists them, and
// docs/presets.md is generated from them.
//
// Routing is by shortest paths with deterministic ECMP sets; only switches
// (and NICs, for their own accelerator) forward traffic. Everything here is
// deterministic: iteration follows vertex and link IDs, never map order.
package topology
