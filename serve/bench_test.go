package serve

import (
	"testing"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/topology"
)

// cm384Disagg is DeepSeek-R1 on CloudMatrix 384 as CloudMatrix-Infer
// deploys it (arXiv 2506.12708): a 16-NPU prefill instance (32 dies,
// EP32) and a 160-NPU decode instance (320 dies, EP320), INT8 weights,
// MTP with one draft token accepted 70% of the time.
func cm384Disagg(b testing.TB) Config {
	e := engine(b, "cm384", 0)
	m := model(b, "deepseek-r1")
	prec := compute.Precision{Weights: topology.INT8, Activations: topology.BF16, KVCache: topology.BF16}
	return Config{Engine: e,
		Prefill:  infer.Config{Model: m, Accelerators: 16, Precision: prec, MicroBatches: 1},
		Instance: infer.Config{Model: m, Accelerators: 160, Precision: prec, MicroBatches: 2, MTPDraft: 1, MTPAccept: 0.7},
		Router:   "least-loaded"}
}

// azureConv is the first n requests of the Azure conversation trace at
// scale times its rate.
func azureConv(b testing.TB, n int, scale float64) []Request {
	rs, err := LoadTrace("azure-conv")
	if err != nil {
		b.Fatal(err)
	}
	return Scale(rs, scale, n)
}

// BenchmarkAzureConvCM384 serves 10,000 requests of the Azure
// conversation trace (at 6x its rate, about 32 requests/s) on the
// CloudMatrix-Infer deployment, from a cold engine: the step grid, the
// collectives it needs, and the request-level simulation. Target: < 5 s.
func BenchmarkAzureConvCM384(b *testing.B) {
	reqs := azureConv(b, 10000, 6)
	var res Result
	for b.Loop() {
		var err error
		if res, err = Run(cm384Disagg(b), reqs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(res.TTFT.P99*1e3, "ttft_p99_ms")
	b.ReportMetric(res.TPOT.P99*1e3, "tpot_p99_ms")
	b.ReportMetric(float64(res.Steps), "steps")
	b.ReportMetric(float64(res.EngineRuns), "engine_runs")
}

// BenchmarkRateSweepCM384 is a 20-point rate sweep of that deployment
// (1x to 20x the trace's rate, 2,000 requests each) on one engine, one
// point after another. Target: < 60 s (the CLI runs points on --jobs
// workers).
func BenchmarkRateSweepCM384(b *testing.B) {
	for b.Loop() {
		cfg := cm384Disagg(b)
		for i := 1; i <= 20; i++ {
			if _, err := Run(cfg, azureConv(b, 2000, float64(i))); err != nil {
				b.Fatal(err)
			}
		}
	}
}
