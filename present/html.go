package present

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/cardsea/cardsea/chart"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/scenario"
	"github.com/cardsea/cardsea/serve"
	"github.com/cardsea/cardsea/study"
)

type reportPage struct {
	Name, Description, File, Version string
	Points, Records                  int
	Notes                            []string
	Charts                           []reportChart
	Headers                          []string
	Rows                             [][]reportCell
	// CSV is every field of every record, as a data: URI, and CSVName
	// the file name a browser saves it under.
	CSV     template.URL
	CSVName string
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
// page: its name and description, charts (inline SVG, values on hover),
// a table of the records in human units (the scenario's report.columns
// where it names them) and a link to every field of every record as
// CSV, embedded in the page; version names the cardsea that made it.
// recs, if given, are the rows' typed records (record i behind row i):
// served runs that kept their requests (study.Options.KeepRequests) are
// charted as per-request latency distributions, otherwise by their
// percentiles. The same records give the same bytes.
func HTMLReport(s *scenario.Scenario, sheet *report.Sheet, recs []study.Record, version string) ([]byte, error) {
	name := s.File.Name
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(s.Path), filepath.Ext(s.Path))
	}
	page := reportPage{
		Name: name, Description: s.File.Description, File: filepath.Base(s.Path),
		Version: version, Points: len(s.Points), Records: len(sheet.Rows),
		Notes: reportNotes(sheet), CSVName: name + ".csv",
	}
	var csv bytes.Buffer
	if err := sheet.Write(&csv, report.FormatCSV); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	page.CSV = template.URL("data:text/csv;charset=utf-8;base64," + base64.StdEncoding.EncodeToString(csv.Bytes()))
	charts, err := reportCharts(s, chart.FromSheet(sheet), recs)
	if err != nil {
		return nil, err
	}
	page.Charts = charts
	table := s.Select(reportCopy(sheet))
	ranks := reportRanks(s, table)
	ScenarioTable(table, s.Params, len(s.Points))
	var show []int
	heads := report.Heads(table.Columns)
	for i, c := range table.Columns {
		// The page's header gives the scenario and its points once.
		if c.Key == "scenario" || c.Key == "points" || (len(s.Points) == 1 && c.Key == "point") {
			continue
		}
		empty := true
		for _, r := range table.Rows {
			empty = empty && r[i] == nil
		}
		if empty && len(table.Rows) > 0 {
			continue
		}
		show = append(show, i)
		h := ParamHeader(heads[i]) // swept fields by name
		if c.Key == "ranks" && ranks.header != "" {
			h = ranks.header
		}
		page.Headers = append(page.Headers, h)
	}
	for r, row := range table.Rows {
		var cells []reportCell
		for _, i := range show {
			_, str := row[i].(string)
			text := table.Columns[i].Human(row[i])
			if table.Columns[i].Key == "ranks" && ranks.header == "" && row[i] != nil && ranks.unit[r] != "" {
				text += " " + ranks.unit[r]
			}
			cells = append(cells, reportCell{Text: text, Numeric: row[i] != nil && !str})
		}
		page.Rows = append(page.Rows, cells)
	}
	var buf bytes.Buffer
	if err := reportTemplate.Execute(&buf, page); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	return buf.Bytes(), nil
}

// reportCopy is a copy of sheet whose rows can change without changing
// sheet's.
func reportCopy(sheet *report.Sheet) *report.Sheet {
	out := *sheet
	out.Rows = make([][]any, len(sheet.Rows))
	for i, r := range sheet.Rows {
		out.Rows[i] = append([]any(nil), r...)
	}
	return &out
}

// reportRankUnits say what a collective's ranks count: the header when
// every collective record's ranks count the same thing ("Ranks (dies)"),
// else each row's unit.
type reportRankUnits struct {
	header string
	unit   []string
}

// reportRanks reads what each collective record's ranks are from its
// workload: accelerator packages with per_accel (a CM384 910C's two dies
// are one rank), servers with per_server, else dies.
func reportRanks(s *scenario.Scenario, sheet *report.Sheet) reportRankUnits {
	at := map[string]int{}
	for i, c := range sheet.Columns {
		at[c.Key] = i
	}
	ri, ok := at["ranks"]
	if !ok {
		return reportRankUnits{}
	}
	points := map[int]*scenario.Point{}
	for i := range s.Points {
		points[s.Points[i].Index] = &s.Points[i]
	}
	out := reportRankUnits{unit: make([]string, len(sheet.Rows))}
	seen := map[string]bool{}
	var units []string
	cell := func(row []any, key string) any {
		if i, ok := at[key]; ok {
			return row[i]
		}
		return nil
	}
	for r, row := range sheet.Rows {
		if row[ri] == nil {
			continue
		}
		p, _ := cell(row, "point").(int)
		pt := points[p]
		if pt == nil {
			continue
		}
		unit := "dies"
		w, _ := cell(row, "workload").(string)
		for _, wl := range pt.File.Workloads {
			c := wl.Collective
			if c == nil || (wl.Name != w && (wl.Name != "" || "collective "+c.Op != w)) {
				continue
			}
			switch {
			case c.PerAccel:
				unit = "accelerator packages"
			case c.PerServer:
				unit = "servers"
			}
			break
		}
		out.unit[r] = unit
		if !seen[unit] {
			seen[unit] = true
			units = append(units, unit)
		}
	}
	if len(units) == 1 {
		out.header = "Ranks (" + units[0] + ")"
	}
	return out
}

// reportNotes say how to read the figures the records hold.
func reportNotes(sheet *report.Sheet) []string {
	has := func(key string) bool {
		for i, c := range sheet.Columns {
			if c.Key != key {
				continue
			}
			for _, r := range sheet.Rows {
				if r[i] != nil {
					return true
				}
			}
		}
		return false
	}
	var notes []string
	if has("busbw_bytes_per_s") {
		notes = append(notes, "Collectives: bandwidths are per direction; energy is IT energy per operation; sizes are per rank.")
	}
	if has("tokens_per_s_per_mw") || has("tokens_per_s_per_kw") {
		notes = append(notes, "Power: per-kW and per-J figures use average IT power in each record's power mode; tokens/s per MW is per MW of provisioned facility power (every component at its rating, PUE included: InferenceX's all-in basis), and per average MW beside it.")
	}
	return notes
}

// reportCharts draws what varies against what was swept. Collectives
// at several sizes: busbw and energy per operation against the size, a
// line per topology. Then each headline metric the records carry
// (tokens/s per accelerator, per kW and per MW, cost per million tokens,
// busbw) against each sweep axis: a product key alone, or the zipped
// keys together. An axis of names, or one that changes the system (a
// zipped topology), is a comparison: bars per system, never a line
// through cm384, nvl72 and h20; a numeric axis is lines. A chart whose
// metric does not move along its axis is left out. Then throughput
// against interactivity, where a line has two or more points of it (a
// batch sweep's curve), and served runs against their load.
func reportCharts(s *scenario.Scenario, d *chart.Data, recs []study.Record) ([]reportChart, error) {
	col := map[string]int{}
	for i, c := range d.Columns {
		col[c] = i
	}
	prefix := map[string]string{}
	for _, p := range s.Params {
		k := strings.ReplaceAll(p, ".", "_")
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
		spec.SeriesPrefix = map[string]string{}
		for k, v := range prefix {
			spec.SeriesPrefix[k] = v
		}
		for _, c := range spec.Series {
			// A number names its line by its field ("Offered load 8").
			if h := sub.Hints[c].Header; spec.SeriesPrefix[c] == "" && h != "" && !slices.Contains([]string{"topology", "workload", "size_bytes", "run"}, c) {
				short, _, _ := strings.Cut(h, " (")
				spec.SeriesPrefix[c] = short + " "
			}
		}
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
	params := reportColumns(s.Params)
	bySize := map[string]bool{} // collective workloads charted against size
	for _, w := range reportDistinct(d, d.Rows, "workload") {
		sub := &chart.Data{Source: w, Columns: d.Columns, Hints: d.Hints}
		for _, r := range d.Rows {
			if reportText(r[col["workload"]]) == w && r[col["size_bytes"]] != nil {
				sub.Rows = append(sub.Rows, r)
			}
		}
		if len(reportDistinct(d, sub.Rows, "size_bytes")) < 2 {
			continue
		}
		bySize[w] = true
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
	axes := reportAxes(s, d)
	// Numeric axes first: where one charts a metric, a line per system,
	// the bars by system would repeat it.
	sort.SliceStable(axes, func(i, j int) bool { return !axes[i].names && axes[j].names })
	for _, y := range reportMetrics {
		sub := having(y)
		if y == "energy_cost_usd" {
			// Per operation for a collective; per step, a breakdown, for
			// the rest (their figure is the cost per million tokens).
			sub = reportWhere(d, sub, "op")
		}
		if len(sub.Rows) == 0 {
			continue
		}
		title := reportTitle(d, y)
		lines := false
		for _, a := range axes {
			sub := sub
			if a.cols == nil {
				// Without a sweep, the collectives charted against their
				// size have their comparison already.
				kept := &chart.Data{Source: sub.Source, Columns: sub.Columns, Hints: sub.Hints}
				for _, r := range sub.Rows {
					if !bySize[reportText(r[col["workload"]])] {
						kept.Rows = append(kept.Rows, r)
					}
				}
				sub = kept
			}
			if len(sub.Rows) == 0 || a.x == "topology" && len(reportDistinct(d, sub.Rows, "topology")) < 2 {
				continue
			}
			if a.x == "topology" && lines {
				continue // the systems are the lines of the numeric axes' charts
			}
			// Bars or lines for what varies besides the axis, skipping
			// what the axis decides (the accelerators a zipped preset sets).
			var series []string
			for _, c := range append([]string{"workload", "topology", "size_bytes", "offered_requests_per_s", "concurrency"}, reportOthers(axes, a)...) {
				if c != a.x && !reportDetermined(d, sub.Rows, c, append(append([]string{}, a.cols...), series...)...) {
					series = append(series, c)
				}
			}
			if reportDetermined(d, sub.Rows, y, series...) {
				continue // the metric does not move along the axis
			}
			// A series column that does not move the metric (the price
			// beside a system's tokens/s) only repeats each bar: leave it
			// out, and its repeats with it.
			for k := len(series) - 1; k >= 0; k-- {
				rest := append(append(append([]string{}, a.cols...), series[:k]...), series[k+1:]...)
				if reportDetermined(d, sub.Rows, y, rest...) {
					series = append(series[:k:k], series[k+1:]...)
				}
			}
			if key := append(append([]string{}, a.cols...), series...); reportDetermined(d, sub.Rows, y, key...) {
				sub = reportFirst(d, sub, key)
			}
			spec := chart.Spec{X: a.x, Y: y, Series: series}
			if a.names {
				spec.Title, spec.Bars, spec.CategoricalX = title+" by "+a.name, true, true
			} else {
				spec.Title = title + " vs " + a.name
				lines = lines || slices.Contains(series, "topology")
			}
			if err := add(sub, spec); err != nil {
				return nil, err
			}
		}
	}
	// Throughput against interactivity where a line has a curve of it (a
	// batch sweep), not one point per system.
	if inf := having("tokens_per_s_per_user"); len(inf.Rows) >= 2 {
		var series []string
		for _, c := range []string{"workload", "topology"} {
			if !reportDetermined(d, inf.Rows, c) {
				series = append(series, c)
			}
		}
		if !reportDetermined(d, inf.Rows, "tokens_per_s_per_user", series...) {
			if err := add(inf, chart.Spec{Title: "Tokens/s per accelerator vs tokens/s per user",
				X: "tokens_per_s_per_user", Y: "tokens_per_s_per_accel", Series: series}); err != nil {
				return nil, err
			}
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
	if dists := servedRequests(d, recs); dists != nil {
		for _, m := range servedMeasures {
			if err := add(dists[m.column], chart.Spec{Title: m.title + ", per request, each served run (CDF)", X: m.column, Y: chart.ShareColumn, Series: []string{"run"}, LogX: true}); err != nil {
				return nil, err
			}
		}
	} else if cdf := servedPercentiles(d, having("ttft_p50_s")); cdf != nil {
		if err := add(cdf, chart.Spec{Title: "TTFT by percentile, each served run", X: "ttft_s", Y: "percentile", Series: []string{"run"}, LogX: true}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// reportFirst keeps the first of sub's rows with each value of columns.
func reportFirst(d, sub *chart.Data, columns []string) *chart.Data {
	out := &chart.Data{Source: sub.Source, Columns: sub.Columns, Hints: sub.Hints}
	seen := map[string]bool{}
	for _, r := range sub.Rows {
		var key []string
		for _, c := range columns {
			if i := reportIndex(d, c); i >= 0 {
				key = append(key, reportText(r[i]))
			}
		}
		if k := strings.Join(key, "\x00"); !seen[k] {
			seen[k] = true
			out.Rows = append(out.Rows, r)
		}
	}
	return out
}

// reportWhere keeps sub's rows with a value in column.
func reportWhere(d, sub *chart.Data, column string) *chart.Data {
	i := reportIndex(d, column)
	out := &chart.Data{Source: sub.Source, Columns: sub.Columns, Hints: sub.Hints}
	for _, r := range sub.Rows {
		if i >= 0 && r[i] != nil {
			out.Rows = append(out.Rows, r)
		}
	}
	return out
}

// reportMetrics are the headline figures the report charts against each
// sweep axis, where records carry them: a collective's bus bandwidth and
// energy cost, the tokens/s per accelerator, per kW and per MW of
// inference, training and served runs, and their cost per million tokens.
var reportMetrics = []string{
	"busbw_bytes_per_s", "busbw_per_kw", "energy_cost_usd",
	"tokens_per_s_per_accel", "output_tokens_per_s_per_accel", "tokens_per_s_per_kw", "tokens_per_s_per_mw",
	"energy_cost_per_mtok_usd", "total_cost_per_mtok_usd",
}

// reportTitle names a metric in a chart's title: its header without the
// unit ("Tokens/s per IT kW").
func reportTitle(d *chart.Data, column string) string {
	h := d.Hints[column].Header
	if h == "" {
		return column
	}
	if i := strings.LastIndex(h, " ("); i > 0 && strings.HasSuffix(h, ")") {
		h = h[:i]
	}
	return h
}

// reportAxis is one axis of a sweep: a product key alone or the zipped
// keys together (cols, as chart columns), charted against column x under
// name; names says it is a comparison (bars), not a numeric scale.
type reportAxis struct {
	cols  []string
	x     string
	name  string
	names bool
}

// reportAxes are the scenario's sweep axes: each product key, the zip
// keys as one, in column order; an axis that changes the topology is
// charted against the topology's name. Without a sweep, a scenario of
// several topologies compares them.
func reportAxes(s *scenario.Scenario, d *chart.Data) []reportAxis {
	var axes []reportAxis
	var zip []string
	for _, p := range s.Params {
		if s.File.Sweep != nil && s.File.Sweep.Zip[p] != nil {
			zip = append(zip, p)
			continue
		}
		axes = append(axes, reportAxisOf(d, []string{p}))
	}
	if len(zip) > 0 {
		axes = append(axes, reportAxisOf(d, zip))
	}
	if len(axes) == 0 {
		axes = append(axes, reportAxis{x: "topology", name: "system", names: true})
	}
	return axes
}

// reportAxisOf is the axis of swept fields paths: against the topology
// when one of them picks it (a preset, file or label: a comparison of
// systems), else against the first numeric field as lines (the domains
// of a zip with a rank list), else against the first as names.
func reportAxisOf(d *chart.Data, paths []string) reportAxis {
	cols := reportColumns(paths)
	for _, p := range paths {
		if strings.HasPrefix(p, "topologies[") && (strings.HasSuffix(p, ".preset") || strings.HasSuffix(p, ".file") || strings.HasSuffix(p, ".label")) {
			return reportAxis{cols: append(cols, "topology"), x: "topology", name: "system", names: true}
		}
	}
	for i, c := range cols {
		if !d.Text(c) {
			return reportAxis{cols: cols, x: c, name: ParamHeader(paths[i])}
		}
	}
	return reportAxis{cols: cols, x: cols[0], name: ParamHeader(paths[0]), names: true}
}

// reportOthers are the columns naming the other axes' values.
func reportOthers(axes []reportAxis, a reportAxis) []string {
	var out []string
	for _, b := range axes {
		if b.x != a.x {
			out = append(out, b.x)
		}
	}
	return out
}

// reportColumns are swept field paths as chart columns.
func reportColumns(paths []string) []string {
	var out []string
	for _, p := range paths {
		out = append(out, strings.ReplaceAll(p, ".", "_"))
	}
	return out
}

// servedMeasures are the per-request latencies the report charts as
// distributions, with the percentile field whose units they share.
var servedMeasures = []struct {
	column, title, like string
	of                  func(serve.RequestRecord) (float64, bool)
}{
	{"ttft_s", "TTFT", "ttft_p50_s", func(r serve.RequestRecord) (float64, bool) { return r.TTFTS, true }},
	{"tpot_s", "TPOT", "tpot_p50_s", func(r serve.RequestRecord) (float64, bool) { return r.TPOTS, r.OutputTokens > 1 }},
	{"e2e_s", "End-to-end latency", "e2e_p50_s", func(r serve.RequestRecord) (float64, bool) { return r.E2ES, true }},
}

// cdfPoints is the most points a run's distribution is drawn with:
// past it the curve is sampled at evenly spaced shares (every
// ceil(n/cdfPoints)-th request in order, and the last), which a chart
// cannot tell from the full curve and keeps the page small.
const cdfPoints = 200

// servedRequests lays each served run's measured requests (past the
// warm-up) out as empirical distributions of TTFT, TPOT and end-to-end
// latency, by servedMeasures' column: a row per plotted request, its
// value, the share of the run's requests at or below it, and the run's
// name (servedName). Nil unless some record kept its requests. Cost:
// O(n log n) for n requests.
func servedRequests(d *chart.Data, recs []study.Record) map[string]*chart.Data {
	out := map[string]*chart.Data{}
	for _, m := range servedMeasures {
		h := d.Hints[m.like]
		h.Key, h.Header = m.column, m.title
		out[m.column] = &chart.Data{Source: d.Source, Columns: []string{m.column, chart.ShareColumn, "run"},
			Hints: map[string]report.Column{m.column: h, chart.ShareColumn: {Key: chart.ShareColumn, Header: "Share of requests (%)", Scale: 0.01}}}
	}
	charted := false
	for i, rec := range recs {
		sr, ok := rec.(*study.ServeRecord)
		if !ok || i >= len(d.Rows) || len(sr.Result.PerRequest) == 0 {
			continue
		}
		name := servedName(d, d.Rows[i])
		for _, m := range servedMeasures {
			var vs []float64
			for _, r := range sr.Result.PerRequest {
				if v, ok := m.of(r); ok && r.Measured {
					vs = append(vs, v)
				}
			}
			if len(vs) == 0 {
				continue
			}
			slices.Sort(vs)
			step := (len(vs) + cdfPoints - 1) / cdfPoints
			for k := step - 1; ; k += step {
				k = min(k, len(vs)-1)
				out[m.column].Rows = append(out[m.column].Rows, []any{vs[k], float64(k+1) / float64(len(vs)), name})
				charted = true
				if k == len(vs)-1 {
					break
				}
			}
		}
	}
	if !charted {
		return nil
	}
	return out
}

// servedName names a served run by its topology, workload and load.
func servedName(d *chart.Data, r []any) string {
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
	return name
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
		name := servedName(d, r)
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
{{end}}<p class="meta">Scenario <code>{{.File}}</code>: {{.Points}} point(s), {{.Records}} record(s). Simulated by cardsea {{.Version}}. <a href="{{.CSV}}" download="{{.CSVName}}">Every field of every record (CSV)</a>.</p>
{{range .Notes}}<p class="note">{{.}}</p>
{{end}}<p class="note">Hover over a point or a bar for its values.</p>
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
