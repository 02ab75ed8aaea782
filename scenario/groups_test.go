package scenario

import (
	"strings"
	"testing"
)

// TestGroups: a collective workload with groups records the slowest group
// (its ranks, its busbw); rail-aligned data-parallel groups on two HGX
// H100 nodes keep the busbw of one group alone; bad groups fields are
// errors naming the field.
func TestGroups(t *testing.T) {
	src := `name: g
topologies:
  - {preset: hgx-h100, domains: 2}
workloads:
  - collective: {op: allreduce, sizes: 1GiB, per_server: true}
  - collective: {op: allreduce, sizes: 1GiB, groups: 8, strided: true}
`
	s, err := Parse("g.yaml", []byte(src))
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
	if len(sh.Rows) != 2 || sh.Rows[1][col["ranks"]] != 2 {
		t.Fatalf("records %v", sh.Rows)
	}
	alone, together := sh.Rows[0][col["busbw_bytes_per_s"]].(float64), sh.Rows[1][col["busbw_bytes_per_s"]].(float64)
	if together != alone {
		t.Errorf("8 rail-aligned groups together %g B/s, one alone %g B/s: want equal", together, alone)
	}
	if g, slow := sh.Rows[1][col["groups"]], sh.Rows[1][col["slowdown"]]; g != 8 || slow != 1.0 {
		t.Errorf("groups %v, slowdown %v; want 8 and 1", g, slow)
	}
	if g := sh.Rows[0][col["groups"]]; g != nil {
		t.Errorf("a lone collective records groups %v, want empty", g)
	}
	for _, tc := range []struct{ wl, want string }{
		{"{op: allreduce, sizes: 1MiB, groups: -1}", "workloads[0].collective.groups"},
		{"{op: allreduce, sizes: 1MiB, strided: true}", "workloads[0].collective.strided"},
	} {
		_, err := Parse("g.yaml", []byte("topologies: [{preset: hgx-h100}]\nworkloads: [{collective: "+tc.wl+"}]\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want %q", tc.wl, err, tc.want)
		}
	}
	s, err = Parse("g.yaml", []byte("topologies: [{preset: hgx-h100}]\nworkloads: [{collective: {op: allreduce, sizes: 1MiB, groups: 3}}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(Options{Jobs: 1}); err == nil || !strings.Contains(err.Error(), "workloads[0]") || !strings.Contains(err.Error(), "3 equal groups") {
		t.Errorf("groups 3 of 8 ranks: %v", err)
	}
}
