package present

import (
	"fmt"
	"io"
	"slices"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
)

// CollectiveRun is a collective size sweep to print: its results, and
// optionally the same sweep without the topology's faults (Healthy) or
// with Groups groups at once (Concurrent).
type CollectiveRun struct {
	Top        *topology.Topology
	Op         collective.Op
	Dtype      topology.Dtype // the element type counts are in
	Mode       power.Mode
	Results    []collective.Result
	Healthy    []collective.Result
	Concurrent []collective.Concurrent
	Groups     int
	Strided    bool
	// Links adds the per-link statistics; Wide every field to the table.
	Links, Wide bool
}

// WriteCollective prints a collective sweep as nccl-tests does (size,
// count, type, algorithm, time, algbw, busbw) with its energy, the energy
// by component, and with Links the per-link statistics; with Healthy it
// adds the healthy busbw and the ratio after busbw.
func WriteCollective(w io.Writer, f report.Format, run CollectiveRun) error {
	sheet, byComponent, err := collectiveSheet(f, run)
	if err != nil {
		return err
	}
	res, mode, links := run.Results, run.Mode, run.Links
	// Energy by component: extra fields of each record in JSON and CSV, a
	// table of its own under the results in table and Markdown.
	bd := &report.Sheet{
		Title:   "Energy by component (" + string(mode) + " accounting; they sum to the facility energy)",
		Columns: append([]report.Column{{Key: "size_bytes", Header: "Size", Unit: report.BytesBinary}}, study.EnergyBreakdown().Columns()...),
	}
	for i, r := range res {
		bd.Rows = append(bd.Rows, append([]any{int(r.SizeBytes)}, byComponent[i]...))
	}
	tabular := f == report.FormatTable || f == report.FormatMarkdown
	if !tabular {
		sheet.Columns = append(sheet.Columns, study.EnergyBreakdown().Columns()...)
		for i := range sheet.Rows {
			sheet.Rows[i] = append(sheet.Rows[i], byComponent[i]...)
		}
	}
	if !links {
		if !tabular {
			return sheet.Write(w, f)
		}
		if err := sheet.Write(w, f); err != nil {
			return err
		}
		fmt.Fprintln(w)
		return bd.Write(w, f)
	}
	ls := &report.Sheet{Columns: []report.Column{
		{Key: "size_bytes", Header: "Size", Unit: report.BytesBinary},
		{Key: "link", Header: "Link (class)"},
		{Key: "capacity_bytes_per_s", Header: "Capacity (GB/s)", Scale: 1e9, Digits: 1, Unit: report.BytesPerS},
		{Key: "bytes", Header: "Carried (GB)", Scale: 1e9, Digits: 3, Unit: report.Bytes},
		{Key: "busy_s", Header: "Busy (us)", Scale: 1e-6, Digits: 1, Unit: report.Seconds},
		{Key: "peak_util", Header: "Peak use (%)", Scale: 0.01, Digits: 0},
	}}
	for _, r := range res {
		for _, l := range r.Links {
			ls.Rows = append(ls.Rows, []any{int(r.SizeBytes), l.Name, l.CapacityBytesPerS, l.Bytes, l.BusyS, l.PeakUtil})
		}
	}
	if f == report.FormatJSON {
		return report.WriteJSONSections(w, report.Section{Name: "results", Sheet: sheet}, report.Section{Name: "links", Sheet: ls})
	}
	if err := sheet.Write(w, f); err != nil {
		return err
	}
	if tabular {
		fmt.Fprintln(w)
		if err := bd.Write(w, f); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	ls.Title = "Per-link statistics (parallel links merged into classes)"
	return ls.Write(w, f)
}

// collectiveSheet is the sweep's main table and each record's energy by
// component.
func collectiveSheet(f report.Format, run CollectiveRun) (*report.Sheet, [][]any, error) {
	top, op, dt, mode, res, healthy, conc := run.Top, run.Op, run.Dtype, run.Mode, run.Results, run.Healthy, run.Concurrent
	wide := run.Wide
	// The scenario records' columns (same keys, units and digits), with
	// headers that need not also name inference fields.
	cols := study.Only("topology", "op", "algorithm", "protocol", "ranks", "size_bytes").Columns()
	cols = append(cols, report.Column{Key: "count", Header: "Count (elements)"}, report.Column{Key: "dtype", Header: "Type"})
	cols = append(cols, study.Only("time_s", "algbw_bytes_per_s", "busbw_bytes_per_s", "wire_bytes",
		"peak_link_util", "mean_link_busy", "power_mode", "energy_j", "facility_energy_j",
		"avg_power_w", "peak_power_w", "busbw_per_kw").Columns()...)
	cols[4].Header = "Ranks"
	// The default table reads like nccl-tests (size, count, type, the
	// algorithm, time, algbw, busbw) with the energy beside it. Topology,
	// op and ranks are in the title; they, the protocol, the peak link use
	// and the power mode show only where they differ between rows; the
	// rest waits for --wide.
	for i := range cols {
		switch cols[i].Key {
		case "topology", "op", "ranks", "protocol", "peak_link_util", "power_mode":
			cols[i].Varies = true
		case "wire_bytes", "mean_link_busy", "facility_energy_j", "peak_power_w":
			cols[i].Detail = true
		case "energy_j":
			cols[i].Minor = false // nccl-tests' columns and the energy: the answer here
		}
	}
	sheet := &report.Sheet{Columns: cols, Wide: wide}
	const busbwCol = 11 // busbw_bytes_per_s; the healthy columns follow it
	if healthy != nil {
		sheet.Columns = slices.Insert(sheet.Columns, busbwCol,
			report.Column{Key: "busbw_bytes_per_s_healthy", Header: "busbw healthy (GB/s)", Scale: 1e9, Digits: 2, Unit: report.BytesPerS},
			report.Column{Key: "busbw_ratio", Header: "busbw faulty/healthy", Digits: 3},
			report.Column{Key: "ranks_healthy", Header: "Ranks healthy"})
	}
	if conc != nil {
		sheet.Columns = slices.Insert(sheet.Columns, busbwCol,
			report.Column{Key: "groups", Header: "Groups at once"},
			report.Column{Key: "time_alone_s", Header: "Time alone (us)", Scale: 1e-6, Digits: 3, Unit: report.Seconds},
			report.Column{Key: "slowdown", Header: "Slowdown together/alone", Digits: 3})
	}
	var byComponent [][]any
	for i, r := range res {
		e, err := power.Account(top, mode, r.TimeS, r.Activity)
		if err != nil {
			return nil, nil, err
		}
		perKW := 0.0
		if e.AvgITW > 0 {
			perKW = r.BusBW / (e.AvgITW / 1e3)
		}
		byComponent = append(byComponent, study.EnergyBreakdown().Row(&study.CollectiveRecord{Energy: e}))
		sheet.Rows = append(sheet.Rows, []any{top.Name, string(r.Op), string(r.Algorithm), r.Protocol.String(), r.Ranks, int(r.SizeBytes),
			int(r.SizeBytes / dt.Bytes()), dt.String(), r.TimeS, r.AlgBW, r.BusBW, r.WireBytes, r.PeakLinkUtil, r.MeanLinkBusy,
			string(mode), e.ITJ, e.FacilityJ, e.AvgITW, e.PeakITW, perKW})
		if healthy != nil {
			h := healthy[i]
			ratio := 0.0
			if h.BusBW > 0 {
				ratio = r.BusBW / h.BusBW
			}
			row := sheet.Rows[len(sheet.Rows)-1]
			sheet.Rows[len(sheet.Rows)-1] = slices.Insert(row, busbwCol, any(h.BusBW), any(ratio), any(h.Ranks))
		}
		if conc != nil {
			c := conc[i]
			alone := c.Alone[c.Slowest].TimeS
			slow := 0.0
			if alone > 0 {
				slow = r.TimeS / alone
			}
			row := sheet.Rows[len(sheet.Rows)-1]
			sheet.Rows[len(sheet.Rows)-1] = slices.Insert(row, busbwCol, any(len(c.Together)), any(alone), any(slow))
		}
	}
	if f == report.FormatTable || f == report.FormatMarkdown {
		// nccl-tests' order: size, count, type, then the algorithm NCCL's
		// tuner would pick, time and bandwidths; sizes in binary units.
		reorder(sheet, "size_bytes", "count", "dtype", "algorithm", "protocol")
		for i := range sheet.Columns {
			if sheet.Columns[i].Key == "size_bytes" {
				sheet.Columns[i].Unit = report.BytesBinary
				sheet.Columns[i].Header = "Size"
			}
		}
		sheet.Title = fmt.Sprintf("%s on %s, %d ranks", op, top.Title, res[0].Ranks)
		if conc != nil {
			layout := "consecutive ranks"
			if run.Strided {
				layout = fmt.Sprintf("strided: ranks i, i+%d, i+%d, ...", run.Groups, 2*run.Groups)
			}
			sheet.Title = fmt.Sprintf("%s on %s, %d groups of %d ranks at once (%s)", op, top.Title, run.Groups, res[0].Ranks, layout)
		}
		if healthy != nil {
			sheet.Title += fmt.Sprintf(", with faults %s", topology.FaultList(top.Faults))
		}
		sheet.Notes = []string{
			"busbw = algbw x nccl-tests factor; bandwidths per direction; 'On the wire' counts every byte on every hop.",
			"Energy and power are of the whole topology during the operation (" + string(mode) + " accounting; see 'cardsea help collective').",
			"Link efficiencies and per-step latencies come from the preset (docs/presets.md); 'cardsea validate' shows how well they fit measurements.",
		}
		if conc != nil {
			sheet.Notes = append(sheet.Notes, "Each record is the slowest group: its time, algbw and busbw with every group running, and alone on an idle fabric; wire bytes, link use and energy are of the whole run.")
		}
		if healthy != nil {
			sheet.Notes = append(sheet.Notes, "Faults hold for the whole run; 'healthy' is the same sweep without them (failed accelerators hold no ranks, so the rank counts may differ). Energy and power are of the faulty run.")
		}
	}
	return sheet, byComponent, nil
}

// reorder moves the columns with the given keys, in that order, to the
// front of the sheet, and their cells with them.
func reorder(s *report.Sheet, keys ...string) {
	var order []int
	taken := map[int]bool{}
	for _, k := range keys {
		for i, c := range s.Columns {
			if c.Key == k && !taken[i] {
				order = append(order, i)
				taken[i] = true
			}
		}
	}
	for i := range s.Columns {
		if !taken[i] {
			order = append(order, i)
		}
	}
	cols := make([]report.Column, len(order))
	for j, i := range order {
		cols[j] = s.Columns[i]
	}
	s.Columns = cols
	for r, row := range s.Rows {
		out := make([]any, len(order))
		for j, i := range order {
			out[j] = row[i]
		}
		s.Rows[r] = out
	}
}
