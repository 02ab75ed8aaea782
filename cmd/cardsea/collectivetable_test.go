package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestCollectiveTableReadsLikeNCCLTests: the default table carries the
// nccl-tests fields and the energy, leaves what the title says or what
// does not vary to --wide, and CSV keeps every field.
func TestCollectiveTableReadsLikeNCCLTests(t *testing.T) {
	// One protocol, so that the table fits without --wide.
	args := []string{"collective", "--topo", "hgx-h100", "--op", "allreduce", "--sizes", "1MiB,16MiB", "--proto", "ll"}
	out, errs, code := run(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	header := strings.Split(out, "\n")[2]
	for _, want := range []string{"│ Size ", "Count (elements)", "Type", "Algorithm", "Time", "algbw", "busbw", "Energy, IT"} {
		if !strings.Contains(header, want) {
			t.Errorf("default header lacks %q: %s", want, header)
		}
	}
	for _, gone := range []string{"Topology", "On the wire", "Links busy", "Power mode", "Energy, facility"} {
		if strings.Contains(header, gone) {
			t.Errorf("default header has %q: %s", gone, header)
		}
	}
	// nccl-tests' order, and units that follow the magnitude.
	if i, j := strings.Index(header, "Size"), strings.Index(header, "Algorithm"); i > j {
		t.Errorf("size does not lead: %s", header)
	}
	if !strings.Contains(out, "│  1 MiB │") || !strings.Contains(out, " us │") || !strings.Contains(out, " GB/s │") {
		t.Errorf("sizes, times and bandwidths without their units:\n%s", out)
	}
	out, _, _ = run(append(args, "--wide")...)
	// Wider than 160 columns, the header wraps: "On the" over "wire".
	if h := strings.Join(strings.Split(out, "\n")[2:5], "\n"); !strings.Contains(h, "On the") || !strings.Contains(h, "facility") {
		t.Errorf("--wide header lacks the detail fields:\n%s", h)
	}
	out, _, _ = run(append(args, "--format", "csv")...)
	if !strings.Contains(strings.SplitN(out, "\n", 2)[0], "topology,op,algorithm,protocol,ranks,size_bytes,count,dtype,time_s,algbw_bytes_per_s,busbw_bytes_per_s,wire_bytes,peak_link_util,mean_link_busy,power_mode") {
		t.Errorf("CSV header changed: %s", strings.SplitN(out, "\n", 2)[0])
	}
}

// TestNCCLTestsShorthands: nccl-tests' -d and its type names work; its
// -n (iterations), -g and -r, which would mean something else here, are
// refused with what to write instead.
func TestNCCLTestsShorthands(t *testing.T) {
	out, errs, code := run("collective", "--topo", "hgx-h100", "-b", "1M", "-e", "1M", "-d", "float", "--format", "csv")
	if code != 0 || !strings.Contains(out, ",262144,fp32,") {
		t.Errorf("-d float: exit %d, %s%s", code, out, errs)
	}
	for flag, want := range map[string]string{"-n": "--domains", "-g": "--ranks", "-r": "--ranks", "-w": "warm-up"} {
		_, errs, code := run("collective", "--topo", "hgx-h100", flag, "20")
		if code != 2 || !strings.Contains(errs, "nccl-tests") || !strings.Contains(errs, want) {
			t.Errorf("%s 20: exit %d, %s", flag, code, errs)
		}
	}
}

// TestNCCLTestsFormat: --format nccl-tests prints the *_perf binaries'
// rows (13 fields: size, count, type, redop, root, then time, algbw,
// busbw and #wrong out of place and in place) with the busbw the JSON
// records carry, and counts per rank for allgather as nccl-tests does.
func TestNCCLTestsFormat(t *testing.T) {
	args := []string{"collective", "--topo", "hgx-h100", "--op", "allgather", "--sizes", "8MiB,64MiB", "-d", "float"}
	out, errs, code := run(append(args, "--format", "nccl-tests")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	js, _, _ := run(append(args, "--format", "json")...)
	recs := []map[string]any{}
	if err := json.Unmarshal([]byte(js), &recs); err != nil || len(recs) != 2 {
		t.Fatalf("json: %v", err)
	}
	var rows [][]string
	for _, line := range strings.Split(out, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			rows = append(rows, strings.Fields(line))
		}
	}
	if len(rows) != 2 || !strings.Contains(out, "# Avg bus bandwidth") {
		t.Fatalf("%d rows:\n%s", len(rows), out)
	}
	for i, f := range rows {
		busbw := recs[i]["busbw_bytes_per_s"].(float64) / 1e9
		if len(f) != 13 || f[2] != "float" || f[3] != "none" || f[7] != fmt.Sprintf("%.2f", busbw) || f[8] != "N/A" {
			t.Errorf("row %d: %q (busbw %.2f)", i, f, busbw)
		}
	}
	if rows[0][0] != "8388608" || rows[0][1] != "262144" { // 8 MiB of float over 8 ranks
		t.Errorf("size and count %s %s, want 8388608 262144", rows[0][0], rows[0][1])
	}
}
