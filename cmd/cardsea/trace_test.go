package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCollectiveTrace: --trace writes a valid Chrome trace of the last size
// with a thread per rank and link counters, the same bytes every run.
func TestCollectiveTrace(t *testing.T) {
	dir := t.TempDir()
	var files [][]byte
	for i := range 2 {
		path := filepath.Join(dir, []string{"a.json", "b.json"}[i])
		out, errs, code := run("collective", "--topo", "hgx-h100", "--op", "allreduce", "--sizes", "1MiB", "--ranks", "4",
			"--format", "json", "--trace", path)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if !strings.Contains(out, "busbw_bytes_per_s") {
			t.Errorf("results missing from stdout: %q", out)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two runs wrote different traces")
	}
	unit, rankThreads, counters, sends, ops := traceCounts(t, files[0])
	doc := struct{ DisplayTimeUnit string }{unit}
	if doc.DisplayTimeUnit != "ns" || rankThreads != 4 || len(counters) == 0 || sends == 0 || ops != 1 {
		t.Errorf("unit %q, %d rank threads, %d link counters, %d sends, %d op spans; want ns, 4, >0, >0, 1",
			doc.DisplayTimeUnit, rankThreads, len(counters), sends, ops)
	}
}

// TestCollectiveTraceLastSize: only the last size of a sweep is traced, and
// its operation span lasts as long as the reported time.
// traceCounts reads a collective's Chrome trace: its time unit, the rank
// threads, the link counters (each a use in 0-100%), the sends and the op
// spans (each an allreduce that lasts).
func traceCounts(t *testing.T, b []byte) (unit string, rankThreads int, counters map[string]bool, sends, ops int) {
	t.Helper()
	if !json.Valid(b) {
		t.Fatal("trace is not valid JSON")
	}
	var doc struct {
		TraceEvents []struct {
			Name string         `json:"name"`
			Ph   string         `json:"ph"`
			Pid  int            `json:"pid"`
			Tid  int            `json:"tid"`
			Ts   float64        `json:"ts"`
			Dur  float64        `json:"dur"`
			Args map[string]any `json:"args"`
		} `json:"traceEvents"`
		DisplayTimeUnit string `json:"displayTimeUnit"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	procs := map[int]string{}
	for _, e := range doc.TraceEvents {
		if e.Ph == "M" && e.Name == "process_name" {
			procs[e.Pid] = e.Args["name"].(string)
		}
	}
	counters = map[string]bool{}
	for _, e := range doc.TraceEvents {
		switch {
		case e.Ph == "M" && e.Name == "thread_name" && procs[e.Pid] == "ranks":
			rankThreads++
		case e.Ph == "C" && procs[e.Pid] == "links":
			counters[e.Name] = true
			if v := e.Args["value"].(float64); v < 0 || v > 100+1e-6 {
				t.Errorf("%s at %g us: %g%%", e.Name, e.Ts, v)
			}
		case e.Ph == "X" && procs[e.Pid] == "ranks" && strings.HasPrefix(e.Name, "send to "):
			sends++
		case e.Ph == "X" && procs[e.Pid] == "op":
			ops++
			if !strings.HasPrefix(e.Name, "allreduce ") || e.Dur <= 0 {
				t.Errorf("op span %q lasts %g us", e.Name, e.Dur)
			}
		}
	}
	return doc.DisplayTimeUnit, rankThreads, counters, sends, ops
}

func TestCollectiveTraceLastSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.json")
	out, errs, code := run("collective", "--topo", "hgx-h100", "--op", "allgather", "--sizes", "1MiB,4MiB", "--ranks", "8",
		"--format", "json", "--trace", path)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res []map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		TraceEvents []struct {
			Ph   string         `json:"ph"`
			Dur  float64        `json:"dur"`
			Args map[string]any `json:"args"`
		} `json:"traceEvents"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	last := res[len(res)-1]
	found := false
	for _, e := range doc.TraceEvents {
		if e.Ph == "X" && e.Args["bytes"] != nil {
			found = true
			if e.Args["bytes"].(float64) != last["size_bytes"].(float64) {
				t.Errorf("traced %v bytes, last size %v", e.Args["bytes"], last["size_bytes"])
			}
			if d, want := e.Dur*1e-6, last["time_s"].(float64); d < want*(1-1e-9) || d > want*(1+1e-9) {
				t.Errorf("traced operation lasts %g s, result says %g s", d, want)
			}
		}
	}
	if !found {
		t.Error("no operation span")
	}
}

// TestCollectiveTraceBadPath: a trace into a missing directory is refused
// before anything runs.
func TestCollectiveTraceBadPath(t *testing.T) {
	_, errs, code := run("collective", "--topo", "hgx-h100", "--sizes", "1MiB", "--ranks", "2",
		"--trace", filepath.Join(t.TempDir(), "missing", "t.json"))
	if code != 2 || !strings.Contains(errs, "does not exist") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}
