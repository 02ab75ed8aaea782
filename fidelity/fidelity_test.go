package fidelity

import (
	"fmt"
	"testing"
)

// knownGaps lists the compared points the model does not yet reproduce
// within tolerance, with why. The test fails when any other point falls
// outside its tolerance (a regression) and when a listed point starts to
// pass (so the list shrinks as the model improves). Mid-size gaps come from
// NCCL's protocol switch (LL, LL128, Simple) and channel count, which the
// model does not have yet; small-message NVLS from NVLS's own, larger
// launch cost.
var knownGaps = map[string]string{
	"C01 busbw 1KiB":   "NVLS small-message latency (NCCL picks another algorithm or pays a larger NVLS launch cost)",
	"C01 busbw 64KiB":  "NVLS small-message latency",
	"C01 busbw 1MiB":   "NVLS small-message latency",
	"C01 busbw 4MiB":   "NVLS small-message latency",
	"C01 busbw 64MiB":  "mid-size protocol and channel ramp",
	"C03 busbw 16MiB":  "mid-size protocol and channel ramp",
	"C03 busbw 64MiB":  "mid-size protocol and channel ramp",
	"C04 busbw 4MiB":   "mid-size protocol and channel ramp",
	"C04 busbw 16MiB":  "mid-size protocol and channel ramp",
	"C04 busbw 64MiB":  "mid-size protocol and channel ramp",
	"C04 busbw 256MiB": "mid-size protocol and channel ramp",
	"C08 busbw 128MiB": "mid-size protocol and channel ramp",
}

func TestCases(t *testing.T) {
	rows, err := Run()
	if err != nil {
		t.Fatal(err)
	}
	passed, gaps, pending := 0, 0, 0
	for _, r := range rows {
		key := fmt.Sprintf("%s %s", r.Case, r.Point)
		t.Logf("%-4s %-12s %-32s measured %8.2f simulated %8.2f %-4s err %5.1f%% tol %3.0f%% %s",
			r.Case, r.Preset, r.Point, r.Measured, r.Simulated, r.Unit, 100*r.Error(), 100*r.Tolerance, r.Status)
		why, known := knownGaps[key]
		switch r.Status {
		case "pass":
			passed++
			if known {
				t.Errorf("%s now passes (error %.1f%%): remove it from knownGaps (%s)", key, 100*r.Error(), why)
			}
		case "fail":
			gaps++
			if !known {
				t.Errorf("%s: simulated %.2f %s, measured %.2f: error %.1f%% over the %.0f%% tolerance",
					key, r.Simulated, r.Unit, r.Measured, 100*r.Error(), 100*r.Tolerance)
			}
		default:
			pending++
		}
	}
	t.Logf("%d points pass, %d known gaps, %d cases pending", passed, gaps, pending)
	if passed < 30 {
		t.Errorf("only %d points pass", passed)
	}
}
