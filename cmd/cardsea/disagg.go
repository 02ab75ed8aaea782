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

// disaggOpts are the flags of 'cardsea infer --phase disagg'.
type disaggOpts struct {
	prefillRanks, decodeRanks, outputLen, prefillBatch int
	prefillTP, prefillPP, prefillEP                    int
	ttftSLO, tpotSLO                                   float64
	format                                             report.Format
	cost                                               power.Cost
	curve, searchPar, contextSet                       bool
	trace                                              string
	fail                                               []string
}

// runDisagg runs a prefill instance and a decode instance with the KV
// transfer between them; base carries the flags both share and the
// decode instance's batch and parallelism.
func runDisagg(topoName string, domains, ranks int, base infer.Config, o disaggOpts, stdout io.Writer) error {
	switch {
	case ranks != 0:
		return usagef("--phase disagg places its instances with --prefill-ranks and --decode-ranks, not --ranks")
	case o.prefillRanks < 1 || o.decodeRanks < 1:
		return usagef("--phase disagg needs --prefill-ranks and --decode-ranks of at least 1 accelerator each, e.g. --prefill-ranks 16 --decode-ranks 160")
	case o.outputLen < 1:
		return usagef("--output-len %d: want at least 1 token per request", o.outputLen)
	case o.prefillBatch < 0:
		return usagef("--prefill-batch %d: want at least 1 prompt per accelerator", o.prefillBatch)
	case o.curve, o.searchPar:
		return usagef("--phase disagg takes neither --curve nor --search-parallelism; give the instances' parallelism, and --ttft-slo or --tpot-slo to search batches")
	case o.trace != "":
		return usagef("--trace does not draw --phase disagg yet; trace the prefill or decode phase alone")
	case len(o.fail) > 0:
		return usagef("--fail does not combine with --phase disagg yet; run the prefill or decode phase alone with faults")
	}
	t, err := topology.Load(topoName, domains)
	if err != nil {
		return err
	}
	if n := len(t.Accels); o.prefillRanks+o.decodeRanks > n {
		return usagef("--prefill-ranks %d + --decode-ranks %d = %d accelerators, but %s has %d; use fewer, or --domains to add domains",
			o.prefillRanks, o.decodeRanks, o.prefillRanks+o.decodeRanks, t.Name, n)
	}
	pre := base
	pre.Accelerators, pre.Batch = o.prefillRanks, max(o.prefillBatch, 1)
	pre.TP, pre.PP, pre.EP = o.prefillTP, o.prefillPP, o.prefillEP
	pre.MTPDraft, pre.MTPAccept = 0, 0
	dec := base
	dec.Accelerators, dec.FirstAccelerator = o.decodeRanks, o.prefillRanks
	if !o.contextSet {
		dec.Context = 0 // the mean over a request: input + output/2
	}
	d := infer.Disagg{Prefill: pre, Decode: dec, OutputLen: o.outputLen}
	e := infer.NewEngine(t)
	var r infer.DisaggResult
	if o.ttftSLO > 0 || o.tpotSLO > 0 {
		r, err = e.BestDisaggUnderSLO(d, o.ttftSLO, o.tpotSLO)
	} else {
		r, err = e.RunDisagg(d)
	}
	if err != nil {
		return err
	}
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
