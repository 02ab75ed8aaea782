package present

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/scenario"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/units"
)

// System is one topology of a comparison: what the user named it, its
// label, and its summary and provisioned power budget.
type System struct {
	Name, Label string
	Top         *topology.Topology
	Sum         topology.Summary
	Budget      power.Budget
}

// compareCol is one quantity of the comparison: a column of the record
// sheet and a row of the table.
type compareCol struct {
	report.Column
	ratio  bool // numeric: ratio records carry value / baseline
	hidden bool // JSON and CSV only (too wide for the table)
}

// Compare turns the systems and the scenario's records (typed, in the
// scenario's order: topology by topology, then workload by workload and
// size by size) into one record per topology and one ratio record per
// topology but the baseline (topos[base]). hidden marks the columns the
// table leaves out.
func Compare(topos []*System, base int, sc *scenario.Scenario, recs []study.Record) (out *report.Sheet, hidden []bool, err error) {
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
		{Column: report.Column{Key: "peak_bf16_flops_per_w", Header: "BF16 dense per provisioned IT kW (TFLOP/s per kW)", Scale: 1e9, Digits: 1}, ratio: true},
	}
	rows := make([][]any, len(topos))
	for i, t := range topos {
		s, b := t.Sum, t.Budget
		var bf16 any
		if s.PeakFLOPS[topology.BF16] > 0 {
			bf16 = s.PeakFLOPS[topology.BF16]
		}
		var bf16PerW any
		if s.PeakFLOPS[topology.BF16] > 0 && b.ITW > 0 {
			bf16PerW = s.PeakFLOPS[topology.BF16] / b.ITW
		}
		rows[i] = []any{t.Label, nil, s.Title, s.Domains, s.Accelerators, b.ITW, bf16, s.HBMBytesPerS, s.ScaleUpBytesPerSPerAccel, bf16PerW}
	}

	// The scenario's records come topology by topology, then workload by
	// workload and size by size, the same sequence for every topology.
	seq, err := compareSteps(sc, cols)
	if err != nil {
		return nil, nil, err
	}
	if len(recs) != len(seq)*len(topos) {
		return nil, nil, fmt.Errorf("compare: %d records for %d topologies x %d runs", len(recs), len(topos), len(seq))
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
			rec, ok := recs[ti*len(seq)+k].(*study.CollectiveRecord)
			if !ok || rec.Topology != t.Label {
				return nil, nil, fmt.Errorf("compare: record %d is not a collective on %s", ti*len(seq)+k, t.Label)
			}
			r, e := rec.Result, rec.Energy
			modes[string(e.Mode)] = true
			agg := r.BusBW * float64(r.Ranks)
			var perW, aggPerW any
			if e.AvgITW > 0 {
				perW, aggPerW = r.BusBW/e.AvgITW, agg/e.AvgITW
			}
			rows[ti] = append(rows[ti], string(r.Algorithm), r.Protocol.String(), r.Ranks, r.TimeS, r.BusBW, agg,
				e.ITJ, e.AvgITW, perW, aggPerW)
		}
	}

	out = &report.Sheet{Vertical: true}
	for _, c := range cols {
		out.Columns = append(out.Columns, c.Column)
	}
	out.Rows = append(out.Rows, rows...)
	b := topos[base].Label
	for i, t := range topos {
		if i == base {
			continue
		}
		r := make([]any, len(cols))
		r[0], r[1] = t.Label+" / "+b, b
		for j, c := range cols {
			if c.ratio {
				r[j] = compareRatio(rows[i][j], rows[base][j])
			}
		}
		out.Rows = append(out.Rows, r)
	}
	var names []string
	for _, t := range topos {
		names = append(names, t.Label)
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
		single = single && t.Sum.Domains == 1
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

// CompareTable is the table form of a comparison: every cell formatted
// in the column's human unit, ratio records as "1.23x", and the columns
// too wide for a table left out. n is the number of topology records.
func CompareTable(s *report.Sheet, hidden []bool, n int) *report.Sheet {
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

// step is one run of a comparison: a workload at one size, with its key
// and label.
type step struct {
	key, label string
}

// compareSteps lists the runs of the scenario's workloads, size by size,
// keyed so that no workload shadows a system field of cols.
func compareSteps(sc *scenario.Scenario, cols []compareCol) ([]step, error) {
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
			return nil, err
		}
		for _, sz := range sizes {
			h := units.FormatBytesBinary(float64(sz))
			seq = append(seq, step{key: wk + "." + compareKey(strings.ReplaceAll(h, " ", "")), label: wl + " " + h})
		}
	}
	return seq, nil
}
