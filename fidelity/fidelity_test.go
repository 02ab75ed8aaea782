package fidelity

import (
	"fmt"
	"testing"
)

// knownGaps lists the compared points the model does not yet reproduce
// within tolerance, with why. The test fails when any other point falls
// outside its tolerance (a regression) and when a listed point starts to
// pass (so the list shrinks as the model improves).
var knownGaps = map[string]string{
	"I01 decode at 21 tok/s/user tok/s/node": "a 24-hour production average, not a peak: DeepSeek's own decode profile on the same H800 nodes (I02: 2,325 tok/s per GPU at a 50 ms TPOT, which the model matches within 6%) runs 1.26x above it at a similar TPOT and KV length; the model gives what the decode unit sustains at the stated 21 tok/s per user, over a day's varying load the unit averages less",
	"I03 prefill 1K tok/s/node":              "SGLang's prefill on H100 (I03) reaches 0.80x of DeepSeek's own on H800 (I02: 62.7k tok/s/node at 4K, which the model matches within 10%) with the same EP32, token counts and GPU class; the model's GEMM efficiencies come from DeepSeek's DeepGEMM, so it predicts DeepSeek's kernels, not SGLang's",
	"I03 prefill 2K tok/s/node":              "SGLang's prefill on H100 (I03) reaches 0.80x of DeepSeek's own on H800 (I02: 62.7k tok/s/node at 4K, which the model matches within 10%) with the same EP32, token counts and GPU class; the model's GEMM efficiencies come from DeepSeek's DeepGEMM, so it predicts DeepSeek's kernels, not SGLang's",
	"I03 prefill 4K tok/s/node":              "SGLang's prefill on H100 (I03) reaches 0.80x of DeepSeek's own on H800 (I02: 62.7k tok/s/node at 4K, which the model matches within 10%) with the same EP32, token counts and GPU class; the model's GEMM efficiencies come from DeepSeek's DeepGEMM, so it predicts DeepSeek's kernels, not SGLang's",
	"I05 prefill 4K perfect EPLB tok/s/NPU":  "CloudMatrix prefill runs hybrid-parallel MLA and INT8 quantisation steps the per-operator roofline does not count (the paper's 4.45 tok/s/TFLOPS is about a third of INT8 peak); with the element-wise passes counted the model is 38% fast, down from 59%",
	"C01 busbw 64MiB":                        "NVLS pipeline start-up at mid sizes: the model pipelines NVLS in the collectives' default 4 MiB-per-rank chunks (2 at 64 MiB), coarser than NCCL's 16 channels x 128 KiB; NCCL's finer steps fit C01 here but then make NVL72's 72-rank NVLS ramp (C11) far too fast, so the start-up NCCL pays at each scale is not captured by either",
	"C19 dispatch EP16_rdma":                 "at 2 nodes the model's bottleneck is NVLink forwarding at link rate; DeepEP's internode forwarders (a share of the SMs) forward over NVLink slower than that, which the model does not capture",
	"C19 combine EP16_rdma":                  "at 2 nodes the model's bottleneck is NVLink forwarding at link rate; DeepEP's internode forwarders (a share of the SMs) forward over NVLink slower than that, which the model does not capture",
	"C22 combine EP8_BS1":                    "the Blackwell moe_overhead (17.42 us) is set once from TensorRT-LLM's EP8_BS1 dispatch; at one token its combine (31 us) and its EP64 kernels (27.8 and 32.6 us) cost more, a fixed cost that grows with EP and differs between dispatch and combine, which one figure per GPU family does not capture (not tuned per point)",
	"C22 dispatch EP64_BS1":                  "the Blackwell moe_overhead (17.42 us) is set once from TensorRT-LLM's EP8_BS1 dispatch; at one token its combine (31 us) and its EP64 kernels (27.8 and 32.6 us) cost more, a fixed cost that grows with EP and differs between dispatch and combine, which one figure per GPU family does not capture (not tuned per point)",
	"C22 combine EP64_BS1":                   "the Blackwell moe_overhead (17.42 us) is set once from TensorRT-LLM's EP8_BS1 dispatch; at one token its combine (31 us) and its EP64 kernels (27.8 and 32.6 us) cost more, a fixed cost that grows with EP and differs between dispatch and combine, which one figure per GPU family does not capture (not tuned per point)",
	"C22 dispatch EP8_BS2048":                "measured EP8 BS2048 times are 29-31% above uniform once-per-rank traffic at NVLink rate plus moe_overhead; likely the DeepSeek-V3 profile's skewed routing (the busiest rank receives more than the mean), which uniform routing does not capture",
	"C22 combine EP8_BS2048":                 "measured EP8 BS2048 times are 29-31% above uniform once-per-rank traffic at NVLink rate plus moe_overhead; likely the DeepSeek-V3 profile's skewed routing (the busiest rank receives more than the mean), which uniform routing does not capture",
	"C23 npu_write_GBps intra_node":          "the model has one UB efficiency, fitted to reads (0.85); UB writes reach about 0.70 of the raw rate",
	"C23 npu_write_GBps inter_node":          "the model has one UB efficiency, fitted to reads (0.85); UB writes reach about 0.70 of the raw rate",
	"C25 dispatch EP8":                       "DeepEP-Ascend normal kernels reach well below the UB link rate, falling with EP (software-bound); the model moves bytes at link rate plus cm384's moe_overhead, which is the CANN fused ops' fixed cost (C24), not DeepEP-Ascend's per-byte software cost",
	"C25 combine EP8":                        "DeepEP-Ascend normal kernels reach well below the UB link rate, falling with EP (software-bound); the model moves bytes at link rate plus cm384's moe_overhead, which is the CANN fused ops' fixed cost (C24), not DeepEP-Ascend's per-byte software cost",
	"C25 dispatch EP16":                      "DeepEP-Ascend normal kernels reach well below the UB link rate, falling with EP (software-bound); the model moves bytes at link rate plus cm384's moe_overhead, which is the CANN fused ops' fixed cost (C24), not DeepEP-Ascend's per-byte software cost",
	"C25 combine EP16":                       "DeepEP-Ascend normal kernels reach well below the UB link rate, falling with EP (software-bound); the model moves bytes at link rate plus cm384's moe_overhead, which is the CANN fused ops' fixed cost (C24), not DeepEP-Ascend's per-byte software cost",
	"C25 dispatch EP32":                      "DeepEP-Ascend normal kernels reach well below the UB link rate, falling with EP (software-bound); the model moves bytes at link rate plus cm384's moe_overhead, which is the CANN fused ops' fixed cost (C24), not DeepEP-Ascend's per-byte software cost",
	"C25 combine EP32":                       "DeepEP-Ascend normal kernels reach well below the UB link rate, falling with EP (software-bound); the model moves bytes at link rate plus cm384's moe_overhead, which is the CANN fused ops' fixed cost (C24), not DeepEP-Ascend's per-byte software cost",
	"C25 dispatch EP64":                      "DeepEP-Ascend normal kernels reach well below the UB link rate, falling with EP (software-bound); the model moves bytes at link rate plus cm384's moe_overhead, which is the CANN fused ops' fixed cost (C24), not DeepEP-Ascend's per-byte software cost",
	"C25 combine EP64":                       "DeepEP-Ascend normal kernels reach well below the UB link rate, falling with EP (software-bound); the model moves bytes at link rate plus cm384's moe_overhead, which is the CANN fused ops' fixed cost (C24), not DeepEP-Ascend's per-byte software cost",
	"C25 dispatch EP128":                     "DeepEP-Ascend normal kernels reach well below the UB link rate, falling with EP (software-bound); the model moves bytes at link rate plus cm384's moe_overhead, which is the CANN fused ops' fixed cost (C24), not DeepEP-Ascend's per-byte software cost",
	"C25 combine EP128":                      "DeepEP-Ascend normal kernels reach well below the UB link rate, falling with EP (software-bound); the model moves bytes at link rate plus cm384's moe_overhead, which is the CANN fused ops' fixed cost (C24), not DeepEP-Ascend's per-byte software cost",
	"I13 hgx-h100 offline tok/s":             "the model's FP8 GEMM efficiency (0.686 of peak) is DeepSeek's DeepGEMM on H800; at NVIDIA's offline batch TensorRT-LLM's v4.1 steps take 1.30x (H100, TP 2: 146 ms measured, 113 simulated) and 1.26x (H200: 206 ms, 164) the model's compute-bound step, a kernel gap of the same size on both GPUs and as I03's SGLang prefill (0.80x DeepGEMM), not a memory or fabric one (TP 2's exposed allreduce is 12% of the H100 step)",
	"I13 hgx-h200 offline tok/s":             "the model's FP8 GEMM efficiency (0.686 of peak) is DeepSeek's DeepGEMM on H800; at NVIDIA's offline batch TensorRT-LLM's v4.1 steps take 1.30x (H100, TP 2: 146 ms measured, 113 simulated) and 1.26x (H200: 206 ms, 164) the model's compute-bound step, a kernel gap of the same size on both GPUs and as I03's SGLang prefill (0.80x DeepGEMM), not a memory or fabric one (TP 2's exposed allreduce is 12% of the H100 step)",
	"I13 hgx-h100 server tok/s":              "the model's server point is the largest batch within the limits (NVIDIA's server batch, mean step 128 ms on H100 and 182 ms on H200), where it serves as much as offline; NVIDIA offered less load (server_target_qps 75 and 102.5 per second) and ran at 0.88x and 0.93x of offline with mean TPOT 155 and 123 ms, about 420 and 450 sequences per GPU in flight (Little's law), where throughput is nearly flat in batch; a steady-state average without Poisson arrivals or 99th-percentile margins cannot place that operating point, and the offline kernel gap adds on",
	"I13 hgx-h200 server tok/s":              "the model's server point is the largest batch within the limits (NVIDIA's server batch, mean step 128 ms on H100 and 182 ms on H200), where it serves as much as offline; NVIDIA offered less load (server_target_qps 75 and 102.5 per second) and ran at 0.88x and 0.93x of offline with mean TPOT 155 and 123 ms, about 420 and 450 sequences per GPU in flight (Little's law), where throughput is nearly flat in batch; a steady-state average without Poisson arrivals or 99th-percentile margins cannot place that operating point, and the offline kernel gap adds on",
	"P02 node power 8_nodes":                 "under NVIDIA's published configuration each GPU's work at 8 nodes is an eighth of the 1-node step (0.27 s, MFU 0.60 in the model) with TP and CP hidden; the model keeps the GPUs compute-bound, so node power stays at the 1-node level. The measured 13% drop needs what the model lacks: per-step fixed costs (launches, synchronisation, FP8 scaling, optimizer), evaluation passes and stragglers, which weigh more as the per-GPU step shrinks",
	"P02 node power 64_nodes":                "per-GPU work is the same at 64 nodes as at 8 (one sequence per node per step), so the model predicts the same node power; the measured further 19% drop comes from costs that grow with the data-parallel width (stragglers, synchronisation, evaluation cadence) that a flow-level model without them cannot produce",
	"P02 network power per node 8_nodes":     "the submitter's network (switch models, counts, storage and management fabrics) is not published; the model counts the rail-optimised InfiniBand leaf/spine of hgx-h100 at 1.1 kW per switch with its optics",
	"P02 network power per node 64_nodes":    "the submitter's network (switch models, counts, storage and management fabrics) is not published; the model counts the rail-optimised InfiniBand leaf/spine of hgx-h100 at 1.1 kW per switch with its optics",
}

func TestCases(t *testing.T) {
	rows, err := Run()
	if err != nil {
		t.Fatal(err)
	}
	passed, gaps, pending := 0, 0, 0
	for _, r := range rows {
		key := fmt.Sprintf("%s %s", r.Case, r.Point)
		t.Logf("%-4s %-12s %-32s measured %8.2f simulated %8.2f %-4s err %5.1f%% tol %3.0f%% %s",
			r.Case, r.Preset, r.Point, r.Measured, r.Simulated, r.Unit, 100*r.Error(), 100*r.Tolerance, r.Status)
		why, known := knownGaps[key]
		switch r.Status {
		case "pass":
			passed++
			if known {
				t.Errorf("%s now passes (error %.1f%%): remove it from knownGaps (%s)", key, 100*r.Error(), why)
			}
		case "fail":
			gaps++
			if !known {
				t.Errorf("%s: simulated %.2f %s, measured %.2f: error %.1f%% over the %.0f%% tolerance",
					key, r.Simulated, r.Unit, r.Measured, 100*r.Error(), 100*r.Tolerance)
			}
		default:
			pending++
		}
	}
	t.Logf("%d points pass, %d known gaps, %d cases pending", passed, gaps, pending)
	if passed < 30 {
		t.Errorf("only %d points pass", passed)
	}
}
