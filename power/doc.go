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
//
// Activity mode (ActivityEnergy) integrates what each component did over a
// run. An accelerator computing draws
//
//	P = idle + (max - idle) x load
//	load = mean over its operators of min(1, c/t + MemoryShare x m/t)
//
// for each operator's roofline terms c (FLOPs) and m (bytes), t = max(c, m):
// a compute-bound operator runs at the power limit, a memory-bound one
// draws the HBM traffic's share, MemoryShare = bandwidth x
// MemoryEnergyPerByte / (max - idle), plus the compute it does. An
// accelerator only communicating draws comm_power, otherwise idle_power.
// Switch chips draw idle plus the rest in proportion to their ports'
// utilisation; the rest of a server (DIMMs, fans, drives, conversion
// losses) draws overhead_idle_power plus the part up to
// overhead_load_power that follows its accelerators' load, or its rating
// when the preset gives no at-load figures. Activity.go has the full list.
package power
