// Package power turns a topology, and what its components did, into power
// and energy figures: the budget by component (accelerators, CPUs, switch
// chips, optical modules, NICs, the rest of each server) and the facility
// overhead set by how each rack is cooled.
//
// Provisioned mode counts every component at its rated (nameplate) power,
// as capacity planners and TCO tables do:
//
//	IT       = Σ accelerators·max + Σ CPUs·max + Σ switches·power
//	         + Σ modules·power + Σ NICs·power + servers·overhead
//	facility = Σ component·PUE(cooling of the rack it sits in)
//
// Optical modules sit at both ends of a link; half of a link's modules are
// charged to the cooling of each end. Every figure comes from the
// topology's devices, which carry their sources.
package power
