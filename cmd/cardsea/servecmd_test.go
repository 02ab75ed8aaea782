package main

import (
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeCommandGolden pins 'cardsea serve': one rate as a vertical
// table, a curve of rates as CSV, and a disaggregated replay as JSON.
func TestServeCommandGolden(t *testing.T) {
	llama := []string{"serve", "--topo", "hgx-h100", "--model", "llama-3.1-70b", "--tp", "8", "--weights-dtype", "fp8", "--kv-dtype", "fp8"}
	checkGoldenRuns(t, "serve", []goldenRun{
		{"llama-70b-rate4.txt", append(llama, "--rate", "4", "--requests", "200", "--ttft-slo", "100ms", "--tpot-slo", "10ms")},
		{"llama-70b-curve.csv", append(llama, "--rate", "2,8,32", "--requests", "150", "-f", "csv")},
		{"disagg-azure-conv.json", []string{"serve", "--topo", "hgx-h100", "--domains", "2", "--model", "llama-3.1-70b", "--tp", "8", "--weights-dtype", "fp8",
			"--prefill-ranks", "8", "--ranks", "8", "--replay", "azure-conv", "--requests", "300", "-f", "json"}},
	})
}

// TestServeCommandFiles: --requests-out writes every request's record
// (JSON Lines or CSV) and --trace a Perfetto trace, each said on stderr.
func TestServeCommandFiles(t *testing.T) {
	dir := t.TempDir()
	jl, cs, tr := filepath.Join(dir, "r.jsonl"), filepath.Join(dir, "r.csv"), filepath.Join(dir, "t.json")
	base := []string{"serve", "--topo", "hgx-h100", "--model", "llama-3.1-8b", "--tp", "8", "--rate", "5,10", "--requests", "50"}
	_, errs, code := run(append(base, "--requests-out", jl, "--trace", tr)...)
	if code != 0 || !strings.Contains(errs, "wrote "+jl) || !strings.Contains(errs, "wrote "+tr) {
		t.Fatalf("exit %d: %s", code, errs)
	}
	data, _ := os.ReadFile(jl)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 100 {
		t.Fatalf("%d request records, want 100 (50 at each of 2 rates)", len(lines))
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"offered_requests_per_s", "arrival_s", "ttft_s", "tpot_s", "e2e_s", "queue_s", "instance", "meets_slo"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("a request record lacks %q: %s", k, lines[0])
		}
	}
	if _, _, code := run(append(base, "--requests-out", cs)...); code != 0 {
		t.Fatal(code)
	}
	f, _ := os.Open(cs)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 101 || rows[0][0] != "offered_requests_per_s" {
		t.Errorf("CSV: %d rows, %v", len(rows), err)
	}
	var trace map[string]any
	if data, _ := os.ReadFile(tr); json.Unmarshal(data, &trace) != nil {
		t.Error("the trace is not JSON")
	}
}

// TestServeCommandErrors: bad input is a one-line usage error naming the
// flag and what to do, exit 2.
func TestServeCommandErrors(t *testing.T) {
	base := []string{"serve", "--topo", "hgx-h100", "--model", "llama-3.1-8b"}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("arrival_s,input_tokens,output_tokens\n0,10,5\n1,-1,5\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--rate is missing"},
		{[]string{"--rate", "0"}, "--rate 0: want a positive request rate"},
		{[]string{"--rate", "1", "--requests", "10", "--duration", "1min"}, "--requests 10 and --duration 1min: give one"},
		{[]string{"--rate", "1", "--duration", "1m"}, "--duration"},
		{[]string{"--rate", "1", "--arrival", "gamma"}, "--cv 0"},
		{[]string{"--rate", "1", "--router", "random"}, "--router \"random\""},
		{[]string{"--replay", "azure-conv", "--input-len", "100"}, "--input-len is for synthetic traffic"},
		{[]string{"--replay", bad}, "bad.csv:3: input \"-1\""},
		{[]string{"--rate", "1", "--find-max-rate"}, "--find-max-rate searches under limits"},
		{[]string{"--rate", "1", "--slo-percentile", "80"}, "--slo-percentile 80: want 50, 90, 95 or 99"},
		{[]string{"--rate", "1", "--ranks", "8", "--replicas", "2"}, "--replicas"},
		{[]string{"--rate", "1", "--prefill-tp", "2"}, "--prefill-tp is for a disaggregated service"},
		{[]string{"--rate", "1", "--requests-out", "x.txt"}, "name a .jsonl or .csv file"},
		{[]string{"--rate", "1", "--input-len", "200000"}, "context window"},
		{[]string{"--rate", "1", "--concurrency", "4"}, "--concurrency [4] and --rate: a closed loop sets its own rate"},
		{[]string{"--concurrency", "0"}, "--concurrency 0: want at least 1 user"},
		{[]string{"--concurrency", "x"}, "--concurrency"},
	} {
		_, errs, code := run(append(base, tc.args...)...)
		if code == 0 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v: exit %d: %q, want %q", tc.args, code, errs, tc.want)
		}
	}
}
