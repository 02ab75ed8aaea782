// Package train simulates one optimizer step of transformer training on a
// topology, with its power: the compute of every layer on the roofline
// (package compute), the communication of every parallel dimension
// simulated on the network model (package collective), and the energy of
// what each component did (package power, activity or provisioned).
//
// Parallelism: TP (tensor, within a group of consecutive accelerators),
// CP (context: the sequence split across CP groups, ring attention
// exchanging K and V), DP (data: replicas; gradients all-reduced across
// them). Ranks are dies (Ascend 910C has two per package, each with half
// the package's rates and memory); rank r sits on die r of the topology,
// and a replica is TP x CP consecutive dies, so TP and CP stay inside a
// server when they fit and DP crosses the scale-out network.
//
// A step runs GlobalBatch sequences: each DP replica runs
// GlobalBatch / DP / MicroBatch micro-batches, forward then backward,
// then the gradient all-reduce (overlapped with the last micro-batch's
// backward: only the rest is exposed) and the optimizer update.
//
// Per layer and micro-batch, on one accelerator:
//
//	forward   GEMMs       2 x tokens x (attention + FFN parameters) / TP
//	          attention   the model's score and value FLOPs at half the
//	                      sequence (causal), / TP
//	          vector ops  norms, residual adds, rotary embedding and the
//	                      gated activation: memory-bound passes over the
//	                      activations
//	backward  GEMMs x 2 (weights and inputs), or x 1 for LoRA (frozen
//	          weights: input gradients only), attention x 2.5 (flash
//	          attention's backward runs five matmuls to the forward's two,
//	          Dao 2023, FlashAttention-2), vector ops x 2
//	TP        2 all-reduces of the layer's activations forward and 2
//	          backward; with TPOverlap they hide behind the GEMMs and only
//	          the excess is exposed
//	CP        an all-gather of K and V forward and a reduce-scatter of
//	          their gradients backward, hidden behind the attention
//
// Trainable parameters are all weights, or for LoRA of rank r the
// adapters on the four attention projections, r x (in + out) each. The
// optimizer reads and writes 16 bytes per trainable parameter (weight,
// gradient, two Adam moments), sharded over DP.
//
// What is not modelled: pipeline parallelism, MoE layers, activation
// recomputation, data loading, evaluation passes and stragglers; a
// configuration that needs them is refused with the reason. Step times and
// MFU are therefore a lower and an upper bound: the model charges the
// roofline of each layer's operators and the collectives, not framework
// overheads (it reports MFU 0.60 for Llama 2 70B LoRA in FP8 on one DGX
// H100, where published runs are slower), and node power follows (it
// reads 7.6 kW where MLPerf's measured average is 6.7 kW; see validation
// case P02).
package train
