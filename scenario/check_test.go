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
		{"{op: allreduce, sizes: 1MiB, ranks: 64}", "workloads[0] on hgx-h100: 64 ranks"},
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
