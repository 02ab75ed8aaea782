package present

import (
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
)

// column is the index of the column with key in s, or -1.
func column(s *report.Sheet, key string) int {
	for i, c := range s.Columns {
		if c.Key == key {
			return i
		}
	}
	return -1
}

// DemoCollectives lays the demo's collective records (scenario records
// with an op) out per topology and op, with busbw x ranks and that over
// the whole system's provisioned IT power, itW by topology.
func DemoCollectives(records *report.Sheet, itW map[string]float64) *report.Sheet {
	sheet := &report.Sheet{
		Title: "Collectives on each whole system (one rank per die: an Ascend 910C package is two; algorithm chosen by simulation)",
		Columns: []report.Column{
			{Key: "topology", Header: "Topology"},
			{Key: "op", Header: "Op"},
			{Key: "size_bytes", Header: "Size", Unit: report.BytesBinary},
			{Key: "ranks", Header: "Ranks"},
			{Key: "algorithm", Header: "Algorithm"},
			{Key: "time_s", Header: "Time", Unit: report.Seconds},
			{Key: "busbw_bytes_per_s", Header: "busbw", Unit: report.BytesPerS},
			{Key: "aggregate_busbw_bytes_per_s", Header: "busbw x ranks (TB/s)", Scale: 1e12, Digits: 1},
			{Key: "aggregate_busbw_per_provisioned_it_w", Header: "busbw x ranks per provisioned IT kW (GB/s per kW)", Scale: 1e6, Digits: 0},
		},
		Notes: []string{"busbw per rank, nccl-tests convention; aggregate = busbw x ranks, divided by the provisioned IT power of the whole system."},
	}
	at := map[string]int{}
	for _, k := range []string{"topology", "op", "size_bytes", "ranks", "algorithm", "time_s", "busbw_bytes_per_s"} {
		at[k] = column(records, k)
	}
	for _, r := range records.Rows {
		if r[at["op"]] == nil {
			continue
		}
		name, _ := r[at["topology"]].(string)
		ranks, _ := r[at["ranks"]].(int)
		busbw, _ := r[at["busbw_bytes_per_s"]].(float64)
		agg := busbw * float64(ranks)
		sheet.Rows = append(sheet.Rows, []any{name, r[at["op"]], r[at["size_bytes"]], ranks, r[at["algorithm"]], r[at["time_s"]], busbw, agg, agg / itW[name]})
	}
	return sheet
}

// DemoInference lays the demo's inference records (scenario records with
// a phase) out one line per quantity and one column per system, in the
// inference fields of the record schema less the energy breakdown.
func DemoInference(records *report.Sheet) *report.Sheet {
	schema := study.Command(&study.InferenceRecord{}).Without(study.EnergyBreakdown().Keys()...).
		Without("tokens_per_s_per_accel_healthy", "tokens_per_s_per_accel_ratio", "accelerators_healthy",
			"power_mode", "energy_j", "facility_energy_j", "peak_power_w", "energy_cost_usd").Without(sameAsPerKW...)
	sheet := &report.Sheet{Columns: schema.Columns(), Vertical: true,
		Title: "DeepSeek-R1 decode, most tokens/s per accelerator under a 50 ms TPOT (context 4K, MTP 1 draft at 70%)",
		Notes: []string{
			"cm384 serves on 160 NPUs (320 dies, INT8, EP320) as CloudMatrix-Infer does; power is their share of the system's. KV cache BF16 on all three.",
			"Search: the largest batch per accelerator whose TPOT stays within 50 ms. 'cardsea infer --help' for the model.",
		}}
	var idx []int
	for _, k := range schema.Keys() {
		idx = append(idx, column(records, k))
	}
	phase := column(records, "phase")
	for _, r := range records.Rows {
		if r[phase] == nil {
			continue
		}
		row := make([]any, len(idx))
		for j, i := range idx {
			row[j] = r[i]
		}
		sheet.Rows = append(sheet.Rows, row)
	}
	return sheet
}
