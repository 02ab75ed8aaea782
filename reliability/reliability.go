// Package reliability turns a topology's failure rates per part into what
// a long job on it meets: expected component failures per day, the mean
// time between interruptions of the whole system, the goodput a
// checkpoint/restart scheme keeps (Young/Daly first-order model), and a
// seeded Monte Carlo of a month of such a job.
//
// Two assumptions hold throughout: every component failure interrupts the
// job (one synchronous job spans the whole topology, as in Llama 3
// pre-training, where any GPU failure restarted it), and failures are
// Poisson: each part fails at a constant rate, independently of the others.
package reliability

import (
	"math"

	"github.com/cardsea/cardsea/topology"
)

// Part kinds, in display order.
const (
	Accelerator   = "accelerator"
	HBM           = "hbm"
	Software      = "software"
	SwitchChip    = "switch_chip"
	OpticalModule = "optical_module"
	NIC           = "nic"
	CPU           = "cpu"
	Cable         = "cable"
	Server        = "server"
)

// Kinds lists the part kinds in display order.
var Kinds = []string{Accelerator, HBM, Software, SwitchChip, OpticalModule, NIC, CPU, Cable, Server}

// PartRate is the failure rate of one kind of part over a whole topology.
type PartRate struct {
	Kind string
	// Part says what is counted, e.g. "Ascend 910C packages".
	Part string
	// Count is how many parts of the kind the topology holds.
	Count float64
	// PerHour is the failure rate of one part, failures per hour.
	PerHour float64
	// PerDay is the expected failures per day of all parts of the kind.
	PerDay float64
	// Share is the kind's fraction of all failures (0 when none fail).
	Share float64
}

// PerSecond is the rate of failures of all parts of the kind, per second.
func (p PartRate) PerSecond() float64 { return p.Count * p.PerHour / 3600 }

// Rates lists every part kind with its count and failure rate, in Kinds
// order. A kind the topology lacks has count 0; a kind without a rate has
// rate 0.
func Rates(t *topology.Topology) []PartRate {
	r := t.Reliability
	var modules, copper float64
	for _, l := range t.Links {
		modules += l.Modules
		if l.Medium == topology.Copper {
			copper += float64(l.Lanes)
		}
	}
	for _, n := range t.NICs {
		modules += float64(n.Spec.Ports) * n.Spec.ModulesPerPort
	}
	accName, cpuName, nicName := "accelerator", "CPU", "NIC"
	if len(t.Accels) > 0 {
		accName = t.Accels[0].Spec.Name
	}
	if len(t.CPUs) > 0 {
		cpuName = t.CPUs[0].Spec.Name
	}
	if len(t.NICs) > 0 {
		nicName = t.NICs[0].Spec.Name
	}
	accels := float64(len(t.Accels))
	out := []PartRate{
		{Kind: Accelerator, Part: accName + " packages (dies, SRAM, links)", Count: accels, PerHour: r.AcceleratorPerH},
		{Kind: HBM, Part: accName + " HBM (all stacks of a package)", Count: accels, PerHour: r.HBMPerH},
		{Kind: Software, Part: "software per accelerator (bugs, timeouts)", Count: accels, PerHour: r.SoftwarePerH},
		{Kind: SwitchChip, Part: "switch chips, every tier", Count: float64(len(t.Switches)), PerHour: r.SwitchChipPerH},
		{Kind: OpticalModule, Part: "optical modules (transceivers)", Count: math.Round(modules), PerHour: r.OpticalModulePerH},
		{Kind: NIC, Part: nicName + " NICs", Count: float64(len(t.NICs)), PerHour: r.NICPerH},
		{Kind: CPU, Part: cpuName + " sockets", Count: float64(len(t.CPUs)), PerHour: r.CPUPerH},
		{Kind: Cable, Part: "copper link lanes", Count: copper, PerHour: r.CablePerH},
		{Kind: Server, Part: "servers (PSU, SSD, DIMM, chassis, host)", Count: float64(t.Servers), PerHour: r.ServerPerH},
	}
	var total float64
	for i := range out {
		out[i].PerDay = out[i].Count * out[i].PerHour * 24
		total += out[i].PerDay
	}
	if total > 0 {
		for i := range out {
			out[i].Share = out[i].PerDay / total
		}
	}
	return out
}

// FailuresPerDay is the expected number of failures per day over all kinds.
func FailuresPerDay(rates []PartRate) float64 {
	var s float64
	for _, p := range rates {
		s += p.PerDay
	}
	return s
}

// MTBI is the mean time between interruptions of a job spanning the whole
// topology, in seconds, assuming every failure interrupts it and failures
// are Poisson: 1 / (sum of count x rate). +Inf when nothing can fail.
func MTBI(t *topology.Topology) float64 { return MTBIOf(Rates(t)) }

// MTBIOf is MTBI from rates already listed.
func MTBIOf(rates []PartRate) float64 {
	perDay := FailuresPerDay(rates)
	if perDay <= 0 {
		return math.Inf(1)
	}
	return 86400 / perDay
}

// OptimalInterval is Young's checkpoint interval, sqrt(2 x checkpoint cost
// x MTBI), in seconds: the compute time between checkpoints that minimises
// GoodputLoss to first order. 0 when checkpoints cost nothing (checkpoint
// continuously); +Inf when nothing fails.
func OptimalInterval(mtbi, checkpointCost float64) float64 {
	return math.Sqrt(2 * checkpointCost * mtbi)
}

// GoodputLoss is the fraction of time a job loses to failures with the
// Young/Daly first-order model: checkpointCost / interval for writing
// checkpoints, plus, per interruption (one every mtbi), half an interval
// of work lost since the last checkpoint and restartCost to restart:
//
//	loss = C/tau + (tau/2 + R)/M
//
// All arguments are in seconds; interval is the compute time between
// checkpoints. The loss is capped at 1 (no progress). It is first order in
// tau/M and R/M: accurate while both are small (under a few percent).
func GoodputLoss(mtbi, checkpointInterval, checkpointCost, restartCost float64) float64 {
	var loss float64
	if checkpointCost > 0 {
		if checkpointInterval <= 0 {
			return 1
		}
		loss += checkpointCost / checkpointInterval
	}
	if !math.IsInf(mtbi, 1) {
		if mtbi <= 0 {
			return 1
		}
		loss += (checkpointInterval/2 + restartCost) / mtbi
	}
	return min(max(loss, 0), 1)
}
