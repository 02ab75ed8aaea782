package topology

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Dtype is a numeric data type an accelerator computes in.
type Dtype uint8

// Data types with a dense peak rate in presets. FP16 and BF16 share a rate on
// every preset chip but are kept apart because some chips lack one of them.
const (
	FP32 Dtype = iota
	BF16
	FP16
	FP8
	INT8
	FP4
	NumDtypes
)

var dtypeNames = [NumDtypes]string{"fp32", "bf16", "fp16", "fp8", "int8", "fp4"}

// Bytes is the size of one element of the type.
func (d Dtype) Bytes() float64 {
	switch d {
	case FP32:
		return 4
	case BF16, FP16:
		return 2
	case FP8, INT8:
		return 1
	case FP4:
		return 0.5
	}
	return 0
}

func (d Dtype) String() string {
	if d < NumDtypes {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Dtypes lists every data type in display order.
func Dtypes() []Dtype {
	out := make([]Dtype, NumDtypes)
	for i := range out {
		out[i] = Dtype(i)
	}
	return out
}

// ParseDtype parses a data type name such as "bf16".
func ParseDtype(s string) (Dtype, error) {
	for i, n := range dtypeNames {
		if strings.EqualFold(s, n) {
			return Dtype(i), nil
		}
	}
	return 0, fmt.Errorf("unknown dtype %q (want one of %s)", s, strings.Join(dtypeNames[:], ", "))
}

// AcceleratorSpec describes one accelerator package (GPU, NPU, TPU chip).
type AcceleratorSpec struct {
	Name string
	// Dies is the number of compute dies that attach to the fabric on their
	// own (Ascend 910C: 2). A GPU whose dies present as one device has 1.
	Dies int
	// PeakFLOPS is the dense peak rate per data type; 0 means the chip lacks
	// the type.
	PeakFLOPS [NumDtypes]float64
	// HBMBytes and HBMBytesPerS are per package.
	HBMBytes     float64
	HBMBytesPerS float64
	// DieLinkBytesPerS is the die-to-die bandwidth per direction (multi-die only).
	DieLinkBytesPerS float64
	// IdleW and MaxW bound the package's power draw.
	IdleW, MaxW float64
	// OpOverheadS is the fixed software cost of one collective operation
	// (kernel launch, setup, final synchronisation).
	OpOverheadS float64
	// StepLatencyS is the software latency of one algorithm step (one
	// send/receive hand-off between ranks) in the low-latency protocol (NCCL
	// LL), on top of wire and switch latency: the alpha term of the
	// alpha-beta model.
	StepLatencyS float64
	// BulkStepLatencyS is the per-step latency of the bulk protocol (NCCL
	// Simple), which moves data at the full link efficiency but hands off
	// in larger slices; 0 means the same as StepLatencyS.
	BulkStepLatencyS float64
	// MoEOverheadS is the fixed cost of one fused MoE dispatch or combine
	// kernel (launch, routing metadata, synchronisation); it replaces
	// OpOverheadS for those operations. 0 means OpOverheadS.
	MoEOverheadS float64
	// CommW is the package's power while it only communicates (collective
	// kernels moving data, no compute); 0 means IdleW.
	CommW float64
	// Efficiency is the sustained fraction of peak compute and of HBM
	// bandwidth per operator class (package compute's roofline).
	Efficiency Efficiencies
	// KernelLaunchS is the fixed cost of launching one compute kernel
	// (operator), paid once per operator on top of its roofline time.
	KernelLaunchS float64
	// Collectives is the collective library the accelerator runs, one of
	// CollectiveLibraries: "nccl" (NVIDIA's NCCL and its kin RCCL), or
	// "hccl" (Huawei's HCCL on Ascend, which has no tree and no NVLS).
	// "" means nccl.
	Collectives string
}

// CollectiveLibraries are the collective libraries a preset may name.
var CollectiveLibraries = []string{"nccl", "hccl"}

// Efficiency is the fraction of peak an operator class sustains: Compute of
// the dense peak FLOP/s of the data type it runs in, Memory of the HBM
// bandwidth. 0 means 1 (the bare roofline).
type Efficiency struct {
	Compute, Memory float64
}

// Efficiencies holds the sustained fractions per operator class.
type Efficiencies struct {
	// GEMM is a dense matrix multiplication (projections, dense FFN).
	GEMM Efficiency
	// Attention is a fused attention kernel (MLA, FlashAttention).
	Attention Efficiency
	// MoEGEMM is a grouped GEMM over the experts of an MoE layer.
	MoEGEMM Efficiency
}

// SwitchSpec describes one switch chip (or logical switch).
type SwitchSpec struct {
	Name          string
	Ports         int
	PortBytesPerS float64 // per direction
	LatencyS      float64 // port to port
	PowerW        float64
	// Reduce is true where the chip reduces and multicasts in the network
	// (NVLink SHARP); collective algorithms that need it ask for it.
	Reduce bool
	// Cooling of the rack the chip sits in ("" = the domain's compute cooling).
	Cooling Cooling
	// ReduceEfficiency is the fraction of port bandwidth that in-network
	// reduction (NVLS) achieves; 0 means 1.
	ReduceEfficiency float64
	// ReduceLatencyS is the fixed cost of one in-network reduction
	// operation (NVLS: launch, multicast set-up and synchronisation), in
	// place of the accelerator's op_overhead when larger; 0 means none.
	ReduceLatencyS float64
	// IdleW is the chip's power with no traffic; PowerW is at full load.
	// 0 means PowerW (no traffic-dependent part).
	IdleW float64
}

// CPUSpec describes a host CPU socket.
type CPUSpec struct {
	Name        string
	IdleW, MaxW float64
}

// NICSpec describes a scale-out network interface.
type NICSpec struct {
	Name          string
	Ports         int
	PortBytesPerS float64 // per direction
	PowerW        float64
	// ModulesPerPort counts the optical modules of each port's cable, both
	// ends (2 for an optical cable, 0 for a copper DAC).
	ModulesPerPort float64
	// Optics names the module type (index into Topology.Optics; -1 none).
	Optics int
}

// OpticsSpec describes an optical module type.
type OpticsSpec struct {
	Name   string
	PowerW float64
}

// Medium is what a link is made of.
type Medium uint8

// Link media.
const (
	OnBoard Medium = iota // traces on a board or package
	Copper                // copper cable or backplane
	Optical               // fibre with optical modules at the ends
)

var mediumNames = []string{"electrical", "copper", "optical"}

func (m Medium) String() string {
	if int(m) < len(mediumNames) {
		return mediumNames[m]
	}
	return fmt.Sprintf("medium(%d)", uint8(m))
}

// ParseMedium parses "electrical" (on-board), "copper" or "optical".
func ParseMedium(s string) (Medium, error) {
	switch strings.ToLower(s) {
	case "electrical", "onboard", "on-board":
		return OnBoard, nil
	case "copper":
		return Copper, nil
	case "optical":
		return Optical, nil
	}
	return 0, fmt.Errorf("unknown medium %q (want electrical, copper or optical)", s)
}

// Cooling is how a rack is cooled; it sets the facility overhead (PUE).
type Cooling string

// Cooling kinds.
const (
	Liquid Cooling = "liquid"
	Air    Cooling = "air"
)

// HoursPerYear converts annualised failure rates: a year of 365 days.
const HoursPerYear = 365 * 24

// Reliability holds failure rates per part, in failures per part-hour
// (a rate, not a probability: "6.1%/yr" is 0.061 / 8,760 per hour; "700
// FIT" is 700 per 1e9 hours). A zero rate means the part never fails.
type Reliability struct {
	// AcceleratorPerH is per accelerator package: its compute dies, on-die
	// SRAM, system processor and scale-up links, without its HBM.
	AcceleratorPerH float64
	// HBMPerH is per accelerator package: all its HBM stacks.
	HBMPerH float64
	// SoftwarePerH is per accelerator: software bugs, collective-library
	// timeouts and dependencies that stop a job, which grow with its ranks.
	SoftwarePerH float64
	// SwitchChipPerH is per switch chip, every tier.
	SwitchChipPerH float64
	// OpticalModulePerH is per optical module (transceiver), both ends of
	// a link counted apart.
	OpticalModulePerH float64
	// NICPerH is per scale-out NIC.
	NICPerH float64
	// CPUPerH is per host CPU socket.
	CPUPerH float64
	// CablePerH is per copper link lane (cable or backplane connection);
	// optical links fail through their modules, on-board traces with the
	// board.
	CablePerH float64
	// ServerPerH is per server (node, tray): everything else in it (power
	// supplies, SSDs, DIMMs, chassis, unplanned host maintenance).
	ServerPerH float64
}

// IsSet reports whether any rate is given.
func (r Reliability) IsSet() bool { return r != Reliability{} }

// ParseFailureRate parses a failure rate per part into failures per hour:
// an annualised rate ("6.1%/yr", "0.061/yr", "3 %/year") or FIT, failures
// per 1e9 device-hours ("700 FIT").
func ParseFailureRate(s string) (float64, error) {
	in := strings.TrimSpace(s)
	low := strings.ToLower(in)
	bad := func(why string) (float64, error) {
		return 0, fmt.Errorf("%q is not a failure rate (%s); write an annualised rate such as \"6.1%%/yr\" or FIT such as \"700 FIT\"", s, why)
	}
	num := func(t string) (float64, error) {
		t = strings.TrimSpace(t)
		pct := strings.HasSuffix(t, "%")
		t = strings.TrimSpace(strings.TrimSuffix(t, "%"))
		v, err := strconv.ParseFloat(t, 64)
		if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, errors.New("want a finite number >= 0")
		}
		if pct {
			v /= 100
		}
		return v, nil
	}
	if t, ok := strings.CutSuffix(low, "fit"); ok {
		if strings.HasSuffix(strings.TrimSpace(t), "%") {
			return bad("FIT takes no percent sign")
		}
		v, err := num(t)
		if err != nil {
			return bad(err.Error())
		}
		return v * 1e-9, nil
	}
	for _, suf := range []string{"/yr", "/year", " per year", "/y", "/a"} {
		if t, ok := strings.CutSuffix(low, suf); ok {
			v, err := num(t)
			if err != nil {
				return bad(err.Error())
			}
			return v / HoursPerYear, nil
		}
	}
	return bad("no unit")
}
