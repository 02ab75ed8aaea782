package study

import (
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/serve"
)

// instance is the served run's (decode or colocated) instance, as the
// engine resolved it.
func (r *ServeRecord) instance() infer.Config { return r.Result.Instance }

// powerMode is the run's energy accounting.
func (r *ServeRecord) powerMode() power.Mode {
	if m := r.instance().PowerMode; m != "" {
		return m
	}
	return power.Activity
}

// meanInput and meanOutput are the counted requests' mean lengths.
func (r *ServeRecord) meanInput() any {
	if r.Result.Requests == 0 || r.Result.WindowS == 0 {
		return nil
	}
	return r.Result.InputTokensPerS / r.Result.RequestsPerS
}

func (r *ServeRecord) meanOutput() any {
	if r.Result.Requests == 0 || r.Result.WindowS == 0 {
		return nil
	}
	return r.Result.OutputTokensPerS / r.Result.RequestsPerS
}

// serveCost is the energy and capital cost per million output tokens.
func serveCost(r *ServeRecord) (energy, capital float64) {
	return r.Cost.PerMillion(r.Result.OutputTokensPerS, r.Result.AvgFacilityPowerW, r.Result.Accelerators)
}

// inverse is 1/v, or 0 for no v.
func inverse(v float64) float64 {
	if v <= 0 {
		return 0
	}
	return 1 / v
}

// ms is a latency column in milliseconds; pct a share in percent.
func ms(key, header string) report.Column  { return col(key, header+" (ms)", 1e-3, 1) }
func pct(key, header string) report.Column { return col(key, header+" (%)", 0.01, 1) }

// at reads one percentile of a latency of a served run.
func at(get func(serve.Result) serve.Percentiles, p func(serve.Percentiles) float64) func(*ServeRecord) any {
	return func(r *ServeRecord) any { return p(get(r.Result)) }
}

var (
	p50 = func(p serve.Percentiles) float64 { return p.P50 }
	p90 = func(p serve.Percentiles) float64 { return p.P90 }
	p99 = func(p serve.Percentiles) float64 { return p.P99 }
)

func ttftOf(r serve.Result) serve.Percentiles  { return r.TTFT }
func tpotOf(r serve.Result) serve.Percentiles  { return r.TPOT }
func itlOf(r serve.Result) serve.Percentiles   { return r.ITL }
func e2eOf(r serve.Result) serve.Percentiles   { return r.E2E }
func queueOf(r serve.Result) serve.Percentiles { return r.Queue }

// service is a served run's fields: the deployment, the load, the
// throughput and the latency percentiles, the scheduler's state.
var service = []Field{
	{Column: label("instances", "Instances (decode when disaggregated)"),
		Serve: func(r *ServeRecord) any { return r.Result.Instances }},
	{Column: label("deployment", "Deployment (searched)"),
		Serve: func(r *ServeRecord) any { return nonEmpty(r.Deployment) }},
	{Column: label("best_deployment", "Best per MW"),
		Serve: func(r *ServeRecord) any {
			if r.Deployment == "" {
				return nil
			}
			return r.Best
		}},
	{Column: col("offered_requests_per_s", "Offered load (requests/s)", 0, 2),
		Serve: func(r *ServeRecord) any {
			if r.Concurrency > 0 {
				return nil
			}
			return r.OfferedRate
		}},
	{Column: minor(label("slo_search", "Highest rate within the SLOs")),
		Serve: func(r *ServeRecord) any {
			if !r.Searched {
				return nil
			}
			return true
		}},
	{Column: label("requests", "Requests counted"),
		Serve: func(r *ServeRecord) any { return r.Result.Requests }},
	{Column: col("requests_per_s", "Throughput (requests/s)", 0, 2),
		Serve: func(r *ServeRecord) any { return r.Result.RequestsPerS }},
	{Column: col("output_tokens_per_s", "Output (tokens/s)", 0, 0),
		Serve: func(r *ServeRecord) any { return r.Result.OutputTokensPerS }},
	{Column: col("output_tokens_per_s_per_accel", "Output tokens/s per accelerator", 0, 1),
		Serve: func(r *ServeRecord) any { return r.Result.OutputTokensPerSPerAccel }},
	{Column: col("goodput_requests_per_s", "Goodput (requests/s within every SLO)", 0, 2),
		Serve: func(r *ServeRecord) any { return r.Result.GoodputRequestsPerS }},
	{Column: pct("slo_attainment", "Requests within every SLO"),
		Serve: func(r *ServeRecord) any { return r.Result.SLOAttainment }},
	{Column: ms("ttft_p50_s", "TTFT p50"), Serve: at(ttftOf, p50)},
	{Column: minor(ms("ttft_p90_s", "TTFT p90")), Serve: at(ttftOf, p90)},
	{Column: ms("ttft_p99_s", "TTFT p99"), Serve: at(ttftOf, p99)},
	{Column: ms("tpot_p50_s", "TPOT p50"), Serve: at(tpotOf, p50)},
	{Column: minor(ms("tpot_p90_s", "TPOT p90")), Serve: at(tpotOf, p90)},
	{Column: ms("tpot_p99_s", "TPOT p99"), Serve: at(tpotOf, p99)},
	{Column: minor(ms("itl_p50_s", "Inter-token latency p50")), Serve: at(itlOf, p50)},
	{Column: ms("itl_p99_s", "Inter-token latency p99"), Serve: at(itlOf, p99)},
	{Column: col("e2e_p50_s", "End-to-end latency p50 (s)", 0, 3), Serve: at(e2eOf, p50)},
	{Column: col("e2e_p99_s", "End-to-end latency p99 (s)", 0, 3), Serve: at(e2eOf, p99)},
	{Column: minor(ms("queue_p50_s", "Queueing p50")), Serve: at(queueOf, p50)},
	{Column: minor(ms("queue_p99_s", "Queueing p99")), Serve: at(queueOf, p99)},
	{Column: label("preemptions", "Preemptions (recompute)"),
		Serve: func(r *ServeRecord) any { return r.Result.Preemptions }},
	{Column: minor(pct("prefix_hit_rate", "Prompt tokens from the prefix cache")),
		Serve: func(r *ServeRecord) any { return r.Result.PrefixHitRate }},
	{Column: minor(pct("kv_use_mean", "KV cache in use, mean")),
		Serve: func(r *ServeRecord) any { return r.Result.KVUseMean }},
	{Column: minor(pct("kv_use_peak", "KV cache in use, peak")),
		Serve: func(r *ServeRecord) any { return r.Result.KVUsePeak }},
	{Column: minor(ms("kv_transfer_p99_s", "KV transfer, prompt end to decode, p99")),
		Serve: func(r *ServeRecord) any {
			if r.Result.PrefillInstances == 0 {
				return nil
			}
			return r.Result.KVTransfer.P99
		}},
	{Column: col("energy_j_per_request", "Energy per request, IT (J)", 0, 1),
		Serve: func(r *ServeRecord) any { return r.Result.EnergyJPerRequest }},
	{Column: minor(col("duration_s", "Run, first arrival to last token (s)", 0, 1)),
		Serve: func(r *ServeRecord) any { return r.Result.DurationS }},
}
