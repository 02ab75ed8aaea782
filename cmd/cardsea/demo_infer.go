package main

import (
	"fmt"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
)

// demoServing is how each demo system serves DeepSeek-R1 decode: the
// CloudMatrix-Infer deployment (160 NPUs, INT8, EP320, MTP), a whole NVL72
// in FP8 with EP72, and one HGX H20 box in FP8 with TP8 attention and EP8
// experts (the weights do not fit with attention replicated per GPU).
var demoServing = map[string]study.InferenceSpec{
	"cm384":       {Accelerators: 160, WeightsDtype: "int8", MicroBatches: 2, MTPDraft: 1},
	"gb200-nvl72": {WeightsDtype: "fp8", MicroBatches: 2, MTPDraft: 1},
	"hgx-h20":     {TP: 8, WeightsDtype: "fp8", MicroBatches: 2, MTPDraft: 1},
}

// demoTPOT is the demo's latency limit per output token.
const demoTPOT = "50ms"

// demoInference finds, for each system, the batch with the most tokens/s
// per accelerator under a 50 ms TPOT (DeepSeek-R1 decode at a 4K context,
// one MTP draft token at 70%), in parallel.
func demoInference(tops []*topology.Topology) (*report.Sheet, error) {
	jobs := make([]*study.InferenceJob, len(tops))
	for i, t := range tops {
		spec, ok := demoServing[t.Name]
		if !ok {
			return nil, fmt.Errorf("no demo serving setup for %s", t.Name)
		}
		spec.Model, spec.Phase, spec.Context, spec.TPOTSLO = "deepseek-r1", "decode", 4096, demoTPOT
		j, err := spec.Compile("")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
		if jobs[i], err = j.For(t); err != nil {
			return nil, fmt.Errorf("%s: %w", t.Name, err)
		}
	}
	cost := power.Cost{PricePerKWh: 0.08}
	res, errs, _ := study.Map(study.Runner{}, len(tops), func() struct{} { return struct{}{} }, func(_ struct{}, i int) (study.Record, error) {
		return jobs[i].Run(infer.NewEngine(tops[i]), nil)
	})
	for i := range res {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s: %w", tops[i].Name, errs[i])
		}
	}
	// One line per quantity, one column per system, as the system table
	// above: 30 columns side by side do not fit a terminal. The energy
	// breakdown is in 'cardsea infer' and the scenario records.
	schema := study.Command(&study.InferenceRecord{}).Without(study.EnergyBreakdown().Keys()...).
		Without("tokens_per_s_per_accel_healthy", "tokens_per_s_per_accel_ratio", "accelerators_healthy",
			"power_mode", "energy_j", "facility_energy_j", "peak_power_w", "energy_cost_usd")
	sheet := &report.Sheet{Columns: schema.Columns(), Vertical: true}
	sheet.Title = "DeepSeek-R1 decode, most tokens/s per accelerator under a 50 ms TPOT (context 4K, MTP 1 draft at 70%)"
	for i, r := range res {
		r.Label(tops[i].Name, "", cost)
		sheet.Rows = append(sheet.Rows, schema.Row(r))
	}
	sheet.Notes = []string{
		"cm384 serves on 160 NPUs (320 dies, INT8, EP320) as CloudMatrix-Infer does; power is their share of the system's. KV cache BF16 on all three.",
		"Search: the largest batch per accelerator whose TPOT stays within 50 ms. 'cardsea infer --help' for the model.",
	}
	return sheet, nil
}
