package present

import (
	"fmt"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/units"
)

// Inference lays out inference results on t (a step, a search's best, or
// a curve's points) in the record schema's inference fields; healthy,
// when given, is the same configuration without the faults, row by row.
// tabular adds the title and the notes a table or Markdown reader needs.
func Inference(t *topology.Topology, results []infer.Result, cost power.Cost, before []infer.Result, mode power.Mode, tabular bool) *report.Sheet {
	sheet := inferSheet(t, results, cost, before, tabular)
	if tabular {
		cfg := results[0].Config
		sheet.Title = fmt.Sprintf("%s %s on %s", cfg.Model.Title, cfg.Phase, t.Title)
		if before != nil {
			sheet.Title += fmt.Sprintf(", with faults %s", topology.FaultList(t.Faults))
			sheet.Notes = append(sheet.Notes, "Faults hold for the whole step; 'healthy' is the same configuration without them (failed accelerators serve nothing, so the accelerator counts may differ).")
		}
		sheet.Vertical = len(results) == 1
		if cfg.Phase == infer.Serve {
			sheet.Notes = append(sheet.Notes, fmt.Sprintf("Serve: continuous batching in steady state; each step decodes every running sequence (KV %d tokens, input + output/2) and prefills batch/%d new prompts of %d tokens per accelerator; TPOT is the step, TTFT half a step plus the step (no queueing); tokens/s count output tokens.",
				infer.ServeContext(cfg), cfg.OutputLen, cfg.InputLen))
		}
		sheet.Notes = append([]string{
			"Per-operator roofline with the preset's efficiencies; collectives simulated on the fabric (docs/architecture.md).",
			fmt.Sprintf("Power: %s accounting; the serving accelerators' share of the topology's power (pro rata by accelerators); per-kW figures use average IT power; tokens/s per MW is per MW of provisioned facility power (every component at its rating, PUE included: InferenceX's all-in basis), per average MW beside it; energy by component is per step.", mode),
		}, sheet.Notes...)
		for _, r := range results[:1] {
			for _, c := range r.Comm {
				sheet.Notes = append(sheet.Notes, fmt.Sprintf("%s: %s each, %d per step", c.Name, units.FormatDuration(c.PerLayer), c.Count))
			}
		}
	}
	return sheet
}

// sameAsPerKW are the fields that restate tokens/s per IT kW (tokens per
// J is it over 1000, J per token 1000 over it): CSV and JSON carry them,
// a table reads the one figure.
var sameAsPerKW = []string{"tokens_per_j", "j_per_token"}

// inferSheet lays out inference records in the record schema's inference
// fields (study.Fields), tables without sameAsPerKW; healthy, when given, is the same configuration
// without the faults, row by row (an SLO search or a curve may differ in
// length: unmatched rows stay empty).
func inferSheet(t *topology.Topology, rs []infer.Result, cost power.Cost, healthy []infer.Result, tabular bool) *report.Sheet {
	schema := study.Command(&study.InferenceRecord{})
	if tabular {
		schema = schema.Without(sameAsPerKW...)
	}
	if healthy == nil {
		schema = schema.Without("tokens_per_s_per_accel_healthy", "tokens_per_s_per_accel_ratio", "accelerators_healthy")
	}
	sheet := &report.Sheet{Columns: schema.Columns()}
	for i, r := range rs {
		sheet.Rows = append(sheet.Rows, schema.Row(inferRecord(t, r, cost, healthy, i)))
	}
	return sheet
}

// inferRecord is result r of a command's run on t, with the i-th healthy
// result where there is one.
func inferRecord(t *topology.Topology, r infer.Result, cost power.Cost, healthy []infer.Result, i int) *study.InferenceRecord {
	rec := &study.InferenceRecord{Topology: t.Name, Result: r, Cost: cost}
	if i < len(healthy) {
		rec.Healthy = &healthy[i]
	}
	return rec
}

// Disagg lays out a disaggregated deployment on t in the record schema's
// disaggregation fields; tabular adds the title and the notes.
func Disagg(t *topology.Topology, r infer.DisaggResult, cost power.Cost, tabular bool) *report.Sheet {
	schema := study.Command(&study.DisaggRecord{})
	if !tabular {
		return schema.Sheet(&study.DisaggRecord{Topology: t.Name, Result: r, Cost: cost})
	}
	sheet := schema.Without(sameAsPerKW...).Sheet(&study.DisaggRecord{Topology: t.Name, Result: r, Cost: cost})
	pre, dec := r.Prefill.Accelerators, r.Decode.Accelerators
	sheet.Title = fmt.Sprintf("%s, prefill/decode disaggregated on %s", r.Decode.Config.Model.Title, t.Title)
	sheet.Vertical = true
	sheet.Notes = []string{
		fmt.Sprintf("Prefill on accelerators 0-%d, decode on %d-%d; each instance's step simulated as 'cardsea infer' does.", pre-1, pre, pre+dec-1),
		"KV transfer: a prefill batch's KV cache at once, from the prefill dies holding each layer to the decode dies attending to it, simulated on the fabric; TTFT is prefill plus transfer.",
		fmt.Sprintf("Deployment: %d prefill : %d decode instances, the fewest whole instances that balance (decode instances full, the prefill pool at least %.0f%% used, no pool over 100%%); the balanced ratio, %.3f prefill instances per decode instance, is its fractional limit.",
			r.PrefillInstances, r.DecodeInstances, infer.BalancedUse*100, r.PrefillPerDecode),
		"The deployment's tokens/s are output tokens; its power is every instance at its step's average (an under-used prefill instance counts as running); per-kW figures use average IT power, per-MW average facility power.",
	}
	if r.KVTransferBound {
		sheet.Notes = append(sheet.Notes, "The KV transfer takes longer than a prefill step: it, not the prefill, limits the prefill instance.")
	}
	for _, c := range r.Prefill.Comm {
		sheet.Notes = append(sheet.Notes, fmt.Sprintf("prefill %s: %s each, %d per step", c.Name, units.FormatDuration(c.PerLayer), c.Count))
	}
	for _, c := range r.Decode.Comm {
		sheet.Notes = append(sheet.Notes, fmt.Sprintf("decode %s: %s each, %d per step", c.Name, units.FormatDuration(c.PerLayer), c.Count))
	}
	return sheet
}
