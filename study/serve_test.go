package study

import (
	"strings"
	"testing"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/topology"
)

func serveJob(t *testing.T, s ServeSpec) (*ServeJob, *infer.Engine) {
	t.Helper()
	top, err := topology.Load("hgx-h100", 0)
	if err != nil {
		t.Fatal(err)
	}
	j, err := s.Compile("")
	if err != nil {
		t.Fatal(err)
	}
	if j, err = j.For(top); err != nil {
		t.Fatal(err)
	}
	return j, infer.NewEngine(top)
}

// TestServeMaxRate: the search's rate meets the SLO at the percentile,
// and a rate 5% above it does not.
func TestServeMaxRate(t *testing.T) {
	spec := ServeSpec{InstanceSpec: InstanceSpec{Model: "llama-3.1-8b", TP: 8}, Rate: Rates{4}, Requests: 400, InputLen: 2000, OutputLen: 100,
		TTFTSLO: "150ms", FindMaxRate: true, Percentile: 90}
	j, e := serveJob(t, spec)
	recs, err := j.Run(e, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	best := recs[0]
	if !best.Searched || best.Result.TTFT.P90 > 0.150 {
		t.Fatalf("searched %v: %.3g req/s with TTFT p90 %.1f ms", best.Searched, best.OfferedRate, best.Result.TTFT.P90*1e3)
	}
	spec.FindMaxRate, spec.Rate = false, []float64{best.OfferedRate * 1.05}
	j2, e2 := serveJob(t, spec)
	over, err := j2.Run(e2, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if over[0].Result.TTFT.P90 <= 0.150 {
		t.Errorf("%.3g req/s meets the SLO (TTFT p90 %.1f ms), 5%% above the search's %.3g", over[0].OfferedRate, over[0].Result.TTFT.P90*1e3, best.OfferedRate)
	}
	t.Logf("highest rate %.2f req/s (TTFT p90 %.1f ms); at +5%%: %.1f ms", best.OfferedRate, best.Result.TTFT.P90*1e3, over[0].Result.TTFT.P90*1e3)
}

// TestServeRecordFields: a served run's record carries the keys issue
// #13 names, read from its result.
func TestServeRecordFields(t *testing.T) {
	j, e := serveJob(t, ServeSpec{InstanceSpec: InstanceSpec{Model: "llama-3.1-8b", TP: 8}, Rate: Rates{10, 20}, Requests: 100, TTFTSLO: "1s", TPOTSLO: "50ms"})
	recs, err := j.Run(e, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records for two rates", len(recs))
	}
	s := Command(&ServeRecord{})
	row := s.Row(recs[1])
	got := map[string]any{}
	for i, k := range s.Keys() {
		got[k] = row[i]
	}
	for _, k := range []string{"requests", "requests_per_s", "output_tokens_per_s", "output_tokens_per_s_per_accel", "ttft_p50_s", "ttft_p90_s",
		"ttft_p99_s", "tpot_p50_s", "tpot_p99_s", "itl_p99_s", "e2e_p50_s", "e2e_p99_s", "goodput_requests_per_s", "energy_j_per_request", "avg_power_w"} {
		v, ok := got[k].(float64)
		if i, isInt := got[k].(int); isInt {
			v, ok = float64(i), true
		}
		if !ok || v <= 0 {
			t.Errorf("%s = %v", k, got[k])
		}
	}
	if got["offered_requests_per_s"] != 20.0 || got["phase"] != ServePhase {
		t.Errorf("offered %v, phase %v", got["offered_requests_per_s"], got["phase"])
	}
}

// TestServeSpecErrors: contradictory specs are refused by field.
func TestServeSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		s    ServeSpec
		want string
	}{
		{ServeSpec{InstanceSpec: InstanceSpec{Model: "llama-3.1-8b"}}, "rate is missing"},
		{ServeSpec{InstanceSpec: InstanceSpec{Model: "llama-3.1-8b"}, Replay: "azure-conv", RateScale: 2, Rate: Rates{3}}, "rate_scale 2 and rate: give one"},
		{ServeSpec{InstanceSpec: InstanceSpec{Model: "llama-3.1-8b"}, Rate: Rates{1}, RateScale: 2}, "scales a replayed trace"},
		{ServeSpec{InstanceSpec: InstanceSpec{Model: "llama-3.1-8b"}, Rate: Rates{1}, LenCV: 0.5}, "len_cv 0.5"},
		{ServeSpec{InstanceSpec: InstanceSpec{Model: "llama-3.1-8b"}, Rate: Rates{1, 2}, FindMaxRate: true, TTFTSLO: "1s"}, "the search finds the rate"},
		{ServeSpec{InstanceSpec: InstanceSpec{Model: "llama-3.1-8b"}, Rate: Rates{1}, TTFTSLO: "fast"}, "ttft_slo \"fast\""},
		{ServeSpec{InstanceSpec: InstanceSpec{Model: "llama-3.1-8b"}, Rate: Rates{1}, Warmup: "-3s"}, "warmup"},
		{ServeSpec{InstanceSpec: InstanceSpec{Model: "nope"}, Rate: Rates{1}}, "model"},
	} {
		_, err := tc.s.Compile("")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.s, err, tc.want)
		}
	}
}

// TestServeSearchDeployment: every deployment of the node is tried at
// its highest rate within the limits, the best per MW is marked, and it
// serves at least as much per MW as every other.
func TestServeSearchDeployment(t *testing.T) {
	j, e := serveJob(t, ServeSpec{InstanceSpec: InstanceSpec{Model: "llama-3.1-8b"}, Requests: 300, InputLen: 1000, OutputLen: 100, TTFTSLO: "300ms", TPOTSLO: "20ms", SearchDeployment: true})
	recs, best, _, err := j.SearchDeployments(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 { // 8 x TP1, 4 x TP2, 2 x TP4, 1 x TP8
		t.Fatalf("%d deployments", len(recs))
	}
	for i, r := range recs {
		if r.Best != (i == best) || r.Deployment == "" || r.Result.TTFT.P99 > 0.3 || r.Result.TPOT.P99 > 0.02 {
			t.Errorf("%s: best %v, TTFT p99 %.0f ms, TPOT p99 %.1f ms", r.Deployment, r.Best, r.Result.TTFT.P99*1e3, r.Result.TPOT.P99*1e3)
		}
		if r.Result.TokensPerSPerProvisionedMW > recs[best].Result.TokensPerSPerProvisionedMW {
			t.Errorf("%s serves %.0f tok/s per provisioned MW, more than the best's %.0f", r.Deployment, r.Result.TokensPerSPerProvisionedMW, recs[best].Result.TokensPerSPerProvisionedMW)
		}
		t.Logf("%s: %.1f req/s, %.0f tok/s per provisioned MW", r.Deployment, r.OfferedRate, r.Result.TokensPerSPerProvisionedMW)
	}
	if _, err := (ServeSpec{InstanceSpec: InstanceSpec{Model: "llama-3.1-8b", TP: 2}, SearchDeployment: true, TTFTSLO: "1s"}).Compile(""); err == nil || !strings.Contains(err.Error(), "drop tp") {
		t.Errorf("a search with tp given: %v", err)
	}
}

// TestServeConcurrency: closed loops run one record per user count, in
// a scenario's units as on the command line.
func TestServeConcurrency(t *testing.T) {
	j, e := serveJob(t, ServeSpec{InstanceSpec: InstanceSpec{Model: "llama-3.1-8b", TP: 8}, Concurrency: Counts{2, 16}, Requests: 100})
	recs, err := j.Run(e, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Concurrency != 2 || recs[1].Concurrency != 16 || recs[1].Result.OutputTokensPerS <= recs[0].Result.OutputTokensPerS {
		t.Errorf("%d records: %+v", len(recs), recs)
	}
	s := Command(&ServeRecord{})
	row := s.Row(recs[0])
	for i, k := range s.Keys() {
		if k == "offered_requests_per_s" && row[i] != nil || k == "concurrency" && row[i] != 2 {
			t.Errorf("%s = %v", k, row[i])
		}
	}
}

// TestServeRunLoadsParallel: loads on two workers give the records one
// worker gives, in load order.
func TestServeRunLoadsParallel(t *testing.T) {
	j, e := serveJob(t, ServeSpec{InstanceSpec: InstanceSpec{Model: "llama-3.1-8b", TP: 8}, Rate: Rates{2, 8, 32}, Requests: 80})
	one, err := j.Run(e, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	two, err := j.RunLoads(e.Topo, 2, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range one {
		if one[i].OfferedRate != two[i].OfferedRate || one[i].Result.TTFT != two[i].Result.TTFT || one[i].Result.EnergyJ != two[i].Result.EnergyJ {
			t.Errorf("load %d: one worker %+v, two %+v", i, one[i].Result.TTFT, two[i].Result.TTFT)
		}
	}
}
