package main

import (
	"strings"
	"testing"
)

// TestReliabilityGolden pins the reliability output of the two headline
// systems: CloudMatrix 384's 6,912 optical modules against NVL72's copper.
func TestReliabilityGolden(t *testing.T) {
	checkGoldenRuns(t, "reliability", []goldenRun{
		{"cm384.txt", []string{"reliability", "cm384", "--monte-carlo", "--runs", "300", "--seed", "1"}},
		{"gb200-nvl72.txt", []string{"reliability", "gb200-nvl72", "--monte-carlo", "--runs", "300", "--seed", "1"}},
		{"cm384.json", []string{"reliability", "cm384", "--format", "json"}},
		{"gb200-nvl72.csv", []string{"reliability", "gb200-nvl72", "--interval", "30m", "--checkpoint-cost", "30s", "-f", "csv"}},
	})
}

func TestReliabilityDeterministic(t *testing.T) {
	args := []string{"reliability", "cm384", "--monte-carlo", "--runs", "200", "--seed", "42", "-f", "json"}
	a, _, _ := run(args...)
	b, _, _ := run(args...)
	if a != b || !strings.Contains(a, `"goodput_mean"`) {
		t.Errorf("same seed, different output or no Monte Carlo:\n%s\n%s", a, b)
	}
}

func TestReliabilityErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"reliability"}, "needs one topology"},
		{[]string{"reliability", "cm384", "--restart-cost", "soon"}, "--restart-cost"},
		{[]string{"reliability", "cm384", "--interval", "0s"}, "no time to compute"},
		{[]string{"reliability", "cm384", "--monte-carlo", "--runs", "0"}, "--runs"},
		{[]string{"reliability", "cm348"}, `did you mean "cm384"`},
	} {
		_, errs, code := run(tc.args...)
		if code == 0 || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %q", tc.args, code, errs, tc.msg)
		}
	}
}

// TestReliabilityFirstOrderWarning: where the checkpoint interval is not
// small against the time between interruptions, the summary says the
// first-order goodput no longer holds.
func TestReliabilityFirstOrderWarning(t *testing.T) {
	out, errs, code := run("reliability", "hgx-h100", "--domains", "2048", "--checkpoint-cost", "2h")
	if code != 0 || !strings.Contains(out, "first-order formula no longer holds") {
		t.Errorf("exit %d, stderr %q, no warning in the summary", code, errs)
	}
	out, _, _ = run("reliability", "hgx-h100")
	if strings.Contains(out, "no longer holds") {
		t.Error("warning on one HGX box")
	}
}
