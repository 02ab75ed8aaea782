package main

import (
	"strings"
	"testing"
)

// TestCollectiveTableReadsLikeNCCLTests: the default table carries the
// nccl-tests fields and the energy, leaves what the title says or what
// does not vary to --wide, and CSV keeps every field.
func TestCollectiveTableReadsLikeNCCLTests(t *testing.T) {
	args := []string{"collective", "--topo", "hgx-h100", "--op", "allreduce", "--sizes", "1MiB,16MiB"}
	out, errs, code := run(args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	header := strings.Split(out, "\n")[2]
	for _, want := range []string{"Algorithm", "Size (B)", "Count (elements)", "Type", "Time (us)", "algbw (GB/s)", "busbw (GB/s)", "Energy, IT (J)"} {
		if !strings.Contains(header, want) {
			t.Errorf("default header lacks %q: %s", want, header)
		}
	}
	for _, gone := range []string{"Topology", "On the wire", "Links busy", "Power mode", "Energy, facility"} {
		if strings.Contains(header, gone) {
			t.Errorf("default header has %q: %s", gone, header)
		}
	}
	out, _, _ = run(append(args, "--wide")...)
	if h := strings.Split(out, "\n")[2]; !strings.Contains(h, "On the wire") || !strings.Contains(h, "Energy, facility") {
		t.Errorf("--wide header lacks the detail fields: %s", h)
	}
	out, _, _ = run(append(args, "--format", "csv")...)
	if !strings.Contains(strings.SplitN(out, "\n", 2)[0], "topology,op,algorithm,protocol,ranks,size_bytes,count,dtype,time_s,algbw_bytes_per_s,busbw_bytes_per_s,wire_bytes,peak_link_util,mean_link_busy,power_mode") {
		t.Errorf("CSV header changed: %s", strings.SplitN(out, "\n", 2)[0])
	}
}
