// Package kernels times GPU kernels with models fitted to measured kernel
// latencies: NVIDIA's AIConfigurator tables (github.com/ai-dynamo/aiconfigurator,
// commit 095f58a51c4c, Apache-2.0), collected on H100 SXM, H200 SXM, B200
// SXM and GB200 under the serving engines' own kernels (TensorRT-LLM 1.3.0rc20,
// 1.3.0rc23 for Blackwell MoE, and SGLang 0.5.14).
//
// GEMM: one model per (system, engine, dtype) table, a roofline with wave
// quantisation (see GEMMModel):
//
//	time = launch + activation quantisation
//	     + softmax_P(waves x tile compute, bytes / bandwidth)
//
// The peak FLOP/s, HBM bandwidth and SM count are datasheet figures (Accels,
// each with its source); the efficiencies, tile shape (or, for the SGLang
// tables, the largest tile of a per-shape menu and the L2 feed rate that
// prices small tiles), split-K threshold, per-wave and per-call costs are
// fitted. Lookup(system, dtype) returns the
// TensorRT-LLM fit; LookupEngine names the engine.
// AcceleratorSystem finds the system of a topology's accelerator, and
// 'cardsea op' prints any of the fits for one shape beside the roofline.
//
// Attention: one model per (system, phase, dtype, KV dtype) TensorRT-LLM
// table, full causal attention (see AttentionModel). Context attention is
// tensor-core FLOPs plus one exponential per score at a fitted softmax rate
// (2.6-3.3 x 10^12 scores/s on Hopper, 3.7-4.2 on Blackwell: the
// special-function units; at head size 64 the exponentials cost about as
// much as the matmuls) plus the causal tail of the last query tile;
// generation is KV-cache bytes over the softer of two bandwidth limits,
// saturated HBM and a fitted per-CTA rate times the CTAs a split-KV kernel
// has in flight, with a fixed cost per (sequence, head) on the MHA kernel
// and the per-head fallback (which reads each KV head once from HBM and
// its group's re-reads partly from L2), or per (sequence, KV head) on the
// grouped kernel, plus a per-head cost that grows with the head size; a
// fitted share of these fixed costs (SM work) overlaps the KV stream, and
// the per-head kernel has its own per-CTA bandwidth.
// LookupAttention returns them.
//
// MLA (DeepSeek's latent attention): one model per TensorRT-LLM (system,
// phase, KV dtype) table, an AttentionModel on the geometry that moves MLA's
// bytes (see MLAModel); LookupMLA returns them. Blackwell generation
// instead lays each call out as TensorRT-LLM's trtllm-gen MLA decode does
// (DispatchMLAGen: kernel, split-KV count, CGA or global-memory reduction,
// value-dimension split) and costs that launch (mlaGenTime).
//
// MoE: one model per (system, engine, kernel, dtype), fitted to its
// balanced and skewed fused-MoE tables together (each at least 60 sampled
// rows; see MoEModel) and listed once per distribution: expert weights of
// the experts the routing hits over HBM, the grouped GEMMs' padded tiles
// wave by wave over the SMs, and per-token and per-assignment routing
// costs. The row tile follows the kernels' own heuristic (a power of two
// from the rows per expert they estimate, tokens x top-k / local experts
// for TensorRT-LLM and FlashInfer, which under EP without dispatch is ep
// times the real rows: the tables step where it crosses a power of two).
// Skewed tables are timed on AIConfigurator's routing generator, replayed
// on a fixed stream (MoERouting): the busiest EP rank of power-law expert
// counts. It does not meet issue #15's targets yet (held-out medians
// 6-24% per table, p90s 19-75%): the Hopper tables hold autotuner
// outliers (a 48-token call at 1.3 ms between 160 and 2,048 tokens at
// 1.5 and 0.3 ms) and SGLang's Triton kernel picks configs by shape.
// Rows the physics rules out are left out of the MoE fits and the held-out
// report alike, by one rule applied identically to every MoE table and
// decided from the roofline, not from any fit's error (MoEPhysical,
// MoEFloor): a row more than 10% faster than the larger of the HBM time
// of the weights of the experts its tokens must touch and the compute
// time of its grouped GEMMs at the datasheet peak cannot have been
// measured as labelled (H100 and H200 SGLang DeepSeek fp8_block at EP 1
// times like EP 2, below the HBM time of the 256 experts it reads). The
// rule runs when the sample is read, so the carried sample keeps every
// row; MoEExclusions counts what it drops per table and
// `cardsea validate --kernels` prints it.
// LookupMoE returns the fits with their held-out figures (CheckMedian,
// CheckP90) so a caller can see how far to trust them; RankTime times one
// rank as a serving engine with expert parallelism feeds it (the rows
// dispatched to it, not the whole group's tokens, so the tile heuristic
// sees the rows it gets).
//
// HeldOut is the held-out error of every fit by system, class, engine and
// shape band ('cardsea validate --kernels'). Package infer times a step's
// kernels with these fits on the accelerators that have tables.
//
// Guarantees:
//
//   - Deterministic. Time is pure arithmetic on the shape and the table:
//     no state, no randomness, no allocation (a skewed MoE table's routing
//     is replayed on a fixed pseudo-random stream, the same every call). The fit is deterministic too
//     (Nelder-Mead from fixed starts over a fixed menu of tile shapes; see
//     internal/fit), so rerunning it on the same sample rewrites
//     gemm_fits.go, attention_fits.go, mla_fits.go and moe_fits.go byte
//     for byte (on amd64; another architecture may fuse floating-point
//     operations differently and land on other last digits).
//   - Every coefficient has a source. Datasheet figures name the NVIDIA page
//     they came from (Accels); every fitted entry of the *_fits.go tables
//     carries the AIConfigurator table it was fitted to (Source; Table for
//     MoE) and is written by the fitting program, never by hand.
//   - Fit on part, check on the rest. A shape belongs to the held-out part
//     when the FNV-1a hash of its key ("MxNxK" for a GEMM) says so (Held,
//     about 30% of shapes, the same shapes on every system). The fit sees
//     only the other 70%; the table records each entry's held-out median
//     and p90 |error|, and TestGEMMHeldOut recomputes them from the
//     embedded sample and holds them to issue #15's targets (median <= 8%,
//     p90 <= 20%), logging the full table with -v; TestAttentionHeldOut,
//     TestMLAHeldOut and TestMoEHeldOut do the same for attention, MLA and
//     MoE. Tables that miss are listed in the tests with their bound and
//     reason.
//   - Users need nothing outside the module: the sample the fit used is
//     embedded (data/, per system about 2,200-2,800 GEMM, 1,800-1,900
//     attention, 1,500 MLA and 2,800-2,900 MoE rows, 300 KB in all; see
//     data/README.md for how it was drawn); GEMMSample, AttentionSample,
//     MLASample and MoESample return it.
//
// Reproduce:
//
//	go run ./compute/kernels/internal/mksample -src ../shared/measurements/kernels
//	go run ./compute/kernels/internal/fit -out compute/kernels
//	go test -v -run HeldOut ./compute/kernels
//
// and, with the full tables at hand, the held-out error on every check
// shape of them (not only the sampled ones):
//
//	go run ./compute/kernels/internal/fit -check ../shared/measurements/kernels
package kernels
