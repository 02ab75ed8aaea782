package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/internal/strictyaml"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/scenario"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/units"
	"go.yaml.in/yaml/v4"
)

const compareUsage = `
Usage:
  cardsea compare NAME|FILE.yaml... [--baseline NAME] [--domains N]
                  [--op OP] [--size 1GiB] [--algo auto] [--proto auto]
                  [--per-accel[=false] | --per-server] [--ranks N]
                  [--workload SCENARIO.yaml] [--format table|markdown|json|csv]

Puts topologies side by side in one table: one column per topology, then one
ratio column per topology against the baseline (the first topology, or
--baseline). Rows are the system (accelerators, provisioned IT power, BF16
compute, HBM bandwidth, scale-up bandwidth per accelerator) and, for every
workload and size, the simulated collective: algorithm, time, bus bandwidth
per rank and summed over the ranks, energy and average power of the whole
topology during the operation, and bus bandwidth per kW: throughput and power
side by side.

NAME is a preset (see 'cardsea topo list'); a path ending in .yaml is a
topology file in the presets' form. The workload comes from the flags (by
default a 1 GiB allreduce, one rank per die: a 910C package is two) or from
--workload, a scenario file whose workloads and power settings are used and
whose topologies are ignored (see docs/scenarios.md).

Ratios divide each topology's value by the baseline's: 2.00x is twice the
baseline. For time and energy lower is better, for the rest higher. JSON and
CSV hold one record per topology, then one per ratio (topology "A / BASE",
ratio_to BASE), with SI base units in the field names.

Examples:
  cardsea compare cm384 gb200-nvl72 hgx-h20
  cardsea compare cm384 gb200-nvl72 --op alltoall --size 256MiB
  cardsea compare hgx-h100 hgx-h800 hgx-h20 --baseline hgx-h20 --format csv
  cardsea compare scenarios/topologies/npu1024-clos.yaml cm384 --workload scenarios/custom-supernode.yaml
`

type compareFlags struct {
	domains, ranks, jobs                      int
	op, size, algo, proto, workload, baseline string
	format                                    string
	perAccel, perServer, perAccelSet          bool
}

// compareTopo is one topology of the comparison.
type compareTopo struct {
	name, label string
	top         *topology.Topology
	sum         topology.Summary
	budget      power.Budget
}

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("compare", compareUsage)
	var c compareFlags
	fs.StringVar(&c.baseline, "baseline", "", "the topology the ratio columns divide by (default: the first)")
	fs.IntVarP(&c.domains, "domains", "n", 0, "scale-up domains of every topology, joined by its scale-out network (default: the preset's)")
	fs.StringVarP(&c.op, "op", "o", "allreduce", "collective operation")
	fs.StringVarP(&c.size, "size", "s", "1GiB", "size, or sizes: 1GiB, 16MiB,1GiB or MIN:MAX[:xF]")
	fs.StringVarP(&c.algo, "algo", "a", "auto", "algorithm, or auto")
	fs.StringVar(&c.proto, "proto", "auto", "protocol: ll, simple or auto")
	fs.BoolVar(&c.perAccel, "per-accel", false, "one rank per accelerator package instead of one per die (a 910C's two dies are two ranks, as CANN uses them)")
	fs.BoolVar(&c.perServer, "per-server", false, "one rank per server")
	fs.IntVarP(&c.ranks, "ranks", "r", 0, "number of ranks (default: all)")
	fs.StringVarP(&c.workload, "workload", "w", "", "scenario file whose workloads (and power settings) to run")
	fs.IntVarP(&c.jobs, "jobs", "j", runtime.GOMAXPROCS(0), "simulations run in parallel (the output does not depend on it)")
	fs.StringVarP(&c.format, "format", "f", "table", "output format: table, markdown, json or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c.perAccelSet = fs.Changed("per-accel")
	if fs.NArg() == 0 {
		return usagef("compare needs topology names or files, e.g. 'cardsea compare cm384 gb200-nvl72 hgx-h20' (see 'cardsea topo list')")
	}
	f, err := report.ParseFormat(c.format, report.DataFormats...)
	if err != nil {
		return usagef("compare: %v", err)
	}
	if c.domains < 0 || c.ranks < 0 || c.jobs < 1 {
		return usagef("--domains and --ranks must be 0 or more and --jobs 1 or more")
	}
	if c.workload != "" {
		for _, name := range []string{"op", "size", "algo", "proto", "per-accel", "per-server", "ranks"} {
			if fs.Changed(name) {
				return usagef("--%s and --workload exclude each other: the workload file says what to run", name)
			}
		}
	}

	// Labels and the baseline, before anything is built.
	var topos []*compareTopo
	seen := map[string]bool{}
	var labels []string
	for _, name := range fs.Args() {
		l := compareLabel(name)
		if seen[l] {
			return usagef("topology %q is given twice", l)
		}
		seen[l] = true
		labels = append(labels, l)
		topos = append(topos, &compareTopo{name: name, label: l})
	}
	base := 0
	if c.baseline != "" {
		base = -1
		for i, t := range topos {
			if c.baseline == t.label || c.baseline == t.name {
				base = i
			}
		}
		if base < 0 {
			msg := fmt.Sprintf("--baseline %q is not among the topologies compared (%s)", c.baseline, strings.Join(labels, ", "))
			if s := strictyaml.Nearest(c.baseline, labels); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return usagef("%s", msg)
		}
	}

	workloads, pw, wpath, err := c.workloads()
	if err != nil {
		return err
	}
	for _, t := range topos {
		if t.top, err = topology.Load(t.name, c.domains); err != nil {
			return err
		}
		t.sum = topology.Summarize(t.top)
		if t.budget, err = power.ProvisionedBudget(t.top); err != nil {
			return err
		}
	}

	sc, err := compareScenario(topos, c.domains, workloads, pw, wpath)
	if err != nil {
		return err
	}
	res, err := sc.Run(scenario.Options{Jobs: c.jobs})
	if err != nil {
		return err
	}
	sheet, hidden, err := compareSheet(topos, base, sc, res)
	if err != nil {
		return err
	}
	if f == report.FormatTable || f == report.FormatMarkdown {
		sheet = displaySheet(sheet, hidden, len(topos))
	}
	return sheet.Write(stdout, f)
}

// compareLabel names a topology in the comparison: a preset's name, or a
// topology file's base name without the extension.
func compareLabel(name string) string {
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		return strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	return name
}

// workloads returns the workloads to run, the power settings and the
// scenario path that names them in messages: from --workload, or built
// from the flags.
func (c *compareFlags) workloads() ([]scenario.Workload, scenario.PowerSettings, string, error) {
	if c.workload != "" {
		data, err := os.ReadFile(c.workload)
		if err != nil {
			return nil, scenario.PowerSettings{}, "", fmt.Errorf("cannot read workload file: %w", err)
		}
		var wf scenario.File
		root, err := strictyaml.Decode(c.workload, data, &wf)
		if err != nil {
			return nil, scenario.PowerSettings{}, "", err
		}
		if wf.Sweep != nil {
			return nil, scenario.PowerSettings{}, "", strictyaml.At(c.workload, strictyaml.Find(root, "sweep"), "sweep",
				"compare runs one point and cannot sweep; remove the sweep or run the file with 'cardsea sweep'")
		}
		if len(wf.Workloads) == 0 {
			return nil, scenario.PowerSettings{}, "", strictyaml.At(c.workload, root, "workloads",
				"no workloads; add e.g. `workloads: [{collective: {op: allreduce, sizes: 1GiB, per_accel: true}}]`")
		}
		return wf.Workloads, wf.Power, c.workload, nil
	}
	op, err := collective.ParseOp(c.op)
	if err != nil {
		return nil, scenario.PowerSettings{}, "", usagef("--op: %v", err)
	}
	if op == collective.MoEDispatch || op == collective.MoECombine {
		return nil, scenario.PowerSettings{}, "", usagef("--op %s needs a token workload; compare runs collectives", op)
	}
	if _, err := units.ParseSizes(c.size); err != nil {
		return nil, scenario.PowerSettings{}, "", usagef("--size: %v", err)
	}
	if _, err := collective.ParseAlgorithm(c.algo); err != nil {
		return nil, scenario.PowerSettings{}, "", usagef("--algo: %v", err)
	}
	if _, err := collective.ParseProtocol(c.proto); err != nil {
		return nil, scenario.PowerSettings{}, "", usagef("--proto: %v", err)
	}
	perAccel := c.perAccel
	if c.perServer {
		if perAccel && c.perAccelSet {
			return nil, scenario.PowerSettings{}, "", usagef("--per-server and --per-accel exclude each other")
		}
		perAccel = false
	}
	w := scenario.Workload{Name: string(op), Collective: &scenario.CollectiveWorkload{
		Op: string(op), Sizes: c.size, Algorithm: c.algo, Protocol: c.proto,
		Ranks: c.ranks, PerAccel: perAccel, PerServer: c.perServer,
	}}
	return []scenario.Workload{w}, scenario.PowerSettings{}, "compare", nil
}

// compareScenario builds the scenario the comparison runs: the command's
// topologies and the workloads, as a scenario file in memory, checked as
// strictly as one on disk.
func compareScenario(topos []*compareTopo, domains int, workloads []scenario.Workload, pw scenario.PowerSettings, path string) (*scenario.Scenario, error) {
	f := scenario.File{Name: "compare", Workloads: workloads, Power: pw}
	for _, t := range topos {
		ref := scenario.TopologyRef{Label: t.label, Domains: domains}
		if compareLabel(t.name) != t.name {
			abs, err := filepath.Abs(t.name)
			if err != nil {
				return nil, err
			}
			ref.File = abs
		} else {
			ref.Preset = t.name
		}
		f.Topologies = append(f.Topologies, ref)
	}
	data, err := yaml.Dump(&f)
	if err != nil {
		return nil, fmt.Errorf("compare: cannot build the scenario: %w", err)
	}
	label := path
	if path != "compare" {
		label = path + " (its workloads, on the compared topologies)"
	}
	return scenario.Parse(label, data)
}

// compareCol is one quantity of the comparison: a column of the record
// sheet and a row of the table.
type compareCol struct {
	report.Column
	ratio  bool // numeric: ratio records carry value / baseline
	hidden bool // JSON and CSV only (too wide for the table)
}

// compareSheet turns the systems and the scenario's records into one record
// per topology and one ratio record per topology but the baseline. hidden
// marks the columns the table leaves out.
func compareSheet(topos []*compareTopo, base int, sc *scenario.Scenario, res *report.Sheet) (out *report.Sheet, hidden []bool, err error) {
	cols := []compareCol{
		{Column: report.Column{Key: "topology", Header: "Topology"}},
		{Column: report.Column{Key: "ratio_to", Header: "Ratio to"}, hidden: true},
		{Column: report.Column{Key: "title", Header: "System"}, hidden: true},
		{Column: report.Column{Key: "domains", Header: "Scale-up domains"}, ratio: true},
		{Column: report.Column{Key: "accelerators", Header: "Accelerators"}, ratio: true},
		{Column: report.Column{Key: "it_power_w", Header: "IT power, provisioned (kW)", Scale: 1e3, Digits: 1}, ratio: true},
		{Column: report.Column{Key: "peak_flops.bf16", Header: "BF16 dense (PFLOP/s)", Scale: 1e15, Digits: 1}, ratio: true},
		{Column: report.Column{Key: "hbm_bytes_per_s", Header: "HBM bandwidth (TB/s)", Scale: 1e12, Digits: 1}, ratio: true},
		{Column: report.Column{Key: "scale_up_bytes_per_s_per_accel", Header: "Scale-up per accelerator (GB/s, per direction)", Scale: 1e9, Digits: 0}, ratio: true},
		{Column: report.Column{Key: "peak_bf16_flops_per_w", Header: "BF16 dense per IT kW (TFLOP/s per kW)", Scale: 1e9, Digits: 1}, ratio: true},
	}
	rows := make([][]any, len(topos))
	for i, t := range topos {
		s, b := t.sum, t.budget
		var bf16 any
		if s.PeakFLOPS[topology.BF16] > 0 {
			bf16 = s.PeakFLOPS[topology.BF16]
		}
		var bf16PerW any
		if s.PeakFLOPS[topology.BF16] > 0 && b.ITW > 0 {
			bf16PerW = s.PeakFLOPS[topology.BF16] / b.ITW
		}
		rows[i] = []any{t.label, nil, s.Title, s.Domains, s.Accelerators, b.ITW, bf16, s.HBMBytesPerS, s.ScaleUpBytesPerSPerAccel, bf16PerW}
	}

	// The scenario's records come topology by topology, then workload by
	// workload and size by size, the same sequence for every topology.
	idx := map[string]int{}
	for i, c := range res.Columns {
		idx[c.Key] = i
	}
	for _, k := range []string{"topology", "algorithm", "protocol", "ranks", "time_s", "busbw_bytes_per_s", "energy_j", "avg_power_w", "power_mode"} {
		if _, ok := idx[k]; !ok {
			return nil, nil, fmt.Errorf("compare: scenario records lack %q", k)
		}
	}
	type step struct {
		key, label string
	}
	var seq []step
	used := map[string]int{}
	for _, c := range cols {
		used[strings.SplitN(c.Key, ".", 2)[0]] = 1 // a workload must not shadow a system field
	}
	for _, w := range sc.Points[0].File.Workloads {
		wl := w.Name
		if wl == "" {
			wl = w.Collective.Op
		}
		wk := compareKey(wl)
		used[wk]++
		if n := used[wk]; n > 1 {
			wk += "_" + strconv.Itoa(n)
			wl += " (" + strconv.Itoa(n) + ")"
		}
		spec := w.Collective.Sizes
		if spec == "" {
			spec = "1KiB:8GiB" // the scenario default
		}
		sizes, err := units.ParseSizes(spec)
		if err != nil {
			return nil, nil, err
		}
		for _, sz := range sizes {
			h := units.FormatBytesBinary(float64(sz))
			seq = append(seq, step{key: wk + "." + compareKey(strings.ReplaceAll(h, " ", "")), label: wl + " " + h})
		}
	}
	if len(res.Rows) != len(seq)*len(topos) {
		return nil, nil, fmt.Errorf("compare: %d records for %d topologies x %d runs", len(res.Rows), len(topos), len(seq))
	}
	modes := map[string]bool{}
	for k, st := range seq {
		cols = append(cols,
			compareCol{Column: report.Column{Key: st.key + ".algorithm", Header: st.label + ": algorithm"}},
			compareCol{Column: report.Column{Key: st.key + ".protocol", Header: st.label + ": protocol"}},
			compareCol{Column: report.Column{Key: st.key + ".ranks", Header: st.label + ": ranks"}, ratio: true},
			compareCol{Column: report.Column{Key: st.key + ".time_s", Header: st.label + ": time (us)", Scale: 1e-6, Digits: 1}, ratio: true},
			compareCol{Column: report.Column{Key: st.key + ".busbw_bytes_per_s", Header: st.label + ": busbw (GB/s)", Scale: 1e9, Digits: 1}, ratio: true},
			compareCol{Column: report.Column{Key: st.key + ".aggregate_busbw_bytes_per_s", Header: st.label + ": busbw x ranks (TB/s)", Scale: 1e12, Digits: 2}, ratio: true},
			compareCol{Column: report.Column{Key: st.key + ".energy_j", Header: st.label + ": energy, IT (J)", Digits: 2}, ratio: true},
			compareCol{Column: report.Column{Key: st.key + ".avg_power_w", Header: st.label + ": avg IT power (kW)", Scale: 1e3, Digits: 1}, ratio: true},
			compareCol{Column: report.Column{Key: st.key + ".busbw_bytes_per_s_per_w", Header: st.label + ": busbw per avg IT kW (GB/s per kW)", Scale: 1e6, Digits: 2}, ratio: true},
			compareCol{Column: report.Column{Key: st.key + ".aggregate_busbw_bytes_per_s_per_w", Header: st.label + ": busbw x ranks per avg IT kW (GB/s per kW)", Scale: 1e6, Digits: 1}, ratio: true},
		)
		for ti, t := range topos {
			r := res.Rows[ti*len(seq)+k]
			if r[idx["topology"]] != t.label {
				return nil, nil, fmt.Errorf("compare: record %d is of %v, want %s", ti*len(seq)+k, r[idx["topology"]], t.label)
			}
			ranks, _ := r[idx["ranks"]].(int)
			busbw, _ := r[idx["busbw_bytes_per_s"]].(float64)
			avgW, _ := r[idx["avg_power_w"]].(float64)
			if m, ok := r[idx["power_mode"]].(string); ok {
				modes[m] = true
			}
			agg := busbw * float64(ranks)
			var perW, aggPerW any
			if avgW > 0 {
				perW, aggPerW = busbw/avgW, agg/avgW
			}
			rows[ti] = append(rows[ti], r[idx["algorithm"]], r[idx["protocol"]], ranks, r[idx["time_s"]], busbw, agg,
				r[idx["energy_j"]], avgW, perW, aggPerW)
		}
	}

	out = &report.Sheet{Vertical: true}
	for _, c := range cols {
		out.Columns = append(out.Columns, c.Column)
	}
	out.Rows = append(out.Rows, rows...)
	b := topos[base].label
	for i, t := range topos {
		if i == base {
			continue
		}
		r := make([]any, len(cols))
		r[0], r[1] = t.label+" / "+b, b
		for j, c := range cols {
			if c.ratio {
				r[j] = compareRatio(rows[i][j], rows[base][j])
			}
		}
		out.Rows = append(out.Rows, r)
	}
	var names []string
	for _, t := range topos {
		names = append(names, t.label)
	}
	out.Title = "cardsea compare: " + strings.Join(names, " vs ")
	if len(topos) > 1 {
		out.Title += " (ratios against " + b + ")"
	}
	mode := string(power.Activity)
	if modes[string(power.Provisioned)] && !modes[string(power.Activity)] {
		mode = string(power.Provisioned)
	}
	out.Notes = []string{
		"Ratios divide each topology's value by " + b + "'s (2.00x is twice " + b + "); for time and energy lower is better.",
		"System rows: provisioned figures of the whole topology ('cardsea topo show' has the rest). Bandwidths are per direction.",
		"busbw is per rank (nccl-tests convention); busbw x ranks is the sum over the ranks.",
		"Energy and avg IT power: the whole topology during the operation, " + mode + " mode; per kW divides by that average.",
	}
	hidden = make([]bool, len(cols))
	for i, c := range cols {
		hidden[i] = c.hidden
	}
	// One scale-up domain each, as usual: the row says nothing.
	single := true
	for _, t := range topos {
		single = single && t.sum.Domains == 1
	}
	hidden[3] = single
	return out, hidden, nil
}

// compareKey makes a name safe as one part of a dotted record key.
func compareKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// compareRatio is v / base for numbers, nil when either is absent or the
// base is zero.
func compareRatio(v, base any) any {
	x, ok1 := compareNum(v)
	y, ok2 := compareNum(base)
	if !ok1 || !ok2 || y == 0 {
		return nil
	}
	return x / y
}

func compareNum(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0, false
		}
		return x, true
	}
	return 0, false
}

// displaySheet is the table form of a comparison: every cell formatted
// in the column's human unit, ratio records as "1.23x", and the columns
// too wide for a table left out. n is the number of topology records.
func displaySheet(s *report.Sheet, hidden []bool, n int) *report.Sheet {
	d := &report.Sheet{Title: s.Title, Vertical: true, Notes: s.Notes}
	var keep []int
	for i, c := range s.Columns {
		if i < len(hidden) && hidden[i] {
			continue
		}
		keep = append(keep, i)
		d.Columns = append(d.Columns, report.Column{Key: c.Key, Header: c.Header})
	}
	for ri, r := range s.Rows {
		var row []any
		for k, i := range keep {
			var cell any
			switch {
			case r[i] == nil:
			case k == 0 && ri >= n:
				// Ratio records are headed "A vs BASE".
				a, b, _ := strings.Cut(r[i].(string), " / ")
				cell = a + " vs " + b
			case ri >= n:
				x, _ := compareNum(r[i])
				cell = formatRatio(x)
			default:
				cell = s.Columns[i].Human(r[i])
			}
			row = append(row, cell)
		}
		d.Rows = append(d.Rows, row)
	}
	return d
}

// formatRatio prints a ratio with about three significant digits.
func formatRatio(x float64) string {
	a := math.Abs(x)
	switch {
	case a >= 100:
		return report.Column{}.Human(x) + "x"
	case a >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64) + "x"
	case a >= 0.01 || a == 0:
		return strconv.FormatFloat(x, 'f', 2, 64) + "x"
	}
	return strconv.FormatFloat(x, 'g', 2, 64) + "x"
}
