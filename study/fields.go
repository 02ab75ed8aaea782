package study

import (
	"slices"

	"strings"

	"github.com/cardsea/cardsea/compute"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
)

// Fields is the record schema: every field any command or scenario
// reports, each declared once with the functions that read it from each
// kind of typed result, in the order records carry them (CSV columns,
// JSON keys, table rows). A new metric is one entry here; sheets, CSV and
// JSON follow. Keys carry SI units (seconds, bytes, watts, joules);
// headers the display unit that Scale converts to.
var Fields = slices.Concat(identity, timing, throughput, service, memory, kvTransfer, deployment, energy, costs, breakdown(), feasibility)

// col is a column with a key, a header and display digits; a key whose
// suffix names its SI unit (time_s, energy_j) has tables print each value
// in the unit its magnitude needs (report.UnitOf).
func col(key, header string, scale float64, digits int) report.Column {
	return report.Column{Key: key, Header: header, Scale: scale, Digits: digits, Unit: report.UnitOf(key)}
}

// minor marks c as a breakdown of an answer or the answer in another
// form: the first columns a table too wide for the terminal leaves out.
func minor(c report.Column) report.Column {
	c.Minor = true
	return c
}

// countAbove is n, or nil (an empty cell) when it is at most floor: a
// count that only says something past it (a graph batch, chunks).
func countAbove(n, floor int) any {
	if n <= floor {
		return nil
	}
	return n
}

// label is a column of names or counts.
func label(key, header string) report.Column { return report.Column{Key: key, Header: header} }

// overridden is a per-module dtype's name, or nil (an empty cell) when
// it follows the default.
func overridden(d compute.Override) any {
	if !d.Set {
		return nil
	}
	return d.Dtype.String()
}

// nonEmpty is s, or nil (an empty cell) when s is empty.
func nonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// latency is what an inference step's phase reports: the context (or
// prompt) length, and TTFT, TPOT and tokens/s per user where they apply.
func latency(r infer.Result) (ctx int, ttft, tpot, perUser any) {
	c := r.Config
	switch c.Phase {
	case infer.Prefill:
		return c.InputLen, r.TTFTS, nil, nil
	case infer.Serve:
		return infer.ServeContext(c), r.TTFTS, r.TPOTS, r.TokensPerSPerUser
	}
	return c.Context, nil, r.TPOTS, r.TokensPerSPerUser
}

var identity = []Field{
	{Column: label("topology", "Topology"),
		Collective: func(r *CollectiveRecord) any { return r.Topology },
		Inference:  func(r *InferenceRecord) any { return r.Topology },
		Disagg:     func(r *DisaggRecord) any { return r.Topology },
		Training:   func(r *TrainingRecord) any { return r.Topology },
		Infeasible: func(r *InfeasibleRecord) any { return r.Topology },
		Serve:      func(r *ServeRecord) any { return r.Topology }},
	{Column: label("workload", "Workload"),
		Collective: func(r *CollectiveRecord) any { return nonEmpty(r.Workload) },
		Inference:  func(r *InferenceRecord) any { return nonEmpty(r.Workload) },
		Disagg:     func(r *DisaggRecord) any { return nonEmpty(r.Workload) },
		Training:   func(r *TrainingRecord) any { return nonEmpty(r.Workload) },
		Infeasible: func(r *InfeasibleRecord) any { return nonEmpty(r.Workload) },
		Serve:      func(r *ServeRecord) any { return nonEmpty(r.Workload) }},
	{Column: label("op", "Op"),
		Collective: func(r *CollectiveRecord) any { return string(r.Result.Op) }},
	{Column: label("phase", "Phase"),
		Inference:  func(r *InferenceRecord) any { return string(r.Result.Config.Phase) },
		Disagg:     func(*DisaggRecord) any { return "disagg" },
		Training:   func(*TrainingRecord) any { return "train" },
		Infeasible: func(r *InfeasibleRecord) any { return r.Phase },
		Serve:      func(*ServeRecord) any { return ServePhase }},
	{Column: label("model", "Model"),
		Inference: func(r *InferenceRecord) any { return r.Result.Config.Model.Name },
		Disagg:    func(r *DisaggRecord) any { return r.Result.Decode.Config.Model.Name },
		Training:  func(r *TrainingRecord) any { return r.Result.Config.Model.Name },
		Serve:     func(r *ServeRecord) any { return r.instance().Model.Name }},
	{Column: label("algorithm", "Algorithm"),
		Collective: func(r *CollectiveRecord) any { return string(r.Result.Algorithm) }},
	{Column: label("protocol", "Protocol"),
		Collective: func(r *CollectiveRecord) any { return r.Result.Protocol.String() }},
	{Column: label("ranks", "Ranks"),
		Collective: func(r *CollectiveRecord) any { return r.Result.Ranks }},
	{Column: report.Column{Key: "size_bytes", Header: "Size (B)", Unit: report.BytesBinary},
		Collective: func(r *CollectiveRecord) any { return int(r.Result.SizeBytes) }},
	{Column: label("accelerators", "Accelerators"),
		Inference: func(r *InferenceRecord) any { return r.Result.Accelerators },
		Training:  func(r *TrainingRecord) any { return r.Accelerators },
		Serve:     func(r *ServeRecord) any { return r.Result.Accelerators }},
	{Column: minor(label("dies", "Dies")),
		Inference: func(r *InferenceRecord) any { return r.Result.Dies },
		Training:  func(r *TrainingRecord) any { return r.Result.Ranks }},
	{Column: label("prefill_accelerators", "Prefill accelerators"),
		Disagg: func(r *DisaggRecord) any { return r.Result.PrefillAccelerators }},
	{Column: label("prefill_tp", "Prefill TP"),
		Disagg: func(r *DisaggRecord) any { return r.Result.Prefill.Config.TP }},
	{Column: label("prefill_pp", "Prefill PP"),
		Disagg: func(r *DisaggRecord) any { return r.Result.Prefill.Config.PP }},
	{Column: label("prefill_ep", "Prefill EP"),
		Disagg: func(r *DisaggRecord) any { return r.Result.Prefill.Config.EP }},
	{Column: label("prefill_dp", "Prefill DP"),
		Disagg: func(r *DisaggRecord) any { return r.Result.Prefill.DP }},
	{Column: label("prefill_batch_per_accel", "Prefill batch (prompts per accelerator)"),
		Disagg: func(r *DisaggRecord) any { return r.Result.Prefill.Config.Batch }},
	{Column: label("decode_accelerators", "Decode accelerators"),
		Disagg: func(r *DisaggRecord) any { return r.Result.DecodeAccelerators }},
	{Column: label("tp", "TP"), DisaggHeader: "Decode TP",
		Inference: func(r *InferenceRecord) any { return r.Result.Config.TP },
		Disagg:    func(r *DisaggRecord) any { return r.Result.Decode.Config.TP },
		Training:  func(r *TrainingRecord) any { return r.Result.Config.TP },
		Serve:     func(r *ServeRecord) any { return r.instance().TP }},
	{Column: label("pp", "PP"), DisaggHeader: "Decode PP",
		Inference: func(r *InferenceRecord) any { return r.Result.Config.PP },
		Disagg:    func(r *DisaggRecord) any { return r.Result.Decode.Config.PP },
		Serve:     func(r *ServeRecord) any { return max(r.instance().PP, 1) }},
	{Column: label("ep", "EP"), DisaggHeader: "Decode EP",
		Inference: func(r *InferenceRecord) any { return r.Result.Config.EP },
		Disagg:    func(r *DisaggRecord) any { return r.Result.Decode.Config.EP },
		Serve:     func(r *ServeRecord) any { return r.instance().EP }},
	{Column: label("cp", "CP"),
		Training: func(r *TrainingRecord) any { return r.Result.Config.CP }},
	{Column: minor(label("dp", "DP")), DisaggHeader: "Decode DP",
		Inference: func(r *InferenceRecord) any { return r.Result.DP },
		Disagg:    func(r *DisaggRecord) any { return r.Result.Decode.DP },
		Training:  func(r *TrainingRecord) any { return r.Result.DP },
		Serve:     func(r *ServeRecord) any { return r.Result.DP }},
	{Column: label("batch_per_accel", "Batch (sequences per accelerator)"), DisaggHeader: "Decode batch (sequences per accelerator)",
		Inference: func(r *InferenceRecord) any {
			if r.Result.Config.Concurrency > 0 {
				return nil
			}
			return r.Result.Config.Batch
		},
		Disagg: func(r *DisaggRecord) any { return r.Result.Decode.Config.Batch }},
	{Column: label("concurrency", "Concurrency (sequences in flight over the instance)"),
		Inference: func(r *InferenceRecord) any {
			if r.Result.Config.Concurrency == 0 {
				return nil
			}
			return r.Result.Config.Concurrency
		},
		Serve: func(r *ServeRecord) any {
			if r.Concurrency == 0 {
				return nil
			}
			return r.Concurrency
		}},
	{Column: label("context_tokens", "Context / input (tokens)"), DisaggHeader: "Decode context (tokens)",
		Inference: func(r *InferenceRecord) any { ctx, _, _, _ := latency(r.Result); return ctx },
		Disagg:    func(r *DisaggRecord) any { return r.Result.Decode.Config.Context }},
	{Column: label("input_tokens", "Input (tokens per request)"),
		Inference: func(r *InferenceRecord) any {
			if r.Result.Config.Phase != infer.Serve {
				return nil
			}
			return r.Result.Config.InputLen
		},
		Disagg: func(r *DisaggRecord) any { return r.Result.Prefill.Config.InputLen },
		Serve:  func(r *ServeRecord) any { return r.meanInput() }},
	{Column: label("output_tokens", "Output (tokens per request)"),
		Inference: func(r *InferenceRecord) any {
			if r.Result.Config.Phase != infer.Serve {
				return nil
			}
			return r.Result.Config.OutputLen
		},
		Disagg: func(r *DisaggRecord) any { return r.Result.OutputLen },
		Serve:  func(r *ServeRecord) any { return r.meanOutput() }},
	{Column: label("global_batch", "Global batch (sequences)"),
		Training: func(r *TrainingRecord) any { return r.Result.Config.GlobalBatch }},
	{Column: label("micro_batches", "Micro-batches per replica"),
		Training: func(r *TrainingRecord) any { return r.Result.MicroBatches }},
	{Column: label("seq_len_tokens", "Sequence (tokens)"),
		Training: func(r *TrainingRecord) any { return r.Result.Config.SeqLen }},
	{Column: label("weights_dtype", "Weights dtype"),
		Inference: func(r *InferenceRecord) any { return r.Result.Config.Precision.Weights.String() },
		Disagg:    func(r *DisaggRecord) any { return r.Result.Prefill.Config.Precision.Weights.String() },
		Serve:     func(r *ServeRecord) any { return r.instance().Precision.Weights.String() }},
	{Column: label("kv_dtype", "KV cache dtype"),
		Inference: func(r *InferenceRecord) any { return r.Result.Config.Precision.KVCache.String() },
		Disagg:    func(r *DisaggRecord) any { return r.Result.Prefill.Config.Precision.KVCache.String() },
		Serve:     func(r *ServeRecord) any { return r.instance().Precision.KVCache.String() }},
	{Column: label("attn_dtype", "Attention weights dtype"),
		Inference: func(r *InferenceRecord) any { return overridden(r.Result.Config.Precision.Attention) },
		Disagg:    func(r *DisaggRecord) any { return overridden(r.Result.Decode.Config.Precision.Attention) },
		Serve:     func(r *ServeRecord) any { return overridden(r.instance().Precision.Attention) }},
	{Column: label("moe_dtype", "Expert weights dtype"),
		Inference: func(r *InferenceRecord) any { return overridden(r.Result.Config.Precision.Experts) },
		Disagg:    func(r *DisaggRecord) any { return overridden(r.Result.Decode.Config.Precision.Experts) },
		Serve:     func(r *ServeRecord) any { return overridden(r.instance().Precision.Experts) }},
	{Column: label("dispatch_dtype", "MoE dispatch dtype"),
		Inference: func(r *InferenceRecord) any { return overridden(r.Result.Config.Precision.Dispatch) },
		Disagg:    func(r *DisaggRecord) any { return overridden(r.Result.Decode.Config.Precision.Dispatch) },
		Serve:     func(r *ServeRecord) any { return overridden(r.instance().Precision.Dispatch) }},
	{Column: label("dtype", "GEMM dtype"),
		Training: func(r *TrainingRecord) any { return r.Result.Config.Dtype.String() }},
	{Column: label("lora_rank", "LoRA rank (0: full)"),
		Training: func(r *TrainingRecord) any { return r.Result.Config.LoRARank }},
	{Column: col("trainable_params", "Trainable parameters (M)", 1e6, 1),
		Training: func(r *TrainingRecord) any { return r.Result.TrainableParams }},
	{Column: label("groups", "Groups at once"),
		Collective: func(r *CollectiveRecord) any { return groupsOr(r, r.Result.Groups) }},
}

// groupsOr is v for a collective that ran as concurrent groups, nil for
// one that ran alone.
func groupsOr(r *CollectiveRecord, v any) any {
	if r.Result.Groups < 2 {
		return nil
	}
	return v
}

var timing = []Field{
	{Column: col("time_s", "Time (us)", 1e-6, 1),
		Collective: func(r *CollectiveRecord) any { return r.Result.TimeS }},
	{Column: minor(col("time_alone_s", "Slowest group alone (us)", 1e-6, 1)),
		Collective: func(r *CollectiveRecord) any { return groupsOr(r, r.Result.AloneS) }},
	{Column: col("slowdown", "Slowdown together/alone", 0, 3),
		Collective: func(r *CollectiveRecord) any {
			slow := 0.0
			if r.Result.AloneS > 0 {
				slow = r.Result.TimeS / r.Result.AloneS
			}
			return groupsOr(r, slow)
		}},
	{Column: col("algbw_bytes_per_s", "algbw (GB/s)", 1e9, 2),
		Collective: func(r *CollectiveRecord) any { return r.Result.AlgBW }},
	{Column: col("busbw_bytes_per_s", "busbw (GB/s)", 1e9, 2),
		Collective: func(r *CollectiveRecord) any { return r.Result.BusBW }},
	{Column: minor(col("wire_bytes", "On the wire (GB)", 1e9, 3)),
		Collective: func(r *CollectiveRecord) any { return r.Result.WireBytes }},
	{Column: col("peak_link_util", "Peak link use (%)", 0.01, 0),
		Collective: func(r *CollectiveRecord) any { return r.Result.PeakLinkUtil }},
	{Column: minor(col("mean_link_busy", "Links busy (% of time)", 0.01, 0)),
		Collective: func(r *CollectiveRecord) any { return r.Result.MeanLinkBusy }},
	{Column: col("step_s", "Step (ms)", 1e-3, 2),
		Inference: func(r *InferenceRecord) any { return r.Result.StepS },
		Training:  func(r *TrainingRecord) any { return r.Result.StepS }},
	{Column: minor(col("compute_s", "Compute (ms)", 1e-3, 2)),
		Inference: func(r *InferenceRecord) any { return r.Result.ComputeS },
		Training:  func(r *TrainingRecord) any { return r.Result.ComputeS }},
	{Column: minor(col("exposed_comm_s", "Exposed communication (ms)", 1e-3, 2)),
		Inference: func(r *InferenceRecord) any { return r.Result.ExposedCommS },
		Training:  func(r *TrainingRecord) any { return r.Result.ExposedCommS }},
	{Column: minor(col("runtime_s", "Engine runtime (ms)", 1e-3, 2)),
		Inference: func(r *InferenceRecord) any { return r.Result.RuntimeS }},
	{Column: minor(label("graph_batch", "Graph batch (padded, per replica)")),
		Inference: func(r *InferenceRecord) any { return countAbove(r.Result.GraphBatch, 0) }},
	{Column: minor(label("chunks", "Prefill chunks (steps)")),
		Inference: func(r *InferenceRecord) any { return countAbove(r.Result.Chunks, 1) }},
	{Column: minor(col("comm_s", "All communication (ms)", 1e-3, 2)),
		Inference: func(r *InferenceRecord) any { return r.Result.CommS }},
	{Column: col("prefill_step_s", "Prefill step (ms)", 1e-3, 1),
		Disagg: func(r *DisaggRecord) any { return r.Result.Prefill.StepS }},
	{Column: minor(col("prefill_ttft_s", "Prefill alone (ms)", 1e-3, 1)),
		Disagg: func(r *DisaggRecord) any { return r.Result.Prefill.TTFTS }},
	{Column: col("ttft_s", "TTFT (ms)", 1e-3, 1), DisaggHeader: "TTFT, prefill + KV transfer (ms)",
		Inference: func(r *InferenceRecord) any { _, ttft, _, _ := latency(r.Result); return ttft },
		Disagg:    func(r *DisaggRecord) any { return r.Result.TTFTS }},
	{Column: col("tpot_s", "TPOT (ms)", 1e-3, 2),
		Inference: func(r *InferenceRecord) any { _, _, tpot, _ := latency(r.Result); return tpot },
		Disagg:    func(r *DisaggRecord) any { return r.Result.TPOTS }},
}

var throughput = []Field{
	{Column: col("tokens_per_s", "Tokens/s (system)", 0, 0), DisaggHeader: "Output tokens/s (deployment)",
		Inference: func(r *InferenceRecord) any { return r.Result.TokensPerS },
		Disagg:    func(r *DisaggRecord) any { return r.Result.TokensPerS },
		Training:  func(r *TrainingRecord) any { return r.Result.TokensPerS }},
	{Column: col("tokens_per_s_per_accel", "Tokens/s per accelerator", 0, 1), DisaggHeader: "Output tokens/s per accelerator",
		Inference: func(r *InferenceRecord) any { return r.Result.TokensPerSPerAccel },
		Disagg:    func(r *DisaggRecord) any { return r.Result.TokensPerSPerAccel },
		Training:  func(r *TrainingRecord) any { return r.Result.TokensPerS / float64(r.Accelerators) }},
	// End to end, as InferenceX counts a request: its input and output
	// tokens at the rate requests complete; tokens_per_s_per_accel counts
	// output tokens only (decode-only throughput).
	{Column: col("e2e_tokens_per_s_per_accel", "Tokens/s per accelerator, in + out", 0, 1),
		Inference: func(r *InferenceRecord) any {
			c := r.Result.Config
			if c.Phase != infer.Serve || c.OutputLen < 1 {
				return nil
			}
			return r.Result.TokensPerSPerAccel * float64(c.InputLen+c.OutputLen) / float64(c.OutputLen)
		},
		Disagg: func(r *DisaggRecord) any {
			in, out := r.Result.Prefill.Config.InputLen, r.Result.OutputLen
			if out < 1 {
				return nil
			}
			return r.Result.TokensPerSPerAccel * float64(in+out) / float64(out)
		}},
	{Column: col("tokens_per_s_per_accel_healthy", "Tokens/s per accelerator, healthy", 0, 1),
		Inference: func(r *InferenceRecord) any {
			if r.Healthy == nil {
				return nil
			}
			return r.Healthy.TokensPerSPerAccel
		}},
	{Column: col("tokens_per_s_per_accel_ratio", "Tokens/s per accelerator, faulty/healthy", 0, 3),
		Inference: func(r *InferenceRecord) any {
			if r.Healthy == nil || r.Healthy.TokensPerSPerAccel <= 0 {
				return nil
			}
			return r.Result.TokensPerSPerAccel / r.Healthy.TokensPerSPerAccel
		}},
	{Column: label("accelerators_healthy", "Accelerators, healthy"),
		Inference: func(r *InferenceRecord) any {
			if r.Healthy == nil {
				return nil
			}
			return r.Healthy.Accelerators
		}},
	{Column: col("tokens_per_s_per_user", "Tokens/s per user", 0, 1),
		Inference: func(r *InferenceRecord) any { _, _, _, u := latency(r.Result); return u },
		Disagg:    func(r *DisaggRecord) any { return r.Result.Decode.TokensPerSPerUser }},
	{Column: col("prefill_tokens_per_s_per_accel", "Prefill tokens/s per accelerator", 0, 1),
		Disagg: func(r *DisaggRecord) any { return r.Result.Prefill.TokensPerSPerAccel }},
	{Column: col("decode_tokens_per_s_per_accel", "Decode tokens/s per accelerator", 0, 1),
		Disagg: func(r *DisaggRecord) any { return r.Result.Decode.TokensPerSPerAccel }},
	{Column: col("prefill_requests_per_s", "Prefill instance (requests/s)", 0, 2),
		Disagg: func(r *DisaggRecord) any { return r.Result.PrefillRequestsPerS }},
	{Column: col("decode_requests_per_s", "Decode instance (requests/s)", 0, 2),
		Disagg: func(r *DisaggRecord) any { return r.Result.DecodeRequestsPerS }},
	{Column: col("mfu", "MFU", 0, 3),
		Training: func(r *TrainingRecord) any { return r.Result.MFU }},
}

var memory = []Field{
	{Column: minor(col("memory_bytes_per_die", "Memory per die (GB)", 1e9, 1)),
		Inference: func(r *InferenceRecord) any { return r.Result.MemoryBytesPerDie },
		Training:  func(r *TrainingRecord) any { return r.Result.MemoryBytesPerDie }},
	{Column: minor(col("hbm_bytes_per_die", "HBM per die (GB)", 1e9, 1)),
		Inference: func(r *InferenceRecord) any { return r.Result.HBMBytesPerDie }},
	{Column: minor(label("max_batch_per_accel", "Largest batch that fits")),
		Inference: func(r *InferenceRecord) any { return r.Result.MaxBatch }},
	{Column: col("prefill_memory_bytes_per_die", "Prefill memory per die (GB)", 1e9, 1),
		Disagg: func(r *DisaggRecord) any { return r.Result.Prefill.MemoryBytesPerDie }},
	{Column: col("decode_memory_bytes_per_die", "Decode memory per die (GB)", 1e9, 1),
		Disagg: func(r *DisaggRecord) any { return r.Result.Decode.MemoryBytesPerDie }},
}

var kvTransfer = []Field{
	{Column: col("kv_bytes_per_request", "KV cache per request (MB)", 1e6, 1),
		Disagg: func(r *DisaggRecord) any { return r.Result.KVBytesPerRequest }},
	{Column: col("kv_transfer_bytes", "KV transfer per prefill batch (GB)", 1e9, 3),
		Disagg: func(r *DisaggRecord) any { return r.Result.KVTransferBytes }},
	{Column: col("kv_transfer_s", "KV transfer per prefill batch (ms)", 1e-3, 2),
		Disagg: func(r *DisaggRecord) any { return r.Result.KVTransferS }},
	{Column: col("kv_transfer_bytes_per_s", "KV transfer rate (GB/s)", 1e9, 1),
		Disagg: func(r *DisaggRecord) any { return r.Result.KVTransferBytesPerS }},
	{Column: label("kv_transfer_bound", "KV transfer limits prefill"),
		Disagg: func(r *DisaggRecord) any { return r.Result.KVTransferBound }},
}

// deployment is a disaggregated system's shape: the smallest deployment
// of whole instances that balances (infer.WholeInstances), each pool's
// use, and the balanced ratio beside it. Its throughput, power and cost
// fields are that deployment's.
var deployment = []Field{
	{Column: label("prefill_instances", "Deployment: prefill instances"),
		Disagg: func(r *DisaggRecord) any { return r.Result.PrefillInstances },
		Serve: func(r *ServeRecord) any {
			if r.Result.PrefillInstances == 0 {
				return nil
			}
			return r.Result.PrefillInstances
		}},
	{Column: label("decode_instances", "Deployment: decode instances"),
		Disagg: func(r *DisaggRecord) any { return r.Result.DecodeInstances }},
	{Column: col("prefill_use", "Deployment: prefill pool used (%)", 0.01, 0),
		Disagg: func(r *DisaggRecord) any { return r.Result.PrefillUse }},
	{Column: col("decode_use", "Deployment: decode pool used (%)", 0.01, 0),
		Disagg: func(r *DisaggRecord) any { return r.Result.DecodeUse }},
	{Column: label("whole_accelerators", "Deployment: accelerators"),
		Disagg: func(r *DisaggRecord) any { return r.Result.Accelerators }},
	{Column: col("prefill_per_decode_instances", "Balanced ratio: prefill instances per decode instance", 0, 3),
		Disagg: func(r *DisaggRecord) any { return r.Result.PrefillPerDecode }},
	{Column: minor(col("balanced_accelerators", "Balanced ratio: accelerators (fractional)", 0, 1)),
		Disagg: func(r *DisaggRecord) any { return r.Result.BalancedAccelerators }},
}

// trainingTokens is a training step's trained tokens.
func trainingTokens(r *TrainingRecord) float64 {
	return float64(r.Result.Config.GlobalBatch * r.Result.Config.SeqLen)
}

// perKW is v per kW of w watts (0 without power).
func perKW(v, w float64) float64 {
	if w <= 0 {
		return 0
	}
	return v / (w / 1e3)
}

var energy = []Field{
	{Column: report.Column{Key: "power_mode", Header: "Power mode", Varies: true},
		Collective: func(r *CollectiveRecord) any { return string(r.Energy.Mode) },
		Inference:  func(r *InferenceRecord) any { return string(r.Result.Energy.Mode) },
		Disagg:     func(r *DisaggRecord) any { return string(r.Result.Decode.Energy.Mode) },
		Training:   func(r *TrainingRecord) any { return string(r.Result.Energy.Mode) },
		Serve:      func(r *ServeRecord) any { return string(r.powerMode()) }},
	{Column: minor(col("energy_j", "Energy, IT (J)", 0, 3)),
		Collective: func(r *CollectiveRecord) any { return r.Energy.ITJ },
		Inference:  func(r *InferenceRecord) any { return r.Result.Energy.ITJ * r.Result.ServingShare },
		Training:   func(r *TrainingRecord) any { return r.Result.Energy.ITJ },
		Serve:      func(r *ServeRecord) any { return r.Result.EnergyJ }},
	{Column: minor(col("facility_energy_j", "Energy, facility (J)", 0, 3)),
		Collective: func(r *CollectiveRecord) any { return r.Energy.FacilityJ },
		Inference:  func(r *InferenceRecord) any { return r.Result.Energy.FacilityJ * r.Result.ServingShare },
		Training:   func(r *TrainingRecord) any { return r.Result.Energy.FacilityJ },
		Serve:      func(r *ServeRecord) any { return r.Result.FacilityEnergyJ }},
	{Column: minor(col("avg_power_w", "Avg IT power (kW)", 1e3, 1)),
		Collective: func(r *CollectiveRecord) any { return r.Energy.AvgITW },
		Inference:  func(r *InferenceRecord) any { return r.Result.PowerW },
		Disagg:     func(r *DisaggRecord) any { return r.Result.PowerW },
		Training:   func(r *TrainingRecord) any { return r.Result.Energy.AvgITW },
		Serve:      func(r *ServeRecord) any { return r.Result.AvgPowerW }},
	{Column: minor(col("peak_power_w", "Peak IT power (kW)", 1e3, 1)),
		Collective: func(r *CollectiveRecord) any { return r.Energy.PeakITW },
		Inference:  func(r *InferenceRecord) any { return r.Result.Energy.PeakITW * r.Result.ServingShare },
		Training:   func(r *TrainingRecord) any { return r.Result.Energy.PeakITW }},
	{Column: minor(col("accel_load", "Accelerator load (share of dynamic power range)", 0, 3)),
		Training: func(r *TrainingRecord) any { return r.Result.Load }},
	{Column: col("node_power_w", "Avg power per server (kW)", 1e3, 2),
		Training: func(r *TrainingRecord) any { return r.Result.NodeW }},
	{Column: minor(col("network_power_w_per_node", "Scale-out switches and all optics per server (kW)", 1e3, 2)),
		Training: func(r *TrainingRecord) any { return r.Result.NetworkWPerNode }},
	{Column: col("busbw_per_kw", "busbw per avg IT kW (GB/s per kW)", 1e9, 3),
		Collective: func(r *CollectiveRecord) any { return perKW(r.Result.BusBW, r.Energy.AvgITW) }},
	{Column: col("tokens_per_s_per_kw", "Tokens/s per IT kW, average power", 0, 1), DisaggHeader: "Output tokens/s per IT kW, average power",
		Inference: func(r *InferenceRecord) any { return r.Result.TokensPerKW },
		Disagg:    func(r *DisaggRecord) any { return r.Result.TokensPerKW },
		Training:  func(r *TrainingRecord) any { return perKW(r.Result.TokensPerS, r.Result.Energy.AvgITW) },
		Serve:     func(r *ServeRecord) any { return perKW(r.Result.OutputTokensPerS, r.Result.AvgPowerW) }},
	{Column: minor(col("tokens_per_j", "Tokens per IT J (per-kW figure / 1000)", 0, 3)), DisaggHeader: "Output tokens per IT J (per-kW figure / 1000)",
		Inference: func(r *InferenceRecord) any { return r.Result.TokensPerJ },
		Disagg: func(r *DisaggRecord) any {
			if r.Result.JPerToken <= 0 {
				return 0.0
			}
			return 1 / r.Result.JPerToken
		},
		Training: func(r *TrainingRecord) any {
			if r.Result.Energy.ITJ <= 0 {
				return 0.0
			}
			return trainingTokens(r) / r.Result.Energy.ITJ
		},
		Serve: func(r *ServeRecord) any { return r.Result.TokensPerJ }},
	// J per token is infer's own figure, the inverse of TokensPerJ (a
	// scenario once divided a step's tokens by PP and read PP times high).
	{Column: minor(col("j_per_token", "IT J per token (1000 / per-kW figure)", 0, 3)), DisaggHeader: "IT J per output token (1000 / per-kW figure)",
		Inference: func(r *InferenceRecord) any {
			if r.Result.TokensPerJ <= 0 {
				return 0.0
			}
			return 1 / r.Result.TokensPerJ
		},
		Disagg: func(r *DisaggRecord) any { return r.Result.JPerToken },
		Training: func(r *TrainingRecord) any {
			if t := trainingTokens(r); t > 0 {
				return r.Result.Energy.ITJ / t
			}
			return 0.0
		},
		Serve: func(r *ServeRecord) any { return inverse(r.Result.TokensPerJ) }},
	// Tokens per MW on InferenceX's basis: all-in provisioned power
	// (every component at its rating, through the PUE), whatever the
	// power mode; the average-power figure is the next field.
	{Column: col("tokens_per_s_per_mw", "Tokens/s per facility MW, provisioned, all-in (InferenceX basis)", 0, 0), DisaggHeader: "Output tokens/s per facility MW, provisioned, all-in (InferenceX basis)",
		Inference: func(r *InferenceRecord) any { return perKW(r.Result.TokensPerS, r.Result.ProvisionedFacilityW) * 1e3 },
		Disagg:    func(r *DisaggRecord) any { return perKW(r.Result.TokensPerS, r.Result.ProvisionedFacilityW) * 1e3 },
		Serve:     func(r *ServeRecord) any { return r.Result.TokensPerSPerProvisionedMW }},
	{Column: col("tokens_per_s_per_avg_mw", "Tokens/s per facility MW, average power", 0, 0), DisaggHeader: "Output tokens/s per facility MW, average power",
		Inference: func(r *InferenceRecord) any { return perKW(r.Result.TokensPerS, r.Result.FacilityPowerW) * 1e3 },
		Disagg:    func(r *DisaggRecord) any { return perKW(r.Result.TokensPerS, r.Result.FacilityPowerW) * 1e3 },
		Serve:     func(r *ServeRecord) any { return r.Result.TokensPerSPerMW }},
}

// inferenceCost, disaggCost and trainingCost are the energy and capital
// cost per million tokens of each kind.
func inferenceCost(r *InferenceRecord) (energy, capital float64) {
	return r.Cost.PerMillion(r.Result.TokensPerS, r.Result.FacilityPowerW, r.Result.Accelerators)
}

func disaggCost(r *DisaggRecord) (energy, capital float64) {
	return r.Cost.PerMillion(r.Result.TokensPerS, r.Result.FacilityPowerW, r.Result.Accelerators)
}

func trainingCost(r *TrainingRecord) (energy, capital float64) {
	facW := 0.0
	if r.Result.StepS > 0 {
		facW = r.Result.Energy.FacilityJ / r.Result.StepS
	}
	return r.Cost.PerMillion(r.Result.TokensPerS, facW, r.Accelerators)
}

// capital is a capital cost, or nil without a capex price: a 0 would read
// as free hardware.
func capital(c power.Cost, v float64) any {
	if c.CapexPerAccel == 0 {
		return nil
	}
	return v
}

var costs = []Field{
	{Column: minor(col("energy_cost_usd", "Energy cost (micro-USD)", 1e-6, 3)),
		Collective: func(r *CollectiveRecord) any { return r.Energy.FacilityJ / 3.6e6 * r.Cost.PricePerKWh },
		Inference: func(r *InferenceRecord) any {
			return r.Result.Energy.FacilityJ * r.Result.ServingShare / 3.6e6 * r.Cost.PricePerKWh
		},
		Training: func(r *TrainingRecord) any { return r.Result.Energy.FacilityJ / 3.6e6 * r.Cost.PricePerKWh },
		Serve:    func(r *ServeRecord) any { return r.Result.FacilityEnergyJ / 3.6e6 * r.Cost.PricePerKWh }},
	{Column: col("energy_cost_per_mtok_usd", "Energy cost per million tokens (USD)", 0, 3), DisaggHeader: "Energy cost per million output tokens (USD)",
		Inference: func(r *InferenceRecord) any { e, _ := inferenceCost(r); return e },
		Disagg:    func(r *DisaggRecord) any { e, _ := disaggCost(r); return e },
		Training:  func(r *TrainingRecord) any { e, _ := trainingCost(r); return e },
		Serve:     func(r *ServeRecord) any { e, _ := serveCost(r); return e }},
	{Column: col("capex_per_mtok_usd", "Capital cost per million tokens (USD)", 0, 3), DisaggHeader: "Capital cost per million output tokens (USD)",
		Inference: func(r *InferenceRecord) any { _, k := inferenceCost(r); return capital(r.Cost, k) },
		Disagg:    func(r *DisaggRecord) any { _, k := disaggCost(r); return capital(r.Cost, k) },
		Training:  func(r *TrainingRecord) any { _, k := trainingCost(r); return capital(r.Cost, k) },
		Serve:     func(r *ServeRecord) any { _, k := serveCost(r); return capital(r.Cost, k) }},
	{Column: col("total_cost_per_mtok_usd", "Total cost per million tokens (USD)", 0, 3), DisaggHeader: "Total cost per million output tokens (USD)",
		Inference: func(r *InferenceRecord) any { e, k := inferenceCost(r); return capital(r.Cost, e+k) },
		Disagg:    func(r *DisaggRecord) any { e, k := disaggCost(r); return capital(r.Cost, e+k) },
		Training:  func(r *TrainingRecord) any { e, k := trainingCost(r); return capital(r.Cost, e+k) },
		Serve:     func(r *ServeRecord) any { e, k := serveCost(r); return capital(r.Cost, e+k) }},
}

// breakdown is a run's IT energy by power component and the facility
// overhead above it (cooling and power distribution, from each rack's
// PUE), in joules: they sum to facility_energy_j. Inference counts the
// serving accelerators' share; a disaggregated system has none (its two
// instances run different steps).
func breakdown() []Field {
	names := map[power.Component]string{power.CPUs: "CPUs", power.NICs: "NICs"}
	var out []Field
	for i, c := range power.Components {
		name, ok := names[c]
		if !ok {
			name = strings.ReplaceAll(string(c), "_", " ")
		}
		out = append(out, Field{Column: minor(col("energy_by_component_j."+string(c), "Energy: "+name+" (J)", 0, 3)),
			Collective: func(r *CollectiveRecord) any { return r.Energy.IT[i] },
			Inference:  func(r *InferenceRecord) any { return r.Result.Energy.IT[i] * r.Result.ServingShare },
			Training:   func(r *TrainingRecord) any { return r.Result.Energy.IT[i] }})
	}
	return append(out, Field{Column: minor(col("energy_by_component_j.cooling", "Energy: cooling and distribution (J)", 0, 3)),
		Collective: func(r *CollectiveRecord) any { return r.Energy.FacilityJ - r.Energy.ITJ },
		Inference: func(r *InferenceRecord) any {
			return (r.Result.Energy.FacilityJ - r.Result.Energy.ITJ) * r.Result.ServingShare
		},
		Training: func(r *TrainingRecord) any { return r.Result.Energy.FacilityJ - r.Result.Energy.ITJ }})
}

// feasibility closes every record of a study: whether the configuration
// could run as asked and, where it could not, why.
var feasibility = []Field{
	{Column: report.Column{Key: "feasible", Header: "Feasible", Varies: true},
		Collective: func(*CollectiveRecord) any { return true },
		Inference:  func(*InferenceRecord) any { return true },
		Disagg:     func(*DisaggRecord) any { return true },
		Training:   func(*TrainingRecord) any { return true },
		Infeasible: func(*InfeasibleRecord) any { return false },
		Serve:      func(*ServeRecord) any { return true }},
	{Column: label("why", "Why not"),
		Infeasible: func(r *InfeasibleRecord) any { return r.Why }},
}

// EnergyBreakdown is the schema of the energy-by-component fields.
func EnergyBreakdown() Schema {
	var s Schema
	for i := range Fields {
		if strings.HasPrefix(Fields[i].Key, "energy_by_component_j.") {
			s.fields = append(s.fields, &Fields[i])
		}
	}
	return s
}
