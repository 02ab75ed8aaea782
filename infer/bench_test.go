package infer

import (
	"testing"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/topology"
)

// cm384Decode is DeepSeek-R1 decode as CloudMatrix-Infer serves it: 160
// NPUs (320 dies, EP320), INT8 weights, MTP with one draft token, two
// micro-batches.
func cm384Decode(b testing.TB) (*topology.Topology, Config) {
	top, err := topology.Load("cm384", 0)
	if err != nil {
		b.Fatal(err)
	}
	m, err := llm.Load("deepseek-r1")
	if err != nil {
		b.Fatal(err)
	}
	return top, Config{Model: m, Accelerators: 160, Phase: Decode, Batch: 96, Context: 4096, MicroBatches: 2,
		MTPDraft: 1, MTPAccept: 0.7, Precision: compute.Precision{Weights: topology.INT8, Activations: topology.BF16, KVCache: topology.BF16}}
}

// BenchmarkDecodeStepCM384EP320 is one DeepSeek-R1 decode step on
// CloudMatrix 384 at EP320 from a cold engine: the fabric's quotient, then
// 58 MoE layers' dispatch and combine (simulated once each over 320 dies)
// and the roofline of every operator. Target: under 1 s.
func BenchmarkDecodeStepCM384EP320(b *testing.B) {
	top, c := cm384Decode(b)
	b.ReportAllocs()
	var r Result
	for b.Loop() {
		var err error
		if r, err = NewEngine(top).Run(c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(r.TPOTS*1e3, "tpot_ms")
}

// BenchmarkSLOCurveCM384 is a throughput-interactivity curve of 20
// points: for each TPOT limit from 30 ms to 125 ms in 5 ms steps, the
// batch with the most tokens/s per NPU (BestUnderSLO), on one engine.
// Target: under 30 s.
func BenchmarkSLOCurveCM384(b *testing.B) {
	top, c := cm384Decode(b)
	var slos []float64
	for i := range 20 {
		slos = append(slos, 0.030+0.005*float64(i))
	}
	b.ReportAllocs()
	var last Result
	for b.Loop() {
		e := NewEngine(top)
		for _, slo := range slos {
			r, err := e.BestUnderSLO(c, slo)
			if err != nil {
				b.Fatal(err)
			}
			last = r
		}
	}
	b.ReportMetric(last.TokensPerSPerAccel, "tok/s/npu@125ms")
}

// BenchmarkCurveCM384 is the throughput-interactivity curve as InferenceX
// draws it: 20 points, batches 8 to 160 per NPU, each one simulated
// decode step (tokens/s per NPU against tokens/s per user), on one engine.
// Target: under 30 s.
func BenchmarkCurveCM384(b *testing.B) {
	top, c := cm384Decode(b)
	var batches []int
	for i := 1; i <= 20; i++ {
		batches = append(batches, 8*i)
	}
	b.ReportAllocs()
	var rs []Result
	for b.Loop() {
		var err error
		if rs, err = NewEngine(top).Curve(c, batches); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(rs)), "points")
}

// BenchmarkDecodeStepGB200EP72 is one DeepSeek-R1 decode step on GB200
// NVL72 at EP72 (FP8, MTP with one draft token, batch 64 per GPU, KV
// 4096) from a cold engine: the path whose GEMMs, MLA and fused MoE come
// from the measured-kernel fits (compute/kernels).
func BenchmarkDecodeStepGB200EP72(b *testing.B) {
	top, err := topology.Load("gb200-nvl72", 0)
	if err != nil {
		b.Fatal(err)
	}
	m, err := llm.Load("deepseek-r1")
	if err != nil {
		b.Fatal(err)
	}
	c := Config{Model: m, Accelerators: 72, Phase: Decode, Batch: 64, Context: 4096, MicroBatches: 2, MTPDraft: 1, MTPAccept: 0.7,
		Precision: compute.Precision{Weights: topology.FP8, Activations: topology.BF16, KVCache: topology.FP8}}
	b.ReportAllocs()
	var r Result
	for b.Loop() {
		if r, err = NewEngine(top).Run(c); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(r.TPOTS*1e3, "tpot_ms")
}
