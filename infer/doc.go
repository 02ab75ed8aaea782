// Package infer simulates LLM inference steps on a topology: a prefill or a
// decode step of a model from the zoo (package llm), parallelised by tensor,
// pipeline, data and expert parallelism over the accelerator dies, with
// every operator's time from the roofline (package compute) and every
// collective (tensor-parallel allreduce, MoE dispatch and combine, pipeline
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
// Memory is checked per die: weights (attention and dense layers split by
// tensor parallelism, experts by expert parallelism, embeddings and shared
// experts replicated), KV cache for every sequence's context, and
// activations; a plan that does not fit is an error with the numbers.
package infer
