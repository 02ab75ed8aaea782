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
	// The tighter limit binds: TTFT (1.5 steps) within 30 ms.
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
