package main

import (
	"strings"
	"testing"
)

// TestDisaggGolden pins 'cardsea infer --phase disagg' on a supernode
// (KV over the scale-up fabric) and between two HGX boxes (over the
// scale-out network, with both SLO searches).
func TestDisaggGolden(t *testing.T) {
	checkGoldenRuns(t, "infer", []goldenRun{
		{"disagg-cm384.txt", []string{"infer", "--topo", "cm384", "--model", "deepseek-r1", "--phase", "disagg",
			"--prefill-ranks", "16", "--decode-ranks", "160", "--input-len", "4096", "--output-len", "1024",
			"--prefill-batch", "4", "--batch", "96", "--weights-dtype", "int8", "--mtp-draft", "1", "--microbatches", "2"}},
		{"disagg-hgx-h100.csv", []string{"infer", "--topo", "hgx-h100", "--domains", "2", "--model", "llama-3.1-70b",
			"--phase", "disagg", "--prefill-ranks", "8", "--decode-ranks", "8", "--prefill-tp", "8", "--tp", "8",
			"--output-len", "1024", "--weights-dtype", "fp8", "--kv-dtype", "fp8", "--ttft-slo", "2s", "--tpot-slo", "30ms", "-f", "csv"}},
	})
}

// TestDisaggErrors: bad disaggregation flags give one line naming the
// value and what is accepted, and no output.
func TestDisaggErrors(t *testing.T) {
	hgx := []string{"infer", "--topo", "hgx-h100", "--domains", "2", "--model", "llama-3.1-70b", "--phase", "disagg", "--tp", "8", "--prefill-tp", "8"}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--prefill-ranks", "8", "--decode-ranks", "9"}, 2, "--prefill-ranks 8 + --decode-ranks 9 = 17 accelerators, but hgx-h100 has 16"},
		{[]string{"--decode-ranks", "8"}, 2, "--prefill-ranks is missing: --phase disagg needs at least 1 accelerator in each instance"},
		{[]string{"--prefill-ranks", "8", "--decode-ranks", "8", "--output-len", "0"}, 2, "--output-len 0: want at least 1"},
		{[]string{"--prefill-ranks", "8", "--decode-ranks", "8", "--ranks", "4"}, 2, "--ranks is not for --phase disagg"},
		{[]string{"--prefill-ranks", "8", "--decode-ranks", "8", "--curve"}, 2, "takes no --curve"},
		{[]string{"--prefill-ranks", "8", "--decode-ranks", "8", "--prefill-tp", "3"}, 1, "prefill: TP 3 x PP 1 does not divide the 8 dies"},
		{[]string{"--prefill-ranks", "8", "--decode-ranks", "8", "--batch", "5000", "--engine", "none"}, 1, "decode: does not fit"},
		{[]string{"--prefill-ranks", "8", "--decode-ranks", "8", "--batch", "5000"}, 1, "decode: past the engine's limit"},
		{[]string{"--prefill-ranks", "8", "--decode-ranks", "8", "--ttft-slo", "1us"}, 1, "over the 0.0 ms limit"},
		{[]string{"--prefill-ranks", "8", "--decode-ranks", "8", "--tpot-slo", "soon"}, 2, `--tpot-slo "soon"`},
		{[]string{"--prefill-ranks", "8", "--decode-ranks", "8", "--fail", "accel:1"}, 2, "--fail does not combine"},
	} {
		args := append(append([]string{}, hgx...), tc.args...)
		out, errs, code := run(args...)
		if code != tc.code || !strings.Contains(errs, tc.want) || out != "" || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %d bytes; want exit %d and %q", tc.args, code, errs, len(out), tc.code, tc.want)
		}
	}
	// Disaggregation flags outside disagg.
	_, errs, code := run("infer", "--topo", "hgx-h100", "--model", "llama-3.1-8b", "--prefill-ranks", "4")
	if code != 2 || !strings.Contains(errs, "--prefill-ranks is for --phase disagg") {
		t.Errorf("exit %d: %s", code, errs)
	}
}
