package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runReportFile runs 'cardsea report' on a test scenario into a file and
// returns the file's path and contents.
func runReportFile(t *testing.T, scenario string) (string, []byte) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.html")
	_, errs, code := run("report", filepath.Join("testdata", "plot", scenario), "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return out, page
}

func TestReport(t *testing.T) {
	_, page := runReportFile(t, "tiny.yaml")
	html := string(page)
	for _, want := range []string{
		"<!DOCTYPE html>", "<title>tiny · cardsea report</title>", "<h1>tiny</h1>",
		// The description is escaped, not markup.
		"4-rank allreduce on HGX H100 at 1 MiB &amp; 64 MiB &lt;test&gt;",
		"<table>", "<th>busbw</th>", "<th>Size</th>", "<td class=\"n\">64 MiB</td>", "<td>hgx-h100</td>",
		"allreduce: bus bandwidth vs message size", "allreduce: IT energy per operation vs message size",
		">Size (MiB)<", ">busbw (GB/s)<",
		// per_accel ranks are accelerator packages, not dies.
		"<th>Ranks (accelerator packages)</th>",
		// Values on hover, and the records as CSV in the page.
		"<title>hgx-h100&#xA;Size (MiB): 64&#xA;busbw (GB/s): ", `download="tiny.csv"`, `href="data:text/csv;charset=utf-8;base64,`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if n := strings.Count(html, "<svg"); n != 2 {
		t.Errorf("%d charts, want 2 (busbw and energy against size)", n)
	}
	// Self-contained: no scripts, no links to fetch, no XML prologue
	// inside HTML; a single-point scenario hides the point columns.
	for _, bad := range []string{"<script", "<link", "<img", "url(", "@import", "<?xml", "<th>Point</th>", "<th>Scenario</th>"} {
		if strings.Contains(html, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	// Deterministic.
	_, again := runReportFile(t, "tiny.yaml")
	if !bytes.Equal(page, again) {
		t.Error("two runs gave different pages")
	}
	// To stdout without -o.
	stdout, errs, code := run("report", filepath.Join("testdata", "plot", "tiny.yaml"))
	if code != 0 || stdout != html {
		t.Errorf("stdout differs from the file (exit %d: %s)", code, errs)
	}
}

func TestReportSweep(t *testing.T) {
	_, page := runReportFile(t, "tiny-sweep.yaml")
	html := string(page)
	if n := strings.Count(html, "<svg"); n != 3 {
		t.Errorf("%d charts, want 3 (busbw and energy against size, energy cost against the price)", n)
	}
	for _, want := range []string{
		// Swept fields by their names and units, not their paths.
		"Energy cost vs Electricity price (USD/kWh)", ">Electricity price (USD/kWh)<", "<th>Electricity price (USD/kWh)</th>", "<th>Point</th>",
		// Two points repeat each size: the lines name the price.
		"hgx-h100, Electricity price 0.05",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The price does not move the bandwidth: no flat line of it.
	if strings.Contains(html, "Bus bandwidth vs Electricity price") || strings.Contains(html, "busbw vs Electricity price") {
		t.Error("the report charts busbw against the price, which does not change it")
	}
	if strings.Contains(html, "power.price_per_kwh") || strings.Contains(html, "power_price_per_kwh") {
		t.Error("the report names a swept field by its path")
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no file", []string{"report"}, 2, "report needs one scenario file"},
		{"bad extension", []string{"report", "testdata/plot/tiny.yaml", "-o", filepath.Join(dir, "r.pdf")}, 2, `unknown output extension ".pdf"`},
		{"missing scenario", []string{"report", filepath.Join(dir, "none.yaml"), "-o", filepath.Join(dir, "r.html")}, 1, "cannot read scenario"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, code := run(tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errs, tc.code, tc.want)
			}
		})
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*")); len(m) > 0 {
		t.Errorf("failed reports left files: %v", m)
	}
}

// TestReportInChromium loads the page in headless Chromium, with no
// network, and checks the browser built the table and the charts. Set
// CARDSEA_REPORT_SCREENSHOT=FILE.png to keep a screenshot to look at.
func TestReportInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		if _, serr := os.Stat("/usr/bin/chromium"); serr != nil {
			t.Skip("chromium not installed: install the Debian package chromium (apt-get install chromium) to run this test")
		}
		bin = "/usr/bin/chromium"
	}
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	path, _ := runReportFile(t, "tiny.yaml")
	url := "file://" + filepath.ToSlash(path)
	browser := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--user-data-dir=" + t.TempDir(), "--window-size=1280,2000"}
		cmd := exec.CommandContext(ctx, bin, append(append(base, args...), url)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium: %v\n%s", err, stderr.String())
		}
		return stdout.String()
	}
	dom := browser("--dump-dom")
	for _, want := range []string{"<h1>tiny</h1>", "<table>", "<th>busbw</th>", "<td>hgx-h100</td>", "<svg", "busbw (GB/s)</text>"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the DOM Chromium built lacks %q", want)
		}
	}
	if n := strings.Count(dom, "<svg"); n != 2 {
		t.Errorf("the DOM holds %d SVG charts, want 2", n)
	}
	if shot := os.Getenv("CARDSEA_REPORT_SCREENSHOT"); shot != "" {
		abs, err := filepath.Abs(shot)
		if err != nil {
			t.Fatal(err)
		}
		browser("--screenshot=" + abs)
		if st, err := os.Stat(abs); err != nil || st.Size() == 0 {
			t.Errorf("no screenshot at %s: %v", abs, err)
		}
	}
}

// TestReportServe: a scenario of served runs charts throughput and tail
// latency against the offered load and the closed loop's users, and each
// run's per-request TTFT, TPOT and end-to-end distributions (from every
// measured request, not the percentiles); the same scenario gives the
// same page.
func TestReportServe(t *testing.T) {
	_, page := runReportFile(t, "tiny-serve.yaml")
	html := string(page)
	for _, want := range []string{"Output tokens/s vs offered load", "TTFT p99 vs offered load", "TPOT p99 vs concurrency",
		"TTFT, per request, each served run (CDF)", "TPOT, per request, each served run (CDF)",
		"End-to-end latency, per request, each served run (CDF)", "hgx-h100 open at 20 req/s"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(html, "TTFT by percentile") {
		t.Error("report charts percentiles where it has every request")
	}
	if _, again := runReportFile(t, "tiny-serve.yaml"); string(again) != html {
		t.Error("the same served scenario gave two pages")
	}
}

// TestReportCompare: a comparison of zipped systems with a batch sweep
// charts each metric against the batch, a line per system, with tokens/s
// per kW among them and the throughput-interactivity curve; the table
// keeps the scenario's report.columns; the CSV link carries every field.
func TestReportCompare(t *testing.T) {
	_, page := runReportFile(t, "tiny-compare.yaml")
	html := string(page)
	for _, want := range []string{
		"Tokens/s per accelerator vs Batch (sequences per accelerator)", "Tokens/s per IT kW, average power vs Batch", "Tokens/s per facility MW, provisioned, all-in vs Batch",
		"Tokens/s per accelerator vs tokens/s per user", ">hgx-h200<",
		"<th>Topology</th><th>Batch (sequences per accelerator)</th><th>Tokens/s per accelerator</th><th>Tokens/s per user</th><th>Tokens/s per IT kW, average power</th><th>Tokens/s per facility MW, provisioned, all-in (InferenceX basis)</th></tr>",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(html, "<th>Step</th>") || strings.Contains(html, "vs Topology") {
		t.Error("the table ignores report.columns, or a chart draws a line through the systems")
	}
	i := strings.Index(html, "base64,")
	j := strings.Index(html[i:], `"`)
	csv, err := base64.StdEncoding.DecodeString(html[i+len("base64,") : i+j])
	if err != nil {
		t.Fatal(err)
	}
	if hdr, _, _ := strings.Cut(string(csv), "\n"); !strings.Contains(hdr, "step_s,") || strings.Count(string(csv), "\n") != 5 {
		t.Errorf("CSV header %q: want every field and 4 records", hdr)
	}
}

// TestReportBars: systems zipped without a numeric axis are bars by
// system, never a line through them.
func TestReportBars(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "plot", "tiny-compare.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	scen := strings.Replace(string(src), "  product:\n    workloads[0].inference.batch: [8, 64]\n", "", 1)
	path := filepath.Join(dir, "bars.yaml")
	if err := os.WriteFile(path, []byte(scen), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "bars.html")
	if _, errs, code := run("report", path, "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	page, _ := os.ReadFile(out)
	html := string(page)
	for _, want := range []string{"Tokens/s per accelerator by system", "Tokens/s per IT kW, average power by system", "<rect ", "<title>Topology: hgx-h200&#xA;"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(html, "tokens/s per user") {
		t.Error("one point per system charted as a throughput-interactivity curve")
	}
}

// TestReportPriceBars: systems zipped and the price swept: the price
// moves the cost (lines against it, one per system) but not tokens/s,
// whose bars by system are one per system, not one per price.
func TestReportPriceBars(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "plot", "tiny-compare.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	scen := strings.Replace(string(src), "workloads[0].inference.batch: [8, 64]", "power.price_per_kwh: [0.05, 0.10]", 1)
	path := filepath.Join(dir, "price.yaml")
	if err := os.WriteFile(path, []byte(scen), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "price.html")
	if _, errs, code := run("report", path, "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	page, _ := os.ReadFile(out)
	html := string(page)
	for _, want := range []string{"Tokens/s per accelerator by system", "Energy cost per million tokens vs Electricity price (USD/kWh)"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if n := strings.Count(html, "<rect "); n != 6 {
		t.Errorf("%d bars, want 6: a bar per system in each of tokens/s per accelerator, per kW and per MW", n)
	}
	if strings.Contains(html, "Energy cost per million tokens by system") {
		t.Error("bars by system repeat the cost's lines against the price")
	}
}
