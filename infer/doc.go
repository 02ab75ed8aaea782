// Package infer simulates LLM inference steps on a topology: a prefill or a
// decode step of a model from the zoo (package llm), parallelised by tensor,
// pipeline, data and expert parallelism over the accelerator dies, with
// every operator's time from the roofline (package compute), or on
// accelerators with measured kernel tables (H100, H200, B200, GB200) from
// the models fitted to them (package compute/kernels; KernelTables says
// which, Result.Kernels from which tables), and every collective (tensor-parallel allreduce, MoE dispatch and combine, pipeline
// sends) simulated on the network model, so topology and contention count.
//
// A step runs the model's layers in order. Layers of one kind are alike, so
// each kind of communication is simulated once per step and its time reused
// for every layer (exact: identical transfers on an identical network take
// identical time). With two micro-batches, one micro-batch's communication
// overlaps the other's computation: a layer then takes c + m + max(c, m)
// for per-micro-batch compute c and communication m, instead of 2(c + m).
// Multi-token prediction verifies draft tokens in the same step: the step
// processes 1 + k tokens per sequence and yields 1 + p + p^2 + ... + p^k of
// them on average for acceptance rate p.
//
// With pipeline parallelism, each replica's sequences split into as many
// groups as there are stages; the groups follow one another through the
// stages, activations moving between stages as sends simulated on the
// fabric, so every stage works on one group at a time. A step is then
// the longer of one group's way through every stage and the busiest
// stage's work for all groups; the difference is its idle time (the
// bubble). In a step every sequence advances once.
//
// The serve phase is continuous (in-flight) batching in steady state, as
// TensorRT-LLM, vLLM and SGLang serve a stream of requests: of B sequences
// in flight per accelerator, each step decodes all B and prefills the
// prompts of the B/OutputLen that replace the finishing ones, chunked into
// the same step. Its GEMMs and collectives carry all of the step's tokens,
// its attention a decode part (over the mean KV length, InputLen +
// OutputLen/2) and a prefill part (over the new prompts). It yields B
// tokens per step; TPOT is the step, TTFT half a step of waiting plus a
// step that prefills a whole prompt beside the running sequences (a
// prompt arrives whole). A Mix is a step of any composition, as a
// request-level scheduler forms it (package serve).
//
// Prefill/decode disaggregation (RunDisagg) puts a prefill instance and a
// decode instance on disjoint accelerators of one topology and simulates
// the KV cache of a prefill batch moving from the prefill dies that hold
// each layer to the decode dies that attend to it (Sends: point-to-point
// transfers that contend on the network); TTFT is prefill plus transfer,
// and the two instances' request rates give how many prefill instances
// keep a decode instance busy.
//
// The serving engine around the kernels (Config.Runtime, its figures per
// engine in package serve) adds what its step costs beyond them: the
// host's work, hidden behind the device's step by an overlap scheduler
// but for what outlasts it, and the gap between steps (Result.RuntimeS);
// decode-only steps run in its captured CUDA (ACL) graphs, padded to the
// next size up, eagerly past the largest, when the host launches every
// layer; and its token budget per step: prompts past it are prefilled in
// chunks, a step each, and decode or serve steps past it do not run.
//
// An Engine remembers every configuration it has run, so searches (the
// batch under an SLO, parallelism, curves of limits) pay for each
// simulation once.
//
// Memory is checked per die: weights (attention and dense layers split by
// tensor parallelism, experts by expert parallelism, embeddings and shared
// experts replicated), KV cache for every sequence's context, and
// activations; a plan that does not fit is an error with the numbers.
package infer
