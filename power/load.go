package power

import (
	"math"

	"github.com/cardsea/cardsea/topology"
)

// MemoryEnergyPerByte is the energy of moving one byte between HBM and the
// compute cores: about 3.9 pJ/bit in the HBM stack and its interface
// (O'Connor et al., "Fine-Grained DRAM", MICRO 2017, HBM2) and about as
// much again across the chip's caches and network on chip (assumption,
// after Dally's on-chip movement figures), 8 pJ/bit in all.
const MemoryEnergyPerByte = 8 * 8e-12

// MemoryShare is the share of an accelerator's dynamic power range
// (max_power - idle_power) that streaming HBM at full bandwidth draws:
// bandwidth x MemoryEnergyPerByte / (max - idle), at most 1. H100 SXM:
// 3.35 TB/s x 64 pJ/B = 214 W of its 600 W range, 0.36.
func MemoryShare(a *topology.AcceleratorSpec) float64 {
	dyn := a.MaxW - a.IdleW
	if dyn <= 0 {
		return 0
	}
	return math.Min(1, a.HBMBytesPerS*MemoryEnergyPerByte/dyn)
}

// LoadFactor is the share of the dynamic power range an operator draws
// while it runs, from its two roofline terms (compute.Timing):
//
//	load = min(1, computeS/t + MemoryShare x memoryS/t),  t = max(computeS, memoryS)
//
// A compute-bound operator runs at the chip's power limit (the limit is why
// sustained GEMM efficiency sits below peak), so its load is 1; a
// memory-bound one draws the HBM traffic's share plus the compute it does
// meanwhile. An operator with no work has load 0.
func LoadFactor(a *topology.AcceleratorSpec, computeS, memoryS float64) float64 {
	t := math.Max(computeS, memoryS)
	if !(t > 0) {
		return 0
	}
	return math.Min(1, computeS/t+MemoryShare(a)*memoryS/t)
}

// LoadMeter sums the operators an accelerator runs into the busy time and
// mean load that Run.AccelComputeS and Run.AccelLoad take.
type LoadMeter struct {
	busyS, loadS float64
}

// Add counts one operator, count times: its launch overhead (at load 0:
// the cores wait) and its run time at LoadFactor.
func (m *LoadMeter) Add(a *topology.AcceleratorSpec, computeS, memoryS, launchS, count float64) {
	run := math.Max(computeS, memoryS)
	m.busyS += (launchS + run) * count
	m.loadS += LoadFactor(a, computeS, memoryS) * run * count
}

// BusyS is the time the operators take.
func (m LoadMeter) BusyS() float64 { return m.busyS }

// Load is the time-weighted mean load over BusyS (0 when nothing ran).
func (m LoadMeter) Load() float64 {
	if m.busyS <= 0 {
		return 0
	}
	return m.loadS / m.busyS
}
