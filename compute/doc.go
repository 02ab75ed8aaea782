// Package compute times one operator (a kernel) on one accelerator with a
// roofline corrected by measured efficiency:
//
//	time = launch + max(FLOPs / (peak(dtype) x eff.compute),
//	                    bytes / (HBM bandwidth x eff.memory))
//
// peak(dtype) is the accelerator's dense peak rate in the data type the
// FLOPs run in (topology.AcceleratorSpec.PeakFLOPS), HBM bandwidth is the
// package's (HBMBytesPerS), launch is the per-kernel launch overhead
// (KernelLaunchS) and eff is the sustained fraction of peak for the
// operator's class (GEMM, attention, grouped MoE GEMM) from the preset, each
// figure with its source (e.g. CloudMatrix 384: INT8 GEMM 0.80 of peak, MLA
// 0.654 of compute and 0.841 of memory bandwidth; H800 FlashMLA 0.896 of
// memory bandwidth). An efficiency of 0 reads as 1, the bare roofline.
// Time also says which term bounds the operator: "compute" or "memory".
//
// The launch figure is per kernel, not per compute graph: Ascend's 0.6-0.8 ms
// graph launch is paid once per decode step and belongs to the caller, and
// CUDA-graph replay pays less per kernel than the preset's host-launch
// figure (set KernelLaunchS on a copy of the spec to model it).
//
// Data types: a chip that lacks a type (no peak rate for it, e.g. FP8 on
// Ascend 910C) is an error, never a silent fallback. Resolve applies an
// explicit DtypeMap (fp8=int8) and Precision resolves the three tensor
// kinds of a model (weights, activations, KV cache) at once.
//
// Multi-die packages: Ascend 910C presents its two dies to the fabric on
// their own, and work placed on one die sees half the package's peak and
// HBM bandwidth; PerDie returns that die's spec.
//
// The package is pure arithmetic: no state, no allocation on the Time path.
package compute
