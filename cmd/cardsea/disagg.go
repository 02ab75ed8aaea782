package main

import (
	"fmt"
	"io"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/units"
)

// runDisagg runs a compiled disaggregated job on t: a prefill instance
// and a decode instance with the KV transfer between them.
func runDisagg(t *topology.Topology, job *study.InferenceJob, spec *study.InferenceSpec, cost power.Cost, f report.Format, stdout io.Writer) error {
	j, err := job.For(t)
	if err != nil {
		return flagError(err, spec)
	}
	rec, err := j.Run(infer.NewEngine(t), nil)
	if err != nil {
		return flagError(err, spec)
	}
	r := rec.(*study.DisaggRecord).Result
	o := struct {
		format                    report.Format
		cost                      power.Cost
		prefillRanks, decodeRanks int
	}{f, cost, j.Disagg.Prefill.Accelerators, j.Disagg.Decode.Accelerators}
	base := j.Config
	sheet := disaggSheet(t, r, o.cost)
	if o.format == report.FormatTable || o.format == report.FormatMarkdown {
		sheet.Title = fmt.Sprintf("%s, prefill/decode disaggregated on %s", base.Model.Title, t.Title)
		sheet.Vertical = true
		sheet.Notes = []string{
			fmt.Sprintf("Prefill on accelerators 0-%d, decode on %d-%d; each instance's step simulated as 'cardsea infer' does.",
				o.prefillRanks-1, o.prefillRanks, o.prefillRanks+o.decodeRanks-1),
			"KV transfer: a prefill batch's KV cache at once, from the prefill dies holding each layer to the decode dies attending to it, simulated on the fabric; TTFT is prefill plus transfer.",
			"Balanced system: enough prefill instances (a fraction means sharing) to keep one decode instance busy; its tokens/s are output tokens; power is each instance's share of the topology's at its step's average (IT).",
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
	}
	return sheet.Write(stdout, o.format)
}

// disaggSheet is one disaggregated configuration in the record schema's
// disaggregation fields (study.Fields).
func disaggSheet(t *topology.Topology, r infer.DisaggResult, cost power.Cost) *report.Sheet {
	return study.Command(&study.DisaggRecord{}).Sheet(&study.DisaggRecord{Topology: t.Name, Result: r, Cost: cost})
}
