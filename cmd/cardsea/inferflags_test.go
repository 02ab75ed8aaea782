package main

import (
	"strings"
	"testing"
)

// TestInferDPFlags: --dp sets TP from the serving dies, --attn-dp sets TP 1,
// and contradictions are usage errors.
func TestInferDPFlags(t *testing.T) {
	base := []string{"infer", "--topo", "hgx-h100", "--model", "llama-3.1-8b", "--context", "1024", "--batch", "4", "--format", "csv"}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--dp", "2"}, 0, ",4,1,1,2,"}, // tp 4, pp 1, ep 1, dp 2
		{[]string{"--attn-dp"}, 0, ",1,1,1,8,"},
		{[]string{"--dp", "2", "--tp", "4"}, 0, ",4,1,1,2,"},
		{[]string{"--dp", "2", "--tp", "2"}, 2, "drop --tp (it would be 4)"},
		{[]string{"--dp", "3"}, 2, "does not divide the 8 serving dies"},
		{[]string{"--attn-dp", "--tp", "8"}, 2, "contradicts --tp 8"},
		{[]string{"--dp", "-1"}, 2, "--dp -1: want 0 (the default) or more"},
		{[]string{"--dp", "2", "--search-parallelism", "--tpot-slo", "50ms"}, 2, "drop --dp and --attn-dp"},
	} {
		out, errOut, code := run(append(append([]string{}, base...), tc.args...)...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, code, out, errOut, tc.code, tc.want)
		}
	}
}
