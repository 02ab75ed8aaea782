package present

import (
	"fmt"
	"strings"

	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/topology"
)

// Topologies is the record per topology that 'topo show' prints. Switch
// tiers differ between topologies, so the columns are the union of tiers in
// first-seen order, absent (nil) where a topology lacks one.
func Topologies(tops []*topology.Topology) (*report.Sheet, error) {
	type rec struct {
		s   topology.Summary
		b   power.Budget
		bis float64
	}
	var recs []rec
	var tiers []string
	tierHeader := map[string]string{}
	var dtypes [topology.NumDtypes]bool
	for _, t := range tops {
		b, err := power.ProvisionedBudget(t)
		if err != nil {
			return nil, err
		}
		r := rec{s: topology.Summarize(t), b: b, bis: t.Bisection()}
		for _, tc := range r.s.SwitchTiers {
			if _, ok := tierHeader[tc.Tier]; !ok {
				tiers = append(tiers, tc.Tier)
				tierHeader[tc.Tier] = fmt.Sprintf("Switch chips, %s: %s", tc.Tier, tc.Chip)
			} else if !strings.HasSuffix(tierHeader[tc.Tier], tc.Chip) {
				tierHeader[tc.Tier] = "Switch chips, " + tc.Tier
			}
		}
		for _, d := range topology.Dtypes() {
			dtypes[d] = dtypes[d] || r.s.PeakFLOPS[d] > 0
		}
		recs = append(recs, r)
	}
	cols := []report.Column{
		{Key: "topology", Header: "Topology"},
		{Key: "title", Header: "System"},
		{Key: "domains", Header: "Scale-up domains"},
		{Key: "servers", Header: "Servers (nodes, trays)"},
		{Key: "accelerators", Header: "Accelerators"},
		{Key: "dies", Header: "Accelerator dies"},
		{Key: "cpus", Header: "CPUs"},
		{Key: "nics", Header: "Scale-out NICs"},
		{Key: "scale_out_transport", Header: "Scale-out transport"},
		{Key: "switch_chips", Header: "Switch chips"},
	}
	for _, tier := range tiers {
		cols = append(cols, report.Column{Key: "switch_chips_by_tier." + tier, Header: tierHeader[tier]})
	}
	cols = append(cols,
		report.Column{Key: "links", Header: "Links (physical lanes)"},
		report.Column{Key: "optical_modules", Header: "Optical modules"})
	for _, d := range topology.Dtypes() {
		if dtypes[d] {
			cols = append(cols, report.Column{Key: "peak_flops." + d.String(), Header: fmt.Sprintf("Peak dense %s (PFLOP/s)", strings.ToUpper(d.String())), Scale: 1e15, Digits: 1})
		}
	}
	cols = append(cols,
		report.Column{Key: "hbm_bytes", Header: "HBM (TB)", Scale: 1e12, Digits: 1},
		report.Column{Key: "hbm_bytes_per_s", Header: "HBM bandwidth (TB/s)", Scale: 1e12, Digits: 1},
		report.Column{Key: "scale_up_bytes_per_s_per_accel", Header: "Scale-up per accelerator (GB/s, per direction)", Scale: 1e9, Digits: 0},
		report.Column{Key: "scale_out_bytes_per_s_per_accel", Header: "Scale-out per accelerator (GB/s, per direction)", Scale: 1e9, Digits: 0},
		report.Column{Key: "bisection_bytes_per_s", Header: "Bisection (TB/s, per direction)", Scale: 1e12, Digits: 1})
	for _, c := range power.Components {
		cols = append(cols, report.Column{Key: "power_w." + string(c), Header: "Power: " + strings.ReplaceAll(string(c), "_", " ") + " (kW)", Scale: 1e3, Digits: 1})
	}
	cols = append(cols,
		report.Column{Key: "it_power_w", Header: "IT power, provisioned (kW)", Scale: 1e3, Digits: 1},
		report.Column{Key: "cooling_power_w", Header: "Cooling and distribution (kW)", Scale: 1e3, Digits: 1},
		report.Column{Key: "facility_power_w", Header: "Facility power (kW)", Scale: 1e3, Digits: 1},
		report.Column{Key: "it_power_w_per_accel", Header: "IT power per accelerator (W)", Digits: 0},
		report.Column{Key: "peak_bf16_flops_per_w", Header: "BF16 dense per provisioned IT kW (TFLOP/s per kW)", Scale: 1e9, Digits: 0},
		report.Column{Key: "hbm_bytes_per_s_per_w", Header: "HBM bandwidth per provisioned IT MW (TB/s per MW)", Scale: 1e6, Digits: 1})

	var rows [][]any
	for _, r := range recs {
		s, b := r.s, r.b
		row := []any{s.Name, s.Title, s.Domains, s.Servers, s.Accelerators, s.Dies, s.CPUs, s.NICs, transportName(s.Transport), s.SwitchChips}
		for _, tier := range tiers {
			var v any
			for _, tc := range s.SwitchTiers {
				if tc.Tier == tier {
					v = tc.Count
				}
			}
			row = append(row, v)
		}
		row = append(row, s.Links, s.OpticalModules)
		for _, d := range topology.Dtypes() {
			if !dtypes[d] {
				continue
			}
			var v any
			if s.PeakFLOPS[d] > 0 {
				v = s.PeakFLOPS[d]
			}
			row = append(row, v)
		}
		row = append(row, s.HBMBytes, s.HBMBytesPerS, s.ScaleUpBytesPerSPerAccel, s.ScaleOutBytesPerSPerAccel, r.bis)
		for i := range power.Components {
			row = append(row, b.IT[i])
		}
		row = append(row, b.ITW, b.CoolingW(), b.FacilityW,
			b.ITW/float64(s.Accelerators), s.PeakFLOPS[topology.BF16]/b.ITW, s.HBMBytesPerS/b.ITW)
		rows = append(rows, row)
	}
	notes := []string{
		"Bandwidths are per direction. Power is provisioned (every component at its rated power);",
		"facility power applies each rack's PUE. Every figure's source: docs/presets.md.",
	}
	if len(tops) == 1 {
		for _, a := range tops[0].Assumptions {
			notes = append(notes, "Assumption: "+a)
		}
	} else {
		notes = append(notes, "Each preset's assumptions: 'cardsea topo show NAME' or docs/presets.md.")
	}
	title := ""
	if len(tops) == 1 {
		title = tops[0].Title
	}
	return &report.Sheet{Title: title, Columns: cols, Rows: rows, Vertical: true, Notes: notes}, nil
}

// transportName is a scale-out transport as the table shows it: "-" where
// the topology does not say.
func transportName(t string) string {
	if t == "" {
		return "-"
	}
	return t
}
