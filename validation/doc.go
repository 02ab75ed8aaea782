// Package validation is cardsea's own copy of the published measurements
// the simulator is checked against: NCCL-class collective sweeps (busbw by
// message size, by rank count, MoE dispatch and combine), small-message
// latencies, inference throughput and node power. The data lives in
// cases.yaml, embedded in the binary, so that tests and users need nothing
// outside this module; every case names the system it was measured on, the
// preset that models it, the source, and the relative tolerance a
// simulation must meet.
//
// NCCL returns the nccl-tests sweeps of AIConfigurator (H100, H200, B200,
// GB200; 2 to 8 GPUs; four operations; 512 B to 512 MiB), embedded as
// nccl/nccl_perf_<system>.csv, each row its system, op, dtype, GPU count,
// nccl-tests size in bytes and out-of-place time.
//
// Load decodes the embedded file strictly (unknown fields, duplicate keys
// and wrong types are errors with file:line:col). Collective points keep
// file order; a point's key is kept as written and, where it is a message
// size ("64MiB") or an expert-parallel setting ("EP8_BS128"), also parsed.
// Tolerance.For gives the tolerance at a message size, since some cases
// allow more error below 64 MiB, where launch and step latencies dominate.
//
// How tests use it: a test in a model package (network, collective, llm,
// power) loads the set, looks a case up by id, builds the preset named in
// its preset hint, simulates the same operation at each point and checks
// |sim - measured| / measured <= tolerance. A failing case is a finding
// about the model, to be explained or fixed in the model.
//
// The values here must never be used to tune a preset per case. Preset
// figures (link efficiency, in-network reduction efficiency, per-operation
// and per-step latency) are derived once per link or device type from
// published measurements, with the derivation in the preset's source
// comment; they are the same for every case that uses that hardware. A
// case that only passes with a per-case constant has not been validated.
package validation
