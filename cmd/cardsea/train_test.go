package main

import (
	"strings"
	"testing"
)

func TestTrainGolden(t *testing.T) {
	lora := []string{"train", "--topo", "hgx-h100", "--model", "llama-2-70b", "--seq-len", "8192", "--global-batch", "8",
		"--tp", "4", "--dtype", "fp8", "--lora-rank", "16", "--tp-overlap"}
	checkGoldenRuns(t, "train", []goldenRun{
		{"llama-2-70b-lora.txt", lora},
		{"llama-2-70b-lora.json", append(append([]string{}, lora...), "--format", "json")},
		{"llama-3.1-8b-2nodes.csv", []string{"train", "--topo", "hgx-h100", "--domains", "2", "--model", "llama-3.1-8b",
			"--seq-len", "4096", "--global-batch", "16", "--tp", "2", "--format", "csv"}},
	})
}

func TestTrainErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train", "--topo", "hgx-h100"}, 2, "train needs --topo, --model and --global-batch"},
		{[]string{"train", "--topo", "hgx-h100", "--model", "llama-3.1-8b", "--global-batch", "8", "--dtype", "fp7"}, 2, "--dtype"},
		{[]string{"train", "--topo", "hgx-h100", "--model", "deepseek-r1", "--global-batch", "8"}, 2, "mixture-of-experts"},
		{[]string{"train", "--topo", "hgx-h100", "--model", "llama-3.1-8b", "--global-batch", "12"}, 2, "try --global-batch 8"},
		{[]string{"train", "--topo", "hgx-h100", "--model", "llama-3.1-8b", "--global-batch", "8", "--power-mode", "nameplate"}, 2, "unknown power mode"},
		{[]string{"train", "--topo", "cm384", "--model", "llama-3.1-8b", "--global-batch", "8", "--cp", "5"}, 1, "does not divide the 768 ranks (dies)"},
	} {
		out, errOut, code := run(tc.args...)
		if code != tc.code || !strings.Contains(errOut, tc.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d and %q", tc.args, code, errOut, out, tc.code, tc.want)
		}
	}
}
