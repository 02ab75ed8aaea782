package scenario

import (
	"strings"
	"testing"
)

// TestCheckPlacements: check finds, without simulating, the placements a
// run would stop at, and passes the ones it would run.
func TestCheckPlacements(t *testing.T) {
	for _, tc := range []struct{ wl, want string }{
		{"{op: allreduce, sizes: 1MiB}", ""},
		{"{op: allreduce, sizes: 1MiB, ranks: 64}", "c.yaml:2:62: field `workloads[0].collective.ranks`: 64, but hgx-h100 has 8 accelerator dies; use ranks 8 or fewer, or more scale-up domains (domains) (on hgx-h100)"},
		{"{op: allreduce, sizes: 1MiB, groups: 3}", "3 equal groups"},
	} {
		s, err := Parse("c.yaml", []byte("topologies: [{preset: hgx-h100}]\nworkloads: [{collective: "+tc.wl+"}]\n"))
		if err != nil {
			t.Fatal(err)
		}
		err = s.CheckPlacements()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v; want %q", tc.wl, err, tc.want)
		}
	}
}

// TestReportColumnsOfTheWorkloads: report.columns may name only fields
// that the scenario's workloads report, and the error says which kinds
// do.
func TestReportColumnsOfTheWorkloads(t *testing.T) {
	for _, tc := range []struct{ wl, cols, want string }{
		{"{training: {model: llama-3.1-8b, global_batch: 8}}", "[topology, step_s, mfu]", ""},
		{"{training: {model: llama-3.1-8b, global_batch: 8}}", "[topology, time_s]", `c.yaml:3:30: field ` + "`report.columns[1]`" + `: no workload of this scenario reports "time_s" (collective records do)`},
		{"{inference: {model: llama-3.1-8b}}", "[tpot_s, busbw_bytes_per_s]", `reports "busbw_bytes_per_s" (collective records do)`},
		{"{collective: {op: allreduce, sizes: 1MiB}}", "[busbw_bytes_per_s, feasible]", ""},
		{"{inference: {model: llama-3.1-8b, phase: disagg, prefill_accelerators: 4, decode_accelerators: 4, output_len: 8}}", "[ttft_s, tokens_per_j]", ""},
	} {
		_, err := Parse("c.yaml", []byte("topologies: [{preset: hgx-h100}]\nworkloads: ["+tc.wl+"]\nreport: {columns: "+tc.cols+"}\n"))
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s %s: %v; want %q", tc.wl, tc.cols, err, tc.want)
		}
	}
}

// TestRunErrorsAtTheField: a rule that needs the topology (dp must divide
// the serving dies) fails at run time at the field's line and column.
func TestRunErrorsAtTheField(t *testing.T) {
	s, err := Parse("s.yaml", []byte("topologies: [{preset: hgx-h100}]\nworkloads:\n  - inference: {model: llama-3.1-8b, dp: 3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Run(Options{})
	if want := "s.yaml:3:42: field `workloads[0].inference.dp`: 3 x pp 1 does not divide the 8 serving dies (on hgx-h100)"; err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
