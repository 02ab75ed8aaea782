package present

import (
	"testing"

	"github.com/cardsea/cardsea/chart"
	"github.com/cardsea/cardsea/serve"
	"github.com/cardsea/cardsea/study"
)

// TestServedRequests: a run's measured requests become an empirical
// distribution drawn with at most cdfPoints points, shares rising to 1
// at the slowest request; warm-up requests and one-token requests' TPOT
// are left out; records without requests chart nothing.
func TestServedRequests(t *testing.T) {
	d := &chart.Data{Columns: []string{"topology", "workload"}, Rows: [][]any{{"cm384", "a"}, {"cm384", "b"}}}
	var reqs []serve.RequestRecord
	for i := range 1001 {
		reqs = append(reqs, serve.RequestRecord{TTFTS: float64(1001 - i), TPOTS: 0.01, E2ES: 2, OutputTokens: 1 + i%2, Measured: i > 0})
	}
	recs := []study.Record{&study.ServeRecord{Result: serve.Result{PerRequest: reqs}}, &study.ServeRecord{}}
	out := servedRequests(d, recs)
	if out == nil {
		t.Fatal("no distributions")
	}
	ttft := out["ttft_s"].Rows
	if len(ttft) != cdfPoints {
		t.Fatalf("%d TTFT points of 1,000 requests, want %d", len(ttft), cdfPoints)
	}
	last := ttft[len(ttft)-1]
	if last[0] != 1000.0 || last[1] != 1.0 || last[2] != "cm384 a" {
		t.Errorf("last point %v, want the slowest measured request (1000 s) at share 1 of run cm384 a", last)
	}
	if first := ttft[0]; first[0] != 5.0 || first[1] != 0.005 {
		t.Errorf("first point %v, want the 5th fastest (5 s) at 0.5%%", first)
	}
	if n := len(out["tpot_s"].Rows); n != 167 {
		t.Errorf("%d TPOT points of 500 multi-token requests, want 167 (every 3rd and the last)", n)
	}
	if servedRequests(d, recs[1:]) != nil {
		t.Error("records without requests charted")
	}
}
