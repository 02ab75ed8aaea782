package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// TestEnergyByComponent: collective and infer records carry the energy of
// every power component, summing to the facility energy; tables show it.
func TestEnergyByComponent(t *testing.T) {
	for _, args := range [][]string{
		{"collective", "--topo", "gb200-nvl72", "--op", "allreduce", "--sizes", "64MiB", "--format", "json"},
		{"collective", "--topo", "cm384", "--op", "alltoall", "--per-accel", "--sizes", "16MiB", "--power-mode", "provisioned", "--format", "json"},
		{"infer", "--topo", "gb200-nvl72", "--ranks", "8", "--model", "deepseek-r1", "--phase", "decode", "--batch", "8", "--weights-dtype", "fp8", "--format", "json"},
	} {
		out, errOut, code := run(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var recs []map[string]any
		if err := json.Unmarshal([]byte(out), &recs); err != nil {
			var one map[string]any
			if err2 := json.Unmarshal([]byte(out), &one); err2 != nil {
				t.Fatalf("%v: %v", args, err)
			}
			recs = []map[string]any{one}
		}
		for _, r := range recs {
			by, ok := r["energy_by_component_j"].(map[string]any)
			if !ok || len(by) != 7 {
				t.Fatalf("%v: energy_by_component_j = %v, want 7 components", args, r["energy_by_component_j"])
			}
			sum := 0.0
			for _, v := range by {
				sum += v.(float64)
			}
			if args[0] == "infer" {
				// Per step: the IT components are the step's IT energy.
				it := sum - by["cooling"].(float64)
				want := r["avg_power_w"].(float64) * r["step_s"].(float64)
				if math.Abs(it-want) > 1e-6*want {
					t.Errorf("%v: IT components sum to %g J, power x step %g J", args, it, want)
				}
				continue
			}
			fac, _ := r["facility_energy_j"].(float64)
			if sum <= 0 || math.Abs(sum-fac) > 1e-9*fac {
				t.Errorf("%v: components sum to %g J, facility energy %g J", args, sum, fac)
			}
		}
	}
	out, _, _ := run("collective", "--topo", "gb200-nvl72", "--op", "allreduce", "--sizes", "64MiB")
	if !strings.Contains(out, "Energy by component") || !strings.Contains(out, "Energy: cooling and distribution") {
		t.Errorf("collective table lacks the energy breakdown:\n%s", out)
	}
}

// TestInferSearchParallelism: the search reports its TP and PP (PP 1, 2,
// 4, 8 with the TPs each leaves: 10 configurations for Llama on 8 GPUs),
// keeps its progress off a stderr that is no terminal (as run and sweep
// do), and refuses to run without a limit.
func TestInferSearchParallelism(t *testing.T) {
	out, errOut, code := run("infer", "--topo", "hgx-h100", "--model", "llama-3.1-70b", "--phase", "decode",
		"--context", "4096", "--weights-dtype", "fp8", "--tpot-slo", "30ms", "--search-parallelism", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil || len(recs) != 1 {
		t.Fatalf("%v: %s", err, out)
	}
	rec := recs[0]
	if tp, _ := rec["tp"].(float64); tp < 1 || rec["pp"].(float64) < 1 || rec["tpot_s"].(float64) > 0.030 {
		t.Errorf("tp %v, pp %v, tpot %v", rec["tp"], rec["pp"], rec["tpot_s"])
	}
	if errOut != "" {
		t.Errorf("progress on a stderr that is no terminal: %q", errOut)
	}
	_, errOut, code = run("infer", "--topo", "hgx-h100", "--model", "llama-3.1-70b", "--phase", "decode",
		"--context", "4096", "--search-parallelism")
	if code != 2 || !strings.Contains(errOut, "give --tpot-slo or --ttft-slo") {
		t.Errorf("without a limit: exit %d, %q", code, errOut)
	}
}

// TestCollectiveSizeSweepJobs: the size sweep's output does not depend on
// how many sizes run at once (and 'make race' runs it: its name has Sweep).
func TestCollectiveSizeSweepJobs(t *testing.T) {
	args := []string{"collective", "--topo", "hgx-h100", "--domains", "2", "--op", "allreduce", "--sizes", "1KiB:4MiB:x4", "--format", "csv"}
	one, e1, c1 := run(append(args, "-j", "1")...)
	three, e3, c3 := run(append(args, "-j", "3")...)
	if c1 != 0 || c3 != 0 {
		t.Fatalf("exit %d/%d: %s %s", c1, c3, e1, e3)
	}
	if one != three {
		t.Errorf("-j 1 and -j 3 differ:\n%s\n---\n%s", one, three)
	}
}
