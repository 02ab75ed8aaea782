// Package fidelity runs the published measurements the project holds
// (package validation) against the simulator and reports, case by case and
// point by point, the measured figure, the simulated one, the relative
// error and whether it lies within the case's tolerance. It is how users
// see how far to trust each preset (`cardsea validate`), and the tests of
// this package are the model's acceptance tests.
//
// NCCL runs the nccl-tests sweeps (validation.NCCL: H100, H200, B200 and
// GB200 at 2 to 8 GPUs, four operations, 512 B to 512 MiB) point by point
// and NCCLSummary gives their error distribution by system, operation and
// size band; those points have no tolerance and no pass or fail, only
// the distribution, which the tests bound against regressions.
//
// Nothing here tunes the model: each case is mapped onto its preset and
// workload as the source describes it, and the preset's figures are the
// ones every other run uses.
package fidelity
