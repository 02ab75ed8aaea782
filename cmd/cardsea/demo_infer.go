package main

import (
	"fmt"
	"sync"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
)

// demoServing is how each demo system serves DeepSeek-R1 decode: the
// CloudMatrix-Infer deployment (160 NPUs, INT8, EP320, MTP), a whole NVL72
// in FP8 with EP72, and one HGX H20 box in FP8 with TP8 attention and EP8
// experts (the weights do not fit with attention replicated per GPU).
var demoServing = map[string]infer.Config{
	"cm384": {Accelerators: 160, Phase: infer.Decode, Context: 4096, MicroBatches: 2, MTPDraft: 1, MTPAccept: 0.7,
		Precision: compute.Precision{Weights: topology.INT8, Activations: topology.BF16, KVCache: topology.BF16}},
	"gb200-nvl72": {Phase: infer.Decode, Context: 4096, MicroBatches: 2, MTPDraft: 1, MTPAccept: 0.7,
		Precision: compute.Precision{Weights: topology.FP8, Activations: topology.BF16, KVCache: topology.BF16}},
	"hgx-h20": {Phase: infer.Decode, Context: 4096, TP: 8, MicroBatches: 2, MTPDraft: 1, MTPAccept: 0.7,
		Precision: compute.Precision{Weights: topology.FP8, Activations: topology.BF16, KVCache: topology.BF16}},
}

const demoTPOT = 0.050

// demoInference finds, for each system, the batch with the most tokens/s
// per accelerator under a 50 ms TPOT, in parallel.
func demoInference(tops []*topology.Topology) (*report.Sheet, error) {
	m, err := llm.Load("deepseek-r1")
	if err != nil {
		return nil, err
	}
	res := make([]infer.Result, len(tops))
	errs := make([]error, len(tops))
	var wg sync.WaitGroup
	for i, t := range tops {
		cfg, ok := demoServing[t.Name]
		if !ok {
			return nil, fmt.Errorf("no demo serving setup for %s", t.Name)
		}
		cfg.Model = m
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = infer.NewEngine(t).BestUnderSLO(cfg, demoTPOT)
		}()
	}
	wg.Wait()
	cost := power.Cost{PricePerKWh: 0.08}
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
		sheet.Rows = append(sheet.Rows, schema.Row(&study.InferenceRecord{Topology: tops[i].Name, Result: r, Cost: cost}))
	}
	sheet.Notes = []string{
		"cm384 serves on 160 NPUs (320 dies, INT8, EP320) as CloudMatrix-Infer does; power is their share of the system's. KV cache BF16 on all three.",
		"Search: the largest batch per accelerator whose TPOT stays within 50 ms. 'cardsea infer --help' for the model.",
	}
	return sheet, nil
}
