package present

import (
	"bytes"
	"fmt"
	"html/template"
	"path/filepath"
	"strings"

	"github.com/cardsea/cardsea/chart"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/scenario"
)

type reportPage struct {
	Name, Description, File, Version string
	Points, Records                  int
	Charts                           []reportChart
	Headers                          []string
	Rows                             [][]reportCell
}

type reportChart struct {
	Title string
	SVG   template.HTML
}

type reportCell struct {
	Text    string
	Numeric bool
}

// HTMLReport renders a scenario's records as one self-contained HTML
// page: its name and description, charts (inline SVG) and a table of every
// record in human units; version names the cardsea that made it. The same
// records give the same bytes.
func HTMLReport(s *scenario.Scenario, sheet *report.Sheet, version string) ([]byte, error) {
	name := s.File.Name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(s.Path), filepath.Ext(s.Path))
	}
	page := reportPage{
		Name: name, Description: s.File.Description, File: filepath.Base(s.Path),
		Version: version, Points: len(s.Points), Records: len(sheet.Rows),
	}
	charts, err := reportCharts(s, chart.FromSheet(sheet))
	if err != nil {
		return nil, err
	}
	page.Charts = charts
	var show []int
	heads := report.Heads(sheet.Columns)
	for i, c := range sheet.Columns {
		if c.Key == "scenario" || (len(s.Points) == 1 && (c.Key == "point" || c.Key == "points")) {
			continue
		}
		empty := true
		for _, r := range sheet.Rows {
			empty = empty && r[i] == nil
		}
		if empty && len(sheet.Rows) > 0 {
			continue
		}
		show = append(show, i)
		page.Headers = append(page.Headers, ParamHeader(heads[i])) // swept fields by name
	}
	for _, r := range sheet.Rows {
		var cells []reportCell
		for _, i := range show {
			_, str := r[i].(string)
			cells = append(cells, reportCell{Text: sheet.Columns[i].Human(r[i]), Numeric: r[i] != nil && !str})
		}
		page.Rows = append(page.Rows, cells)
	}
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, page); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return buf.Bytes(), nil
}

// reportCharts draws, per collective workload, busbw and energy per
// operation against size (a line per topology) and, per swept field,
// busbw against the field.
func reportCharts(s *scenario.Scenario, d *chart.Data) ([]reportChart, error) {
	col := map[string]int{}
	for i, c := range d.Columns {
		col[c] = i
	}
	var params []string
	prefix := map[string]string{}
	for _, p := range s.Params {
		k := strings.ReplaceAll(p, ".", "_")
		params = append(params, k)
		// A swept field by its name, on the axis and in the legend
		// ("TP 8", not "workloads[0].inference.tp=8").
		name := ParamHeader(p)
		short, _, _ := strings.Cut(name, " (")
		prefix[k] = short + " "
		if h, ok := d.Hints[k]; ok {
			h.Header = name
			d.Hints[k] = h
		}
	}
	var out []reportChart
	add := func(sub *chart.Data, spec chart.Spec) error {
		spec.SeriesPrefix = prefix
		img, err := chart.Render(sub, spec, chart.SVG)
		if err != nil && spec.LogY {
			// A zero (no energy in some mode) cannot go on a log axis.
			spec.LogY = false
			img, err = chart.Render(sub, spec, chart.SVG)
		}
		if err != nil {
			return fmt.Errorf("chart %q: %w", spec.Title, err)
		}
		out = append(out, reportChart{Title: spec.Title, SVG: template.HTML(reportInlineSVG(img))})
		return nil
	}
	for _, w := range reportDistinct(d, d.Rows, "workload") {
		sub := &chart.Data{Source: w, Columns: d.Columns, Hints: d.Hints}
		for _, r := range d.Rows {
			if reportText(r[col["workload"]]) == w {
				sub.Rows = append(sub.Rows, r)
			}
		}
		if len(reportDistinct(d, sub.Rows, "size_bytes")) < 2 {
			continue
		}
		// A line per topology; where a sweep repeats a topology and size,
		// the swept fields that tell the repeats apart name the lines too.
		series := []string{"topology"}
		for _, p := range params {
			if reportUnique(d, sub.Rows, append([]string{"size_bytes"}, series...)...) {
				break
			}
			if !reportDetermined(d, sub.Rows, p, append([]string{"size_bytes"}, series...)...) {
				series = append(series, p)
			}
		}
		if err := add(sub, chart.Spec{Title: w + ": bus bandwidth vs message size",
			X: "size_bytes", Y: "busbw_bytes_per_s", Series: series, LogX: true}); err != nil {
			return nil, err
		}
		if err := add(sub, chart.Spec{Title: w + ": IT energy per operation vs message size",
			X: "size_bytes", Y: "energy_j", Series: series, LogX: true, LogY: true}); err != nil {
			return nil, err
		}
	}
	// Records with a value in a column (collective records have busbw,
	// inference records tokens/s).
	having := func(column string) *chart.Data {
		sub := &chart.Data{Source: d.Source, Columns: d.Columns, Hints: d.Hints}
		i, ok := col[column]
		if !ok {
			return sub
		}
		for _, r := range d.Rows {
			if v := r[i]; v != nil && reportText(v) != "" {
				sub.Rows = append(sub.Rows, r)
			}
		}
		return sub
	}
	for _, y := range []struct{ column, title string }{
		{"busbw_bytes_per_s", "Bus bandwidth"},
		{"tokens_per_s_per_accel", "Tokens/s per accelerator"},
		{"energy_cost_per_mtok_usd", "Energy cost per million tokens"},
	} {
		sub := having(y.column)
		if len(sub.Rows) == 0 {
			continue
		}
		for i, p := range params {
			others := append([]string{"workload", "topology", "size_bytes"}, params[:i]...)
			others = append(others, params[i+1:]...)
			// Lines for what varies besides the swept field, skipping what
			// the field decides (the topology when the field is the preset).
			var series []string
			for _, c := range others {
				if !reportDetermined(d, sub.Rows, c, append([]string{p}, series...)...) {
					series = append(series, c)
				}
			}
			if err := add(sub, chart.Spec{Title: y.title + " vs " + ParamHeader(s.Params[i]),
				X: p, Y: y.column, Series: series, CategoricalX: true}); err != nil {
				return nil, err
			}
		}
	}
	// Throughput against interactivity, where decode records vary.
	if inf := having("tokens_per_s_per_user"); len(inf.Rows) >= 2 {
		if err := add(inf, chart.Spec{Title: "Tokens/s per accelerator vs tokens/s per user",
			X: "tokens_per_s_per_user", Y: "tokens_per_s_per_accel", Series: []string{"topology"}}); err != nil {
			return nil, err
		}
	}
	// Served runs: throughput and tail latency against the load (offered
	// rate, or a closed loop's users), and each run's latency
	// percentiles as a coarse distribution.
	for _, load := range []struct{ column, name string }{{"offered_requests_per_s", "offered load"}, {"concurrency", "concurrency"}} {
		sub := having(load.column)
		if len(reportDistinct(d, sub.Rows, load.column)) < 2 {
			continue
		}
		var series []string
		for _, c := range append([]string{"workload", "topology"}, params...) {
			if !reportDetermined(d, sub.Rows, c, append([]string{load.column}, series...)...) {
				series = append(series, c)
			}
		}
		for _, y := range []struct{ column, title string }{
			{"output_tokens_per_s", "Output tokens/s"},
			{"ttft_p99_s", "TTFT p99"},
			{"tpot_p99_s", "TPOT p99"},
			{"goodput_requests_per_s", "Goodput (requests/s within the SLOs)"},
		} {
			if err := add(sub, chart.Spec{Title: y.title + " vs " + load.name, X: load.column, Y: y.column, Series: series}); err != nil {
				return nil, err
			}
		}
	}
	if cdf := servedPercentiles(d, having("ttft_p50_s")); cdf != nil {
		if err := add(cdf, chart.Spec{Title: "TTFT by percentile, each served run", X: "ttft_s", Y: "percentile", Series: []string{"run"}, LogX: true}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// servedPercentiles lays each served run's TTFT percentiles (p50, p90,
// p99) out as points of its distribution: a row per (run, percentile),
// the run named by its topology, workload and load. Nil without served
// runs.
func servedPercentiles(d *chart.Data, sub *chart.Data) *chart.Data {
	if len(sub.Rows) == 0 {
		return nil
	}
	out := &chart.Data{Source: d.Source, Columns: []string{"ttft_s", "percentile", "run"},
		Hints: map[string]report.Column{"percentile": {Key: "percentile", Header: "Share of requests (%)", Scale: 0.01}, "ttft_s": d.Hints["ttft_p50_s"]}}
	h := out.Hints["ttft_s"]
	h.Header = "TTFT"
	out.Hints["ttft_s"] = h
	for _, r := range sub.Rows {
		name := reportText(r[reportIndex(d, "topology")])
		if w := reportText(r[reportIndex(d, "workload")]); w != "" {
			name += " " + w
		}
		if i := reportIndex(d, "offered_requests_per_s"); i >= 0 && r[i] != nil {
			name += fmt.Sprintf(" at %s req/s", reportText(r[i]))
		}
		if i := reportIndex(d, "concurrency"); i >= 0 && r[i] != nil {
			name += fmt.Sprintf(" with %s users", reportText(r[i]))
		}
		for _, p := range []struct {
			col string
			at  float64
		}{{"ttft_p50_s", 0.5}, {"ttft_p90_s", 0.9}, {"ttft_p99_s", 0.99}} {
			i := reportIndex(d, p.col)
			if i < 0 || r[i] == nil {
				continue
			}
			out.Rows = append(out.Rows, []any{r[i], p.at, name})
		}
	}
	return out
}

// reportDistinct lists a column's values in order of first appearance.
func reportDistinct(d *chart.Data, rows [][]any, column string) []string {
	i := reportIndex(d, column)
	if i < 0 {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		if v := reportText(r[i]); !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// reportUnique reports whether no two rows share their values of columns.
func reportUnique(d *chart.Data, rows [][]any, columns ...string) bool {
	seen := map[string]bool{}
	for _, r := range rows {
		var key []string
		for _, c := range columns {
			if i := reportIndex(d, c); i >= 0 {
				key = append(key, reportText(r[i]))
			}
		}
		k := strings.Join(key, "\x00")
		if seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

// reportDetermined reports whether the values of columns by decide the
// value of column target in every row (a constant column is decided by
// anything).
func reportDetermined(d *chart.Data, rows [][]any, target string, by ...string) bool {
	ti := reportIndex(d, target)
	if ti < 0 {
		return true
	}
	seen := map[string]string{}
	for _, r := range rows {
		var key []string
		for _, c := range by {
			if i := reportIndex(d, c); i >= 0 {
				key = append(key, reportText(r[i]))
			}
		}
		k, v := strings.Join(key, "\x00"), reportText(r[ti])
		if prev, ok := seen[k]; ok && prev != v {
			return false
		}
		seen[k] = v
	}
	return true
}

func reportIndex(d *chart.Data, column string) int {
	for i, c := range d.Columns {
		if c == column {
			return i
		}
	}
	return -1
}

func reportText(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// reportInlineSVG drops the XML prologue so the SVG can sit inside HTML.
func reportInlineSVG(svg []byte) string {
	s := string(svg)
	if strings.HasPrefix(s, "<?xml") {
		if i := strings.Index(s, "?>"); i >= 0 {
			s = strings.TrimLeft(s[i+2:], "\n")
		}
	}
	return s
}

var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="cardsea {{.Version}}">
<title>{{.Name}} · cardsea report</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; color: #1a1a1a; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.desc { font-size: 1.05rem; margin: 0 0 .4rem; }
.meta, .note { color: #555; font-size: .9rem; margin: .2rem 0; }
code { background: #f3f3f3; padding: 0 .25em; border-radius: 3px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(600px, 1fr)); gap: 1rem; }
figure { margin: 0; border: 1px solid #e3e3e3; border-radius: 4px; padding: .5rem; background: #fff; }
figure svg { display: block; width: 100%; max-width: 820px; height: auto; margin: 0 auto; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: .85rem; white-space: nowrap; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; }
th { background: #f5f5f5; text-align: left; vertical-align: bottom; position: sticky; top: 0; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafafa; }
</style>
</head>
<body>
<header>
<h1>{{.Name}}</h1>
{{if .Description}}<p class="desc">{{.Description}}</p>
{{end}}<p class="meta">Scenario <code>{{.File}}</code>: {{.Points}} point(s), {{.Records}} record(s). Simulated by cardsea {{.Version}}.</p>
<p class="note">Bandwidths are per direction; energy is IT energy per operation; sizes are per rank.</p>
</header>
{{if .Charts}}<section id="charts">
<h2>Charts</h2>
<div class="charts">
{{range .Charts}}<figure aria-label="{{.Title}}">
{{.SVG}}</figure>
{{end}}</div>
</section>
{{end}}<section id="records">
<h2>Records</h2>
<div class="scroll">
<table>
<thead>
<tr>{{range .Headers}}<th>{{.}}</th>{{end}}</tr>
</thead>
<tbody>
{{range .Rows}}<tr>{{range .}}<td{{if .Numeric}} class="n"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
</div>
</section>
</body>
</html>
`))
