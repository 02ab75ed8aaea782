package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestReadableGolden pins the tables issue #16 named: a scenario's few
// wide records side by side with the swept fields by name, many records
// one a line within 160 columns, and a collective sweep that reads like
// nccl-tests with units that follow the magnitude.
func TestReadableGolden(t *testing.T) {
	checkGoldenRuns(t, "readable", []goldenRun{
		{"run-deepseek-r1-decode-slo.txt", []string{"run", "../../scenarios/deepseek-r1-decode-slo.yaml"}},
		// Many records: what is the same moves to a note, breakdowns go.
		{"run-ep-degree-sweep.txt", []string{"run", "../../scenarios/ep-degree-sweep.yaml"}},
		// Two kinds of record: a table each.
		{"run-electricity-price-sweep.txt", []string{"run", "../../scenarios/electricity-price-sweep.yaml"}},
		{"collective-gb200-nvl72.txt", []string{"collective", "--topo", "gb200-nvl72", "-b", "1K", "-e", "1G", "-f", "4"}},
		{"collective-gb200-nvl72-wide.txt", []string{"collective", "--topo", "gb200-nvl72", "-b", "1K", "-e", "1G", "-f", "16", "--wide"}},
	})
}

// TestTablesFit160: every table and Markdown golden fits 160 columns.
func TestTablesFit160(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.txt")
	more, _ := filepath.Glob("testdata/*.txt")
	md, _ := filepath.Glob("testdata/*/*.md")
	files = append(append(files, more...), md...)
	if len(files) < 20 {
		t.Fatalf("only %d goldens", len(files))
	}
	for _, f := range files {
		if strings.HasSuffix(f, "-wide.txt") {
			continue // --wide carries everything, however wide
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if n := utf8.RuneCountInString(line); n > 160 {
				t.Errorf("%s:%d: %d columns", f, i+1, n)
			}
		}
	}
}

// TestRunTableReadable: the scenario the issue named shows every field
// of its three records within 160 columns, its swept fields by their
// names, no field path, and times in the unit their size needs.
func TestRunTableReadable(t *testing.T) {
	out, errs, code := run("run", "../../scenarios/deepseek-r1-decode-slo.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"│ cm384 ", "│ gb200-nvl72 ", "Tokens/s per facility MW", "Energy: cooling and distribution", " ms │", " kJ │"} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	for _, gone := range []string{"workloads[0]", "topologies[0]", "Left out"} {
		if strings.Contains(out, gone) {
			t.Errorf("has %q:\n%s", gone, out)
		}
	}
	wide, _, _ := run("run", "../../scenarios/deepseek-r1-decode-slo.yaml", "--wide")
	if !strings.Contains(wide, "│ Topology ") || strings.Contains(wide, "Same in every record") {
		t.Errorf("--wide is not one record a line with every field:\n%s", wide)
	}
}
