// Package collective runs NCCL-class collective operations on the network
// model: each algorithm compiles an operation into a plan (a graph of
// transfers with dependencies), and an executor runs the plan on a
// network.Network over the sim kernel, so contention, topology and
// concurrency all count.
//
// Operations: allreduce, allgather, reducescatter, alltoall (uniform or by a
// per-pair byte matrix), broadcast, reduce, sendrecv, and MoE dispatch and
// combine. Algorithms: ring (with chunked pipelining, and across scale-up
// domains one ring per NIC, as NCCL's channels), double binary tree,
// recursive halving-doubling, direct (one-shot), pairwise alltoall, NVLS
// (in-network reduction on switches that support it) and hierarchical
// (intra-domain, inter-domain, intra-domain). Auto simulates every
// algorithm that applies and keeps the fastest, skipping those whose
// lower bound (the most loaded channel, the critical path at solo rates)
// cannot beat the best found; a candidate too large to simulate is
// bounded without being built and ruled out, or, if it might win,
// refused with its size and memory estimate.
//
// Time model, per operation: the accelerator's op_overhead once (launch,
// setup, final synchronisation), then for every transfer its step_latency
// (the alpha term, software hand-off between ranks) before its bytes enter
// the network, where they move at max-min fair rates and arrive after the
// route's wire and switch latency. On an ideal fabric (no hop latency, full
// efficiency, no contention) ring allreduce therefore takes exactly
// op_overhead + 2(n-1)·alpha + 2(n-1)/n · S/B.
//
// A plan whose channels are rotations of one another on a fabric the
// rotation maps onto itself (NCCL's tree channels across HGX nodes) runs
// as its first channel alone on the quotient of the fabric by the
// rotation, exact under max-min fairness, and falls back to the whole
// plan wherever a fault or the placement breaks the symmetry
// (symmetry.go).
//
// An all-pairs plan of uniform transfers (direct alltoall, allgather,
// reducescatter, allreduce) among ranks that automorphisms of the fabric
// carry transitively onto one another is kept as rank 0's n-1 transfers
// and run as n-1 merged flows of multiplicity n on the quotient by the
// channels' orbits (orbit.go): 8,191 flows for Atlas 950's 8,192 NPUs;
// Auto bounds pairwise alltoall from rank 0's routes alike. Other
// alltoall and MoE plans merge their transfers by equitable classes
// (merged.go).
//
// Execute is the one entry point that runs operations: one alone with its
// fastest algorithm, several groups at once, a MoE layer's dispatch or
// combine, given jobs or compiled plans together, traced or not (see
// Request; One and MoEJob build the common requests). The package's old
// runners survive unexported only for the tests that keep Execute equal
// to their former bodies (legacy_test.go).
//
// Protocols: Simple, LL (half payload) and LL128 (120 data bytes in 128),
// each with its step latency. Within one NVLink domain of Hopper or
// Blackwell GPUs, NCCL's copy rate caps what a rank sends (nccltune.go:
// per family and op class, fitted to the fit half of NCCL 2.29.2's
// one-node nccl-tests points of 64 MiB and above; LL at NCCL's llMaxBw),
// and Auto tries LL128 there as NCCL's tuner does; on Hopper such
// operations pay NCCL 2.29's op overhead and LL step (fitted alike, from
// the points of 16 KiB and below) in place of the preset's.
//
// Sizes follow nccl-tests: S is the per-rank buffer for allreduce,
// broadcast and reduce; the total (all ranks') buffer for allgather,
// reducescatter and alltoall. algbw = S/time and busbw = algbw times the
// factor of nccl-tests doc/PERFORMANCE.md.
package collective
