package scenario

import (
	"strings"
	"testing"
)

// TestFaults: a faulty topology next to the healthy one gives both
// records, told apart by the default label; bad specs and unknown names
// are errors naming the field. The rack-wide ring all-gather is held by
// its links (a GPU pair's send is held by NCCL's copy rate instead,
// collective/nccltune.go), so a plane out costs it 1/18.
func TestFaults(t *testing.T) {
	src := `name: f
topologies:
  - preset: gb200-nvl72
  - preset: gb200-nvl72
    faults: ["plane:3", "accel:17"]
workloads:
  - collective: {op: allgather, algorithm: ring, sizes: 1GiB}
  - collective: {op: allreduce, sizes: 1GiB}
`
	s, err := Parse("f.yaml", []byte(src))
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
	if len(sh.Rows) != 4 {
		t.Fatalf("%d records, want 4", len(sh.Rows))
	}
	bw := func(r int) float64 { return sh.Rows[r][col["busbw_bytes_per_s"]].(float64) }
	if got := sh.Rows[2][col["topology"]]; got != "gb200-nvl72 (fail plane:3, accel:17)" {
		t.Errorf("faulty label %q", got)
	}
	if r := bw(2) / bw(0); r < 0.94 || r > 0.955 { // 71 ranks there: an accelerator is out too
		t.Errorf("ring allgather keeps %.4f with a plane out, want about 17/18", r)
	}
	if got := sh.Rows[3][col["ranks"]]; got != 71 {
		t.Errorf("allreduce over %v ranks with an accelerator out, want 71", got)
	}
	for _, tc := range []struct{ faults, want string }{
		{`["plane3"]`, "topologies[0].faults"},
		{`["swich:sw0"]`, `did you mean "switch"?`},
	} {
		_, err := Parse("f.yaml", []byte("topologies: [{preset: gb200-nvl72, faults: "+tc.faults+"}]\nworkloads: [{collective: {op: allreduce, sizes: 1MiB}}]\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("faults %s: %v; want %q", tc.faults, err, tc.want)
		}
	}
	s, err = Parse("f.yaml", []byte("topologies: [{preset: gb200-nvl72, faults: [switch:sw3x]}]\nworkloads: [{collective: {op: allreduce, sizes: 1MiB}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(Options{Jobs: 1}); err == nil || !strings.Contains(err.Error(), "topologies[0].faults") || !strings.Contains(err.Error(), `did you mean "sw3"?`) {
		t.Errorf("unknown switch: %v", err)
	}
	// An inference workload is served by the survivors.
	s, err = Parse("f.yaml", []byte("topologies: [{preset: hgx-h100, faults: [accel:7]}]\nworkloads: [{inference: {model: llama-3.1-8b, tp: 1, context: 1024}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	sh, err = s.Run(Options{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := sh.Rows[0][col["dies"]]; got != 7 {
		t.Errorf("inference on %v dies with one of 8 GPUs out, want 7", got)
	}
}
