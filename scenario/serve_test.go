package scenario

import (
	"strings"
	"testing"
)

// TestServeWorkload: phase serve takes the request mix's means, both
// latency limits at once, and reports TTFT and TPOT; a serve workload
// without output_len, or with a context, is refused.
func TestServeWorkload(t *testing.T) {
	src := "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads:\n  - inference: {model: llama-3.1-8b, accelerators: 1, phase: serve, input_len: 200, output_len: 300, tpot_slo: 30ms, ttft_slo: 30ms}\n"
	s, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sh, err := s.Run(Options{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range sh.Columns {
		col[c.Key] = i
	}
	row := sh.Rows[0]
	ttft, _ := row[col["ttft_s"]].(float64)
	tpot, _ := row[col["tpot_s"]].(float64)
	// The tighter limit binds: TTFT (half a step and a whole prompt's step) within 30 ms.
	if row[col["phase"]] != "serve" || row[col["context_tokens"]] != 350 || ttft <= 0 || ttft > 0.03 || tpot > 0.02 {
		t.Errorf("serve record: phase %v, context %v, TTFT %v, TPOT %v", row[col["phase"]], row[col["context_tokens"]], ttft, tpot)
	}
	for _, tc := range []struct{ src, want string }{
		{"name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{inference: {model: llama-3.1-8b, phase: serve, mtp_draft: 1}}]\n", "field `workloads[0].inference.mtp_draft`: 1: llama-3.1-8b has no MTP module"},
		{"name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{inference: {model: llama-3.1-8b, phase: serve, output_len: 9, context: 9}}]\n", "is not for phase serve"},
	} {
		if _, err := Parse("s.yaml", []byte(tc.src)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

// TestServeScenario: a serve workload runs one record per offered rate,
// sweeps like any field (a scalar rate per point), resumes from its
// journal, and places a bad field at its line.
func TestServeScenario(t *testing.T) {
	src := "name: s\ntopologies: [{preset: hgx-h100}]\nworkloads:\n  - serve: {model: llama-3.1-8b, tp: 8, rate: [4, 16], requests: 60}\n"
	s, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sh, err := s.Run(Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range sh.Columns {
		col[c.Key] = i
	}
	if len(sh.Rows) != 2 || sh.Rows[0][col["offered_requests_per_s"]] != 4.0 || sh.Rows[1][col["offered_requests_per_s"]] != 16.0 ||
		sh.Rows[0][col["phase"]] != "service" {
		t.Fatalf("%d rows: %v", len(sh.Rows), sh.Rows)
	}
	sweep := "name: s\ntopologies: [{preset: hgx-h100}]\nworkloads:\n  - serve: {model: llama-3.1-8b, tp: 8, rate: 1, requests: 60}\n" +
		"sweep:\n  product:\n    workloads[0].serve.rate: [2, 8, 32]\n"
	if _, err := Parse("s.yaml", []byte(src+"sweep:\n  product:\n    workloads[0].serve.rate: [2, 8]\n")); err == nil ||
		!strings.Contains(err.Error(), "write one value there to sweep it") {
		t.Errorf("sweeping a rate the file gives as a list: %v", err)
	}
	s, err = Parse("s.yaml", []byte(sweep))
	if err != nil {
		t.Fatal(err)
	}
	if sh, err = s.Run(Options{Jobs: 2}); err != nil || len(sh.Rows) != 3 {
		t.Fatalf("rate sweep: %v, %d rows", err, len(sh.Rows))
	}
	for i, want := range []float64{2, 8, 32} {
		if got := sh.Rows[i][col["offered_requests_per_s"]+1]; got != want { // after the swept column
			t.Errorf("point %d: offered %v, want %v", i, got, want)
		}
	}
	for _, tc := range []struct{ src, want string }{
		{"topologies: [{preset: hgx-h100}]\nworkloads:\n  - serve:\n      model: llama-3.1-8b\n      rate: 4\n      router: random\n", "s.yaml:6:15: field `workloads[0].serve.router`"},
		{"topologies: [{preset: hgx-h100}]\nworkloads:\n  - serve:\n      model: llama-3.1-8b\n", "field `workloads[0].serve`: rate is missing"},
		{"topologies: [{preset: hgx-h100}]\nworkloads:\n  - serve:\n      model: llama-3.1-8b\n      rate: fast\n", "s.yaml:5:13: want a rate in requests/s"},
	} {
		if _, err := Parse("s.yaml", []byte(tc.src)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}
