package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlotGolden pins the SVG of busbw against size per topology: the same
// CSV gives the same bytes on every run and machine, and JSON Lines of the
// same records give the same chart.
func TestPlotGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"plot/busbw.svg", []string{"testdata/plot/results.csv", "--x", "size_bytes", "--y", "busbw_bytes_per_s", "--series", "topology", "--logx"}},
		{"plot/busbw.svg", []string{"testdata/plot/results.jsonl", "--x", "size_bytes", "--y", "busbw_bytes_per_s", "--series", "topology", "--logx"}},
		{"plot/energy.svg", []string{"testdata/plot/results.csv", "--x", "size_bytes", "--y", "energy_j", "--series", "topology", "--logx", "--logy", "--title", "Energy per allreduce"}},
		{"plot/power.svg", []string{"testdata/plot/results.csv", "--x", "avg_power_w", "--y", "time_s", "--points"}},
		{"plot/topology-bars.svg", []string{"testdata/plot/results.csv", "--x", "topology", "--y", "busbw_bytes_per_s", "--series", "size_bytes"}},
	} {
		t.Run(tc.golden+" from "+filepath.Ext(tc.args[0]), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "chart.svg")
			var first []byte
			for range 2 {
				_, errs, code := run(append([]string{"plot"}, append(tc.args, "-o", out)...)...)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, errs)
				}
				got, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if first != nil && !bytes.Equal(first, got) {
					t.Fatal("two runs gave different SVG")
				}
				first = got
			}
			golden(t, tc.golden, string(first))
		})
	}
}

func TestPlotLabels(t *testing.T) {
	out := filepath.Join(t.TempDir(), "chart.svg")
	_, errs, code := run("plot", "testdata/plot/results.csv", "--x", "size_bytes", "--y", "busbw_bytes_per_s", "--series", "topology", "--logx", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	svg, _ := os.ReadFile(out)
	for _, want := range []string{">Size (MiB)<", ">busbw (GB/s)<", ">cm384<", ">gb200-nvl72<", "font-family:'Liberation Sans',Arial"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if i, j := bytes.Index(svg, []byte(">cm384<")), bytes.Index(svg, []byte(">gb200-nvl72<")); i > j {
		t.Error("series are not in order of first appearance")
	}
	_, errs, code = run("plot", "testdata/plot/results.csv", "--x", "avg_power_w", "--y", "time_s", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	svg, _ = os.ReadFile(out)
	for _, want := range []string{">Avg IT power (kW)<", ">Time (ms)<"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

func TestPlotPNG(t *testing.T) {
	dir := t.TempDir()
	var imgs [][]byte
	for i := range 2 {
		out := filepath.Join(dir, "chart"+string(rune('a'+i))+".png")
		_, errs, code := run("plot", "testdata/plot/results.csv", "--x", "size_bytes", "--y", "busbw_bytes_per_s", "--series", "topology", "--logx", "-o", out)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		img, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(img, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatal("not a PNG")
		}
		imgs = append(imgs, img)
	}
	if !bytes.Equal(imgs[0], imgs[1]) {
		t.Error("two runs gave different PNG")
	}
}

func TestPlotErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.csv", "topology,size_bytes,busbw_bytes_per_s\ncm384,1024,5e9\ncm384,lots,6e9\n")
	zero := write("zero.csv", "topology,size_bytes,busbw_bytes_per_s\ncm384,0,5e9\n")
	ragged := write("ragged.csv", "topology,size_bytes,busbw_bytes_per_s\ncm384,1024\n")
	badjson := write("bad.jsonl", "{\"size_bytes\":1024,\"busbw_bytes_per_s\":5e9}\n{\"size_bytes\":\n")
	text := write("results.txt", "x")
	csv := "testdata/plot/results.csv"
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"missing column", []string{csv, "--x", "size_bytes", "--y", "busbw", "-o", "OUT.svg"}, 1,
			[]string{`has no column "busbw" (did you mean "busbw_bytes_per_s"?)`, "its columns: topology, op, size_bytes, time_s, busbw_bytes_per_s, energy_j, avg_power_w"}},
		{"misspelt series", []string{csv, "--x", "size_bytes", "--y", "busbw_bytes_per_s", "--series", "topolgy", "-o", "OUT.svg"}, 1,
			[]string{`no column "topolgy" (did you mean "topology"?)`}},
		{"not a number", []string{bad, "--x", "size_bytes", "--y", "busbw_bytes_per_s", "-o", "OUT.svg"}, 1,
			[]string{`bad.csv:3: column size_bytes (x): "lots" is not a number`}},
		{"names on a log axis", []string{csv, "--x", "topology", "--y", "busbw_bytes_per_s", "--logx", "-o", "OUT.svg"}, 2,
			[]string{`--x topology holds names, not numbers; drop --logx`}},
		{"text on the y axis", []string{csv, "--x", "size_bytes", "--y", "topology", "-o", "OUT.svg"}, 1,
			[]string{`results.csv:2: column topology (y): "cm384" is not a number`}},
		{"bars on a log axis", []string{csv, "--x", "size_bytes", "--y", "busbw_bytes_per_s", "--bars", "--logx", "-o", "OUT.svg"}, 2,
			[]string{`drop --logx`}},
		{"zero on a log axis", []string{zero, "--x", "size_bytes", "--y", "busbw_bytes_per_s", "--logx", "-o", "OUT.svg"}, 1,
			[]string{"zero.csv:2: column size_bytes (x): 0 on a log X axis; a log axis needs values above 0"}},
		{"ragged CSV", []string{ragged, "--x", "size_bytes", "--y", "busbw_bytes_per_s", "-o", "OUT.svg"}, 1,
			[]string{"ragged.csv:2:", "the header has 3"}},
		{"torn JSON line", []string{badjson, "--x", "size_bytes", "--y", "busbw_bytes_per_s", "-o", "OUT.svg"}, 1,
			[]string{"bad.jsonl:2:", "want one JSON object per line"}},
		{"unknown input format", []string{text, "--x", "a", "--y", "b", "-o", "OUT.svg"}, 1,
			[]string{`unknown results format ".txt"`}},
		{"unknown output extension", []string{csv, "--x", "size_bytes", "--y", "busbw_bytes_per_s", "-o", "OUT.pdf"}, 2,
			[]string{`unknown output extension ".pdf"`, "want .svg or .png"}},
		{"no output", []string{csv, "--x", "size_bytes", "--y", "busbw_bytes_per_s"}, 2, []string{"plot needs -o chart.svg"}},
		{"no y", []string{csv, "--x", "size_bytes", "-o", "OUT.svg"}, 2, []string{"plot needs --x and --y"}},
		{"no file", []string{"--x", "size_bytes", "--y", "busbw_bytes_per_s", "-o", "OUT.svg"}, 2, []string{"plot needs one results file"}},
		{"missing file", []string{filepath.Join(dir, "nope.csv"), "--x", "a", "--y", "b", "-o", "OUT.svg"}, 1, []string{"cannot read results"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := ""
			args := []string{"plot"}
			for _, a := range tc.args {
				if strings.HasPrefix(a, "OUT") {
					out = filepath.Join(dir, tc.name+filepath.Ext(a))
					a = out
				}
				args = append(args, a)
			}
			_, errs, code := run(args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d: %s", code, tc.code, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q lacks %q", errs, w)
				}
			}
			if out != "" {
				if _, err := os.Stat(out); !os.IsNotExist(err) {
					t.Errorf("a failed plot left %s behind", out)
				}
			}
			// Nor a temporary file.
			if m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp*")); len(m) > 0 {
				t.Errorf("temporary files left: %v", m)
			}
		})
	}
}

// TestPlotSweepLabels: a sweep's columns plot under human names with
// units, not field paths: "TP", "Electricity price (USD/kWh)", "Energy
// cost per million tokens (USD)".
func TestPlotSweepLabels(t *testing.T) {
	out := filepath.Join(t.TempDir(), "chart.svg")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--x", "workloads[0]_inference_tp", "--y", "tokens_per_s_per_accel", "--series", "topology"},
			[]string{">TP<", ">Tokens/s per accelerator (thousands)<"}},
		{[]string{"--x", "power_price_per_kwh", "--y", "energy_cost_per_mtok_usd", "--points"},
			[]string{">Electricity price (USD/kWh)<", ">Energy cost per million tokens (USD)<"}},
	} {
		_, errs, code := run(append(append([]string{"plot", "testdata/plot/sweep.csv"}, tc.args...), "-o", out)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		svg, _ := os.ReadFile(out)
		for _, want := range tc.want {
			if !bytes.Contains(svg, []byte(want)) {
				t.Errorf("%v: SVG lacks %q", tc.args, want)
			}
		}
		for _, gone := range []string{"workloads[0]", "inference tp", "kwh", "milli-USD", "mtok"} {
			if bytes.Contains(svg, []byte(gone)) {
				t.Errorf("%v: SVG has %q", tc.args, gone)
			}
		}
	}
}

// TestPlotCDF: --cdf draws a column's distribution per series from a
// serve run's request records; --y beside it is refused.
func TestPlotCDF(t *testing.T) {
	dir := t.TempDir()
	reqs, img := filepath.Join(dir, "r.csv"), filepath.Join(dir, "cdf.svg")
	if _, errs, code := run("serve", "--topo", "hgx-h100", "--model", "llama-3.1-8b", "--tp", "8", "--rate", "5,20", "--requests", "60", "--requests-out", reqs, "-f", "csv"); code != 0 {
		t.Fatal(errs)
	}
	if _, errs, code := run("plot", reqs, "--x", "ttft_s", "--cdf", "--series", "offered_requests_per_s", "-o", img); code != 0 {
		t.Fatal(errs)
	}
	data, _ := os.ReadFile(img)
	if !strings.Contains(string(data), "Share of records (%)") || !strings.Contains(string(data), "TTFT") {
		t.Error("the CDF's axes are not labelled")
	}
	if _, errs, code := run("plot", reqs, "--x", "ttft_s", "--y", "tpot_s", "--cdf", "-o", img); code != 2 || !strings.Contains(errs, "drop --y") {
		t.Errorf("--cdf with --y: exit %d, %s", code, errs)
	}
}

// TestPlotTextX: names on the X axis (topologies) draw a bar per system
// at each size, side by side, not a line through the systems; --points
// draws them as points by category, --bars numbers as categories.
func TestPlotTextX(t *testing.T) {
	out := filepath.Join(t.TempDir(), "chart.svg")
	_, errs, code := run("plot", "testdata/plot/results.csv", "--x", "topology", "--y", "busbw_bytes_per_s", "--series", "size_bytes", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	svg, _ := os.ReadFile(out)
	for _, want := range []string{">cm384<", ">gb200-nvl72<", ">1 MiB<", ">16 MiB<", ">Topology<", ">busbw (GB/s)<",
		"<title>1 MiB&#xA;Topology: cm384&#xA;busbw (GB/s): 34.9</title>"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if n := bytes.Count(svg, []byte("<rect ")); n != 6 {
		t.Errorf("%d bars, want 6 (2 systems x 3 sizes)", n)
	}
	_, errs, code = run("plot", "testdata/plot/results.csv", "--x", "topology", "--y", "busbw_bytes_per_s", "--points", "-o", out)
	if code != 0 {
		t.Fatalf("--points: exit %d: %s", code, errs)
	}
	if svg, _ = os.ReadFile(out); bytes.Contains(svg, []byte("<rect ")) || !bytes.Contains(svg, []byte(">gb200-nvl72<")) {
		t.Error("--points with names on X: want points by category")
	}
	_, errs, code = run("plot", "testdata/plot/results.csv", "--x", "size_bytes", "--y", "busbw_bytes_per_s", "--series", "topology", "--bars", "-o", out)
	if code != 0 {
		t.Fatalf("--bars: exit %d: %s", code, errs)
	}
	if svg, _ = os.ReadFile(out); bytes.Count(svg, []byte("<rect ")) != 6 || !bytes.Contains(svg, []byte(">256 MiB<")) {
		t.Error("--bars: want a bar per topology at each size")
	}
}
