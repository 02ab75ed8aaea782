package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestFailFlag: --fail adds the healthy columns and the ratio; without it
// the output has none of them. The rack-wide ring all-gather is held by
// its links, not by NCCL's copy rate (collective/nccltune.go, which holds
// a GPU pair's send below 17/18 of NVLink 5), so a plane out costs it
// 1/18.
func TestFailFlag(t *testing.T) {
	out, errs, code := run("collective", "--topo", "gb200-nvl72", "--op", "allgather", "--algo", "ring", "--sizes", "1GiB",
		"--fail", "plane:3", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatal(err)
	}
	if r := recs[0]["busbw_ratio"].(float64); r < 0.94 || r > 0.95 {
		t.Errorf("busbw ratio %g with one of 18 planes out, want about 17/18", r)
	}
	if recs[0]["busbw_bytes_per_s_healthy"].(float64) <= recs[0]["busbw_bytes_per_s"].(float64) {
		t.Errorf("healthy busbw not above faulty: %v", recs[0])
	}
	out, _, _ = run("collective", "--topo", "gb200-nvl72", "--op", "sendrecv", "--rank-list", "0,1", "--sizes", "1GiB", "--format", "csv")
	if strings.Contains(out, "healthy") || strings.Contains(out, "ratio") {
		t.Errorf("healthy columns without --fail:\n%s", out)
	}

	out, errs, code = run("infer", "--topo", "hgx-h100", "--model", "llama-3.1-8b", "--context", "1024", "--fail", "accel:7", "--format", "json")
	if code != 0 {
		t.Fatalf("infer exit %d: %s", code, errs)
	}
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatal(err)
	}
	if recs[0]["accelerators"].(float64) != 7 || recs[0]["accelerators_healthy"].(float64) != 8 || recs[0]["tokens_per_s_per_accel_ratio"] == nil {
		t.Errorf("infer with an accelerator out: %v", recs[0])
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"collective", "--topo", "gb200-nvl72", "--sizes", "1MiB", "--fail", "plane"}, 2, "want KIND:TARGET"},
		{[]string{"collective", "--topo", "gb200-nvl72", "--sizes", "1MiB", "--fail", "link:acc0-sw99"}, 2, `did you mean "sw9"?`},
		{[]string{"collective", "--topo", "hgx-h100", "--sizes", "1MiB", "--op", "allreduce",
			"--fail", "link:acc0-sw0", "--fail", "link:acc0-sw1", "--fail", "link:acc0-sw2", "--fail", "link:acc0-sw3"}, 1, "cut the group"},
		{[]string{"infer", "--topo", "hgx-h100", "--model", "llama-3.1-8b", "--ranks", "8", "--fail", "accel:7"}, 2, "7 of hgx-h100's 8 accelerators survive"},
	} {
		_, errs, code := run(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %s; want exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}
