package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/scenario"
)

// TestExampleScenarios runs every example scenario, as users start from them.
func TestExampleScenarios(t *testing.T) {
	files, _ := filepath.Glob("../../scenarios/*.yaml")
	if len(files) < 4 {
		t.Fatalf("%d example scenarios", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, errs, code := run("check", f); code != 0 {
				t.Fatalf("check: exit %d: %s", code, errs)
			}
			out, errs, code := run("run", f, "--format", "csv")
			if code != 0 {
				t.Fatalf("run: exit %d: %s", code, errs)
			}
			if n := strings.Count(out, "\n"); n < 3 {
				t.Errorf("only %d lines of results", n)
			}
		})
	}
}

const sweepScenario = `name: tiny
topologies:
  - preset: hgx-h100
workloads:
  - collective: {op: allreduce, sizes: "1MiB,16MiB", ranks: 4}
sweep:
  product:
    power.price_per_kwh: [0.05, 0.1, 0.2]
    topologies[0].preset: [hgx-h100, hgx-h800]
`

// TestSweepShardMergeResume: sharded and merged, or interrupted and
// resumed, a sweep's file is byte-identical to a straight run.
func TestSweepShardMergeResume(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(sc, []byte(sweepScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	read := func(name string) string {
		b, err := os.ReadFile(p(name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, args := range [][]string{
		{"sweep", sc, "--out", p("all.csv"), "-j", "1"},
		{"sweep", sc, "--out", p("all2.csv"), "-j", "3"},
		{"sweep", sc, "--out", p("s0.csv"), "--shard", "0/3"},
		{"sweep", sc, "--out", p("s1.csv"), "--shard", "1/3"},
		{"sweep", sc, "--out", p("s2.csv"), "--shard", "2/3"},
		{"merge", p("s2.csv"), p("s0.csv"), p("s1.csv"), "--out", p("merged.csv")},
		{"sweep", sc, "--out", p("all.jsonl")},
	} {
		if _, errs, code := run(args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
	}
	all := read("all.csv")
	if strings.Count(all, "\n") != 1+6*2 {
		t.Fatalf("all.csv has %d lines", strings.Count(all, "\n"))
	}
	if read("all2.csv") != all || read("merged.csv") != all {
		t.Error("jobs or shard+merge changed the output")
	}
	if _, errs, code := run("merge", p("s0.csv"), p("s1.csv"), "--out", p("bad.csv")); code == 0 || !strings.Contains(errs, "points missing") {
		t.Errorf("merge with a shard missing: exit %d: %s", code, errs)
	}
	if _, errs, code := run("merge", p("s0.csv"), p("s0.csv"), p("s1.csv"), p("s2.csv"), "--out", p("bad.csv")); code == 0 || !strings.Contains(errs, "in both") {
		t.Errorf("merge with a shard twice: exit %d: %s", code, errs)
	}
	// Resume: a journal holding the first two points and a torn line, as a
	// killed sweep leaves it; the resumed file must equal the straight one.
	s, err := scenario.Load(sc)
	if err != nil {
		t.Fatal(err)
	}
	var journal bytes.Buffer
	_, err = s.Run(scenario.Options{Done: func(p int) bool { return p > 1 },
		PointDone: func(p int, rows [][]any) error {
			line, err := scenario.JournalLine(p, rows)
			journal.Write(append(line, '\n'))
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	journal.WriteString(`{"point":2,"ro`)
	jpath := p("resumed.csv.partial")
	if err := os.WriteFile(jpath, journal.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errs, code := run("sweep", sc, "--out", p("resumed.csv")); code == 0 || !strings.Contains(errs, "--resume") {
		t.Errorf("a journal without --resume: exit %d: %s", code, errs)
	}
	if _, errs, code := run("sweep", sc, "--out", p("resumed.csv"), "--resume"); code != 0 {
		t.Fatalf("resume: %s", errs)
	}
	if read("resumed.csv") != all {
		t.Errorf("resumed sweep differs from the straight one:\n%s\n---\n%s", read("resumed.csv"), all)
	}
	if _, err := os.Stat(jpath); err == nil {
		t.Error("journal left behind after a finished sweep")
	}
}

func TestScenarioErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: x\ntopologies:\n  - preset: cm348\nworkloads: [{collective: {op: allreduce}}]\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run"}, 2, "one scenario file"},
		{[]string{"run", filepath.Join(dir, "none.yaml")}, 1, "cannot read scenario"},
		{[]string{"run", bad}, 1, `did you mean "cm384"`},
		{[]string{"sweep", bad}, 2, "needs --out"},
		{[]string{"sweep", bad, "--out", "x.txt"}, 2, ".csv or .jsonl"},
		{[]string{"sweep", bad, "--out", "x.csv", "--shard", "3/3"}, 2, "0 <= I < N"},
		{[]string{"merge", "--out", "x.csv"}, 2, "needs shard files"},
	} {
		out, errs, code := run(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit %d and %q", tc.args, code, errs, out, tc.code, tc.want)
		}
	}
}

// TestRunAndInferTraces: run and infer write valid Perfetto traces with a
// track per serving accelerator.
func TestRunAndInferTraces(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.yaml")
	os.WriteFile(sc, []byte("name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{collective: {op: allreduce, sizes: 1MiB, ranks: 4}}]\n"), 0o644)
	for _, args := range [][]string{
		{"run", sc, "--trace", filepath.Join(dir, "run.json"), "--format", "csv"},
		{"infer", "--topo", "hgx-h100", "--model", "llama-3.1-70b", "--tp", "8", "--batch", "4", "--context", "1024", "--trace", filepath.Join(dir, "infer.json"), "-f", "csv"},
	} {
		if _, errs, code := run(args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
	}
	for name, threads := range map[string]int{"run.json": 4, "infer.json": 8 + 1} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			TraceEvents []struct {
				Name, Ph string
			} `json:"traceEvents"`
		}
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n := 0
		for _, e := range doc.TraceEvents {
			if e.Ph == "M" && e.Name == "thread_name" {
				n++
			}
		}
		if n < threads {
			t.Errorf("%s: %d named threads, want at least %d", name, n, threads)
		}
	}
}

// TestReportInference: an inference-only sweep reports tokens/s charts.
func TestReportInference(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.yaml")
	os.WriteFile(sc, []byte("name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{inference: {model: llama-3.1-8b, accelerators: 1, context: 1024}}]\nsweep:\n  product:\n    workloads[0].inference.batch: [1, 4]\n"), 0o644)
	out := filepath.Join(dir, "r.html")
	if _, errs, code := run("report", sc, "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	html, _ := os.ReadFile(out)
	if !strings.Contains(string(html), "Tokens/s per accelerator vs") || !strings.Contains(string(html), "<svg") {
		t.Error("no tokens/s chart in the report")
	}
}

// TestWroteLine: a command that writes a file says on stderr where, what
// and how big, and prints nothing on stdout.
func TestWroteLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	out, errs, code := run("run", filepath.Join("..", "..", "scenarios", "allreduce-all-presets.yaml"), "--out", path)
	if code != 0 || out != "" || !strings.HasPrefix(errs, "cardsea: wrote "+path+" (") || !strings.Contains(errs, " records, ") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
