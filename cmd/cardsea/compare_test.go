package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The compare tests use 8-GPU boxes and one size, so they run in a second.
var compareHGX = []string{"compare", "hgx-h100", "hgx-h800", "hgx-h20", "--size", "256MiB"}

func TestCompareGolden(t *testing.T) {
	checkGoldenRuns(t, "compare", []goldenRun{
		{"hgx.txt", compareHGX},
		{"hgx-baseline-h20.md", append(append([]string{}, compareHGX...), "--baseline", "hgx-h20", "--format", "markdown")},
		{"hgx.json", append(append([]string{}, compareHGX...), "--format", "json")},
		{"hgx.csv", append(append([]string{}, compareHGX...), "-f", "csv")},
		{"hgx-alltoall-ranks4.txt", []string{"compare", "hgx-h100", "hgx-h20", "--op", "alltoall", "--size", "16MiB", "--ranks", "4", "--algo", "pairwise"}},
	})
}

// TestCompareRatios checks that every ratio record is the topology's
// value over the baseline's, and that records are named for scripts.
func TestCompareRatios(t *testing.T) {
	out, errs, code := run(append(append([]string{}, compareHGX...), "--baseline", "hgx-h800", "--format", "json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var recs []map[string]any
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 {
		t.Fatalf("%d records, want 3 topologies and 2 ratios", len(recs))
	}
	byName := map[string]map[string]any{}
	for _, r := range recs {
		byName[r["topology"].(string)] = r
	}
	base := byName["hgx-h800"]
	for _, name := range []string{"hgx-h100", "hgx-h20"} {
		ratio, ok := byName[name+" / hgx-h800"]
		if !ok {
			t.Fatalf("no ratio record %q", name+" / hgx-h800")
		}
		if ratio["ratio_to"] != "hgx-h800" || byName[name]["ratio_to"] != nil {
			t.Errorf("ratio_to: %v, %v", ratio["ratio_to"], byName[name]["ratio_to"])
		}
		val := byName[name]
		for _, path := range [][]string{{"it_power_w"}, {"peak_flops", "bf16"}, {"allreduce", "256MiB", "busbw_bytes_per_s"},
			{"allreduce", "256MiB", "energy_j"}, {"allreduce", "256MiB", "aggregate_busbw_bytes_per_s_per_w"}} {
			v, b, r := dig(val, path), dig(base, path), dig(ratio, path)
			if math.Abs(r-v/b) > 1e-9*math.Abs(r) {
				t.Errorf("%s %v: ratio %g, want %g / %g", name, path, r, v, b)
			}
		}
		if dig(ratio, []string{"allreduce", "256MiB", "ranks"}) != 1 {
			t.Errorf("ranks ratio %v", ratio["allreduce"])
		}
		if alg := ratio["allreduce"].(map[string]any)["256MiB"].(map[string]any)["algorithm"]; alg != nil {
			t.Errorf("ratio record has an algorithm: %v", alg)
		}
	}
	if _, ok := byName["hgx-h800 / hgx-h800"]; ok {
		t.Error("the baseline has a ratio record of its own")
	}
}

func dig(m map[string]any, path []string) float64 {
	for _, k := range path[:len(path)-1] {
		m = m[k].(map[string]any)
	}
	v, _ := m[path[len(path)-1]].(float64)
	return v
}

// TestCompareWorkloadFile runs a scenario file's workloads, not its
// topologies, and keeps same-named workloads apart.
func TestCompareWorkloadFile(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "w.yaml")
	data := `name: w
topologies:
  - preset: cm384
workloads:
  - name: ar
    collective: {op: allreduce, sizes: "1MiB,4MiB", per_accel: true}
  - name: ar
    collective: {op: allgather, sizes: 1MiB, ranks: 4}
power:
  mode: provisioned
`
	if err := os.WriteFile(sc, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := run("compare", "hgx-h100", "hgx-h20", "--workload", sc, "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines, want a header, 2 topologies and 1 ratio:\n%s", len(lines), out)
	}
	for _, k := range []string{"ar_1MiB_time_s", "ar_4MiB_busbw_bytes_per_s", "ar_2_1MiB_ranks"} {
		if !strings.Contains(lines[0], k) {
			t.Errorf("header lacks %s: %s", k, lines[0])
		}
	}
	if strings.Contains(out, "cm384") || !strings.HasPrefix(lines[3], "hgx-h20 / hgx-h100,hgx-h100,") {
		t.Errorf("records:\n%s", out)
	}
	table, errs, code := run("compare", "hgx-h100", "hgx-h20", "--workload", sc)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(table, "provisioned mode") || !strings.Contains(table, "ar (2) 1 MiB: ranks") {
		t.Errorf("table:\n%s", table)
	}
}

// TestCompareTopologyFile compares a topology file by its base name.
func TestCompareTopologyFile(t *testing.T) {
	f := filepath.Join("..", "..", "scenarios", "topologies", "npu1024-clos.yaml")
	out, errs, code := run("compare", f, "hgx-h20", "--baseline", "npu1024-clos", "--ranks", "8", "--size", "16MiB", "--algo", "ring", "--format", "csv")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "\nnpu1024-clos,,Example 1,024-NPU") && !strings.Contains(out, "\nnpu1024-clos,,\"Example 1,024-NPU") {
		t.Errorf("no npu1024-clos record:\n%s", out)
	}
	if !strings.Contains(out, "\nhgx-h20 / npu1024-clos,npu1024-clos,") {
		t.Errorf("no ratio record:\n%s", out)
	}
}

func TestCompareErrors(t *testing.T) {
	dir := t.TempDir()
	sweep := filepath.Join(dir, "sweep.yaml")
	os.WriteFile(sweep, []byte("workloads:\n  - collective: {op: allreduce, sizes: 1MiB}\nsweep:\n  product:\n    power.price_per_kwh: [0.1, 0.2]\n"), 0o644)
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("workloads:\n  - collective: {op: allreduce, sizez: 1MiB}\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no topologies", []string{"compare"}, 2, "needs topology names"},
		{"unknown topology", []string{"compare", "hgx-h100", "gb200"}, 1, `unknown topology "gb200" (did you mean "gb200-nvl72"?)`},
		{"baseline not compared", []string{"compare", "hgx-h100", "hgx-h20", "--baseline", "hgx-h2"}, 2, `--baseline "hgx-h2" is not among the topologies compared (hgx-h100, hgx-h20); did you mean "hgx-h20"?`},
		{"baseline far off", []string{"compare", "hgx-h100", "hgx-h20", "--baseline", "cm384"}, 2, `--baseline "cm384" is not among`},
		{"twice", []string{"compare", "hgx-h100", "hgx-h100"}, 2, "given twice"},
		{"bad op", []string{"compare", "hgx-h100", "--op", "allreduse"}, 2, "--op: unknown op"},
		{"bad size", []string{"compare", "hgx-h100", "--size", "1 GiBs"}, 2, "--size"},
		{"bad format", []string{"compare", "hgx-h100", "--format", "xml"}, 2, `unknown format "xml"`},
		{"flags and file", []string{"compare", "hgx-h100", "--workload", "x.yaml", "--size", "1MiB"}, 2, "--size and --workload exclude each other"},
		{"per-server and per-accel", []string{"compare", "hgx-h100", "--per-server", "--per-accel"}, 2, "exclude each other"},
		{"missing workload file", []string{"compare", "hgx-h100", "--workload", filepath.Join(dir, "nope.yaml")}, 1, "cannot read workload file"},
		{"sweep in workload file", []string{"compare", "hgx-h100", "--workload", sweep}, 1, "cannot sweep"},
		{"typo in workload file", []string{"compare", "hgx-h100", "--workload", typo}, 1, "did you mean `sizes`?"},
		{"too many ranks", []string{"compare", "hgx-h100", "--ranks", "9", "--size", "1MiB"}, 1, "hgx-h100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := run(tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (%s)", code, tc.code, errs)
			}
			if !strings.Contains(errs, tc.want) {
				t.Errorf("stderr %q, want it to contain %q", errs, tc.want)
			}
			if out != "" {
				t.Errorf("stdout not empty on error: %q", out)
			}
		})
	}
}

func TestCompareHelp(t *testing.T) {
	for _, args := range [][]string{{"help", "compare"}, {"compare", "--help"}} {
		errs, _, code := run(args...) // help goes to stdout
		if code != 0 || !strings.Contains(errs, "Usage:") || !strings.Contains(errs, "--baseline") {
			t.Errorf("%v: exit %d, help %q", args, code, errs)
		}
	}
}
