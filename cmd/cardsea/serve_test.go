package main

import (
	"strings"
	"testing"
)

// TestServeGolden pins 'cardsea infer --phase serve': MLPerf's Llama 2 70B
// request mix at NVIDIA's offline batch on an HGX H200, and the largest
// batch within MLPerf's server limits on an HGX H100 (TP 2).
func TestServeGolden(t *testing.T) {
	mix := []string{"--model", "llama-2-70b", "--phase", "serve", "--input-len", "218", "--output-len", "294",
		"--weights-dtype", "fp8", "--kv-dtype", "fp8", "--microbatches", "1"}
	checkGoldenRuns(t, "infer", []goldenRun{
		{"serve-hgx-h200.txt", append([]string{"infer", "--topo", "hgx-h200", "--tp", "1", "--batch", "806"}, mix...)},
		{"serve-hgx-h100.csv", append([]string{"infer", "--topo", "hgx-h100", "--tp", "2", "--tpot-slo", "200ms", "--ttft-slo", "2s", "-f", "csv"}, mix...)},
	})
}

// TestServeErrors: serve flags that contradict the phase are one-line
// usage errors; --output-len outside disagg and serve is refused.
func TestServeErrors(t *testing.T) {
	base := []string{"infer", "--topo", "hgx-h100", "--model", "llama-3.1-8b"}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--phase", "serve", "--context", "1024"}, 2, "--context is not for --phase serve"},
		{[]string{"--phase", "serve", "--output-len", "0"}, 2, "--output-len 0: want at least 1"},
		{[]string{"--phase", "serve", "--mtp-draft", "1"}, 2, "--mtp-draft 1: llama-3.1-8b has no MTP module"},
		{[]string{"--phase", "decode", "--output-len", "100"}, 2, "--output-len is for --phase disagg or serve"},
		{[]string{"--phase", "decode", "--tpot-slo", "50ms", "--ttft-slo", "1s"}, 2, "both only with --phase disagg or serve"},
	} {
		out, errs, code := run(append(append([]string{}, base...), tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) || out != "" || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %d bytes; want exit %d and %q", tc.args, code, errs, len(out), tc.code, tc.want)
		}
	}
}
