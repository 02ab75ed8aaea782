package compute

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/cardsea/cardsea/topology"
)

// Class is an operator class with its own measured efficiency.
type Class uint8

// Operator classes, matching the keys of a preset's accelerator.efficiency.
const (
	GEMM      Class = iota // dense matrix multiplication (projections, dense FFN)
	Attention              // fused attention kernel (MLA, FlashAttention)
	MoEGEMM                // grouped GEMM over the experts of an MoE layer
	NumClasses
)

var classNames = [NumClasses]string{"gemm", "attention", "moe_gemm"}

func (c Class) String() string {
	if c < NumClasses {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// ParseClass parses an operator class name as written in presets ("gemm",
// "attention", "moe_gemm").
func ParseClass(s string) (Class, error) {
	for i, n := range classNames {
		if strings.EqualFold(s, n) {
			return Class(i), nil
		}
	}
	return 0, fmt.Errorf("unknown operator class %q (want one of %s)", s, strings.Join(classNames[:], ", "))
}

// Which term of the roofline bounds an operator.
const (
	BoundCompute = "compute"
	BoundMemory  = "memory"
)

// Op is one operator (one kernel launch) on one accelerator.
type Op struct {
	Class Class
	// FLOPs is the arithmetic work, counted as 2 per multiply-add.
	FLOPs float64
	// Bytes is the HBM traffic, reads plus writes.
	Bytes float64
	// Dtype is the type the FLOPs run in (W8A8 GEMM: int8); it is not
	// consulted when FLOPs is 0.
	Dtype topology.Dtype
}

// Efficiency returns the sustained fractions of peak for a class on an
// accelerator, with 0 (not given) read as 1.
func Efficiency(a *topology.AcceleratorSpec, c Class) (topology.Efficiency, error) {
	if a == nil {
		return topology.Efficiency{}, errors.New("compute: no accelerator")
	}
	var e topology.Efficiency
	switch c {
	case GEMM:
		e = a.Efficiency.GEMM
	case Attention:
		e = a.Efficiency.Attention
	case MoEGEMM:
		e = a.Efficiency.MoEGEMM
	default:
		return e, fmt.Errorf("compute: unknown operator class %v (want one of %s)", c, strings.Join(classNames[:], ", "))
	}
	if e.Compute == 0 {
		e.Compute = 1
	}
	if e.Memory == 0 {
		e.Memory = 1
	}
	return e, nil
}

// Timing is how an operator's time splits on the roofline.
type Timing struct {
	// ComputeS and MemoryS are the two roofline terms, FLOPs / (peak x
	// eff.compute) and bytes / (bandwidth x eff.memory); the operator runs
	// for the larger.
	ComputeS, MemoryS float64
	// LaunchS is the kernel launch overhead before it runs.
	LaunchS float64
}

// TotalS is the operator's time: launch plus the larger roofline term.
func (t Timing) TotalS() float64 { return t.LaunchS + math.Max(t.ComputeS, t.MemoryS) }

// Bound names the roofline term that bounds the operator (a tie or an
// operator with no work is memory-bound).
func (t Timing) Bound() string {
	if t.ComputeS > t.MemoryS {
		return BoundCompute
	}
	return BoundMemory
}

// Time returns how long op takes on accelerator a, launch overhead included,
// and which roofline term bounds it (BoundCompute or BoundMemory; a tie or
// an operator with no work is memory-bound). It fails when a lacks op's
// data type (a *DtypeError, which suggests a mapping), for negative or
// non-finite work, and for traffic on an accelerator without HBM bandwidth.
func Time(a *topology.AcceleratorSpec, op Op) (seconds float64, bound string, err error) {
	t, err := Roofline(a, op)
	if err != nil {
		return 0, "", err
	}
	return t.TotalS(), t.Bound(), nil
}

// Roofline returns both roofline terms of op on a, and its launch overhead,
// for callers that need more than the time (the power model weighs the
// compute and memory terms). It fails as Time does.
func Roofline(a *topology.AcceleratorSpec, op Op) (Timing, error) {
	eff, err := Efficiency(a, op.Class)
	if err != nil {
		return Timing{}, err
	}
	if !(op.FLOPs >= 0) || math.IsInf(op.FLOPs, 0) {
		return Timing{}, fmt.Errorf("compute: %v op FLOPs %g must be finite and non-negative", op.Class, op.FLOPs)
	}
	if !(op.Bytes >= 0) || math.IsInf(op.Bytes, 0) {
		return Timing{}, fmt.Errorf("compute: %v op bytes %g must be finite and non-negative", op.Class, op.Bytes)
	}
	t := Timing{LaunchS: a.KernelLaunchS}
	if op.FLOPs > 0 {
		if op.Dtype >= topology.NumDtypes {
			return Timing{}, fmt.Errorf("compute: %v op has unknown dtype %v", op.Class, op.Dtype)
		}
		peak := a.PeakFLOPS[op.Dtype]
		if peak <= 0 {
			return Timing{}, newDtypeError(a, op.Dtype)
		}
		t.ComputeS = op.FLOPs / (peak * eff.Compute)
	}
	if op.Bytes > 0 {
		if a.HBMBytesPerS <= 0 {
			return Timing{}, fmt.Errorf("compute: %s has no HBM bandwidth for a %v op moving %g bytes", a.Name, op.Class, op.Bytes)
		}
		t.MemoryS = op.Bytes / (a.HBMBytesPerS * eff.Memory)
	}
	return t, nil
}

// PerDie returns the spec of one die of a multi-die package, for work placed
// on a single die: peak rates, HBM capacity and bandwidth and power are the
// package's divided by its dies; efficiencies, launch and collective
// overheads are unchanged. A single-die package is returned as is.
func PerDie(a *topology.AcceleratorSpec) topology.AcceleratorSpec {
	d := *a
	if a.Dies <= 1 {
		return d
	}
	n := float64(a.Dies)
	for i := range d.PeakFLOPS {
		d.PeakFLOPS[i] /= n
	}
	d.HBMBytes /= n
	d.HBMBytesPerS /= n
	d.IdleW /= n
	d.MaxW /= n
	d.CommW /= n
	d.Dies = 1
	d.Name = fmt.Sprintf("%s (one of %d dies)", a.Name, a.Dies)
	return d
}
