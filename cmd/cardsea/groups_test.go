package main

import (
	"os"
	"strings"
	"testing"
)

// TestGroupsGolden pins 'cardsea collective --groups': eight data-parallel
// allreduces at once, one GPU of each of two HGX H100 nodes per group, on
// the rail-optimised scale-out (every group on its own rail: no slowdown).
func TestGroupsGolden(t *testing.T) {
	checkGoldenRuns(t, "collective", []goldenRun{
		{"groups-hgx-h100x2.csv", []string{"collective", "--topo", "hgx-h100", "--domains", "2", "--op", "allreduce",
			"--sizes", "64MiB,1GiB", "--groups", "8", "--strided", "--format", "csv"}},
	})
}

// TestGroupsErrors: a split that does not divide the ranks, or --strided
// without groups, is a one-line usage error.
func TestGroupsErrors(t *testing.T) {
	base := []string{"collective", "--topo", "hgx-h100", "--op", "allreduce", "--sizes", "1MiB"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--groups", "3"}, "do not split into 3 equal groups"},
		{[]string{"--groups", "8"}, "at least 2 ranks per group"},
		{[]string{"--strided"}, "give --groups 2 or more"},
		{[]string{"--groups", "0"}, "--groups 0: want at least 1"},
	} {
		out, errs, code := run(append(append([]string{}, base...), tc.args...)...)
		if code != 2 || !strings.Contains(errs, tc.want) || out != "" || strings.Count(strings.TrimSpace(errs), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %d bytes; want exit 2 and %q", tc.args, code, errs, len(out), tc.want)
		}
	}
}

// TestGroupsTrace: --trace with --groups records every group's run.
func TestGroupsTrace(t *testing.T) {
	file := t.TempDir() + "/g.json"
	_, errs, code := run("collective", "--topo", "hgx-h100", "--op", "allreduce", "--sizes", "1MiB",
		"--groups", "2", "--trace", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	data, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(data), `"traceEvents"`) {
		t.Fatalf("trace %s: %v, %d bytes", file, err, len(data))
	}
}
