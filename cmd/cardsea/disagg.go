package main

import (
	"fmt"
	"io"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/scenario"
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

// disaggSheet is one disaggregated configuration, SI units in the keys.
func disaggSheet(t *topology.Topology, r infer.DisaggResult, cost power.Cost) *report.Sheet {
	p, d := r.Prefill, r.Decode
	pc, dc := p.Config, d.Config
	var perMW float64
	facility := r.PrefillPerDecode*p.FacilityPowerW + d.FacilityPowerW
	if facility > 0 {
		perMW = r.TokensPerS / (facility / 1e6)
	}
	// Capital is per accelerator: the balanced system's may be fractional.
	e, k := cost.PerMillion(r.TokensPerS, facility, 1)
	k *= r.Accelerators
	type cell struct {
		col report.Column
		v   any
	}
	cells := []cell{
		{report.Column{Key: "topology", Header: "Topology"}, t.Name},
		{report.Column{Key: "model", Header: "Model"}, pc.Model.Name},
		{report.Column{Key: "phase", Header: "Phase"}, "disagg"},
		{report.Column{Key: "weights_dtype", Header: "Weights dtype"}, pc.Precision.Weights.String()},
		{report.Column{Key: "kv_dtype", Header: "KV cache dtype"}, pc.Precision.KVCache.String()},
		{report.Column{Key: "input_tokens", Header: "Input (tokens per request)"}, pc.InputLen},
		{report.Column{Key: "output_tokens", Header: "Output (tokens per request)"}, r.OutputLen},
		{report.Column{Key: "prefill_accelerators", Header: "Prefill accelerators"}, p.Accelerators},
		{report.Column{Key: "prefill_tp", Header: "Prefill TP"}, pc.TP},
		{report.Column{Key: "prefill_pp", Header: "Prefill PP"}, pc.PP},
		{report.Column{Key: "prefill_ep", Header: "Prefill EP"}, pc.EP},
		{report.Column{Key: "prefill_dp", Header: "Prefill DP"}, p.DP},
		{report.Column{Key: "prefill_batch_per_accel", Header: "Prefill batch (prompts per accelerator)"}, pc.Batch},
		{report.Column{Key: "prefill_step_s", Header: "Prefill step (ms)", Scale: 1e-3, Digits: 1}, p.StepS},
		{report.Column{Key: "prefill_tokens_per_s_per_accel", Header: "Prefill tokens/s per accelerator", Digits: 1}, p.TokensPerSPerAccel},
		{report.Column{Key: "prefill_memory_bytes_per_die", Header: "Prefill memory per die (GB)", Scale: 1e9, Digits: 1}, p.MemoryBytesPerDie},
		{report.Column{Key: "kv_bytes_per_request", Header: "KV cache per request (MB)", Scale: 1e6, Digits: 1}, r.KVBytesPerRequest},
		{report.Column{Key: "kv_transfer_bytes", Header: "KV transfer per prefill batch (GB)", Scale: 1e9, Digits: 3}, r.KVTransferBytes},
		{report.Column{Key: "kv_transfer_s", Header: "KV transfer per prefill batch (ms)", Scale: 1e-3, Digits: 2}, r.KVTransferS},
		{report.Column{Key: "kv_transfer_bytes_per_s", Header: "KV transfer rate (GB/s)", Scale: 1e9, Digits: 1}, r.KVTransferBytesPerS},
		{report.Column{Key: "kv_transfer_bound", Header: "KV transfer limits prefill"}, r.KVTransferBound},
		{report.Column{Key: "prefill_ttft_s", Header: "Prefill alone (ms)", Scale: 1e-3, Digits: 1}, p.TTFTS},
		{report.Column{Key: "ttft_s", Header: "TTFT, prefill + KV transfer (ms)", Scale: 1e-3, Digits: 1}, r.TTFTS},
		{report.Column{Key: "decode_accelerators", Header: "Decode accelerators"}, d.Accelerators},
		{report.Column{Key: "tp", Header: "Decode TP"}, dc.TP},
		{report.Column{Key: "pp", Header: "Decode PP"}, dc.PP},
		{report.Column{Key: "ep", Header: "Decode EP"}, dc.EP},
		{report.Column{Key: "dp", Header: "Decode DP"}, d.DP},
		{report.Column{Key: "batch_per_accel", Header: "Decode batch (sequences per accelerator)"}, dc.Batch},
		{report.Column{Key: "context_tokens", Header: "Decode context (tokens)"}, dc.Context},
		{report.Column{Key: "tpot_s", Header: "TPOT (ms)", Scale: 1e-3, Digits: 2}, r.TPOTS},
		{report.Column{Key: "tokens_per_s_per_user", Header: "Tokens/s per user", Digits: 1}, d.TokensPerSPerUser},
		{report.Column{Key: "decode_tokens_per_s_per_accel", Header: "Decode tokens/s per accelerator", Digits: 1}, d.TokensPerSPerAccel},
		{report.Column{Key: "decode_memory_bytes_per_die", Header: "Decode memory per die (GB)", Scale: 1e9, Digits: 1}, d.MemoryBytesPerDie},
		{report.Column{Key: "prefill_requests_per_s", Header: "Prefill instance (requests/s)", Digits: 2}, r.PrefillRequestsPerS},
		{report.Column{Key: "decode_requests_per_s", Header: "Decode instance (requests/s)", Digits: 2}, r.DecodeRequestsPerS},
		{report.Column{Key: "prefill_per_decode_instances", Header: "Prefill instances per decode instance", Digits: 3}, r.PrefillPerDecode},
		{report.Column{Key: "prefill_instances", Header: "Whole deployment: prefill instances"}, r.PrefillInstances},
		{report.Column{Key: "decode_instances", Header: "Whole deployment: decode instances"}, r.DecodeInstances},
		{report.Column{Key: "prefill_use", Header: "Whole deployment: prefill capacity used (%)", Scale: 0.01, Digits: 0}, r.PrefillUse},
		{report.Column{Key: "whole_accelerators", Header: "Whole deployment: accelerators"}, r.WholeAccelerators},
		{report.Column{Key: "accelerators", Header: "Balanced system (accelerators)", Digits: 1}, r.Accelerators},
		{report.Column{Key: "tokens_per_s", Header: "Output tokens/s (balanced system)", Digits: 0}, r.TokensPerS},
		{report.Column{Key: "tokens_per_s_per_accel", Header: "Output tokens/s per accelerator", Digits: 1}, r.TokensPerSPerAccel},
		{report.Column{Key: "power_w", Header: "Avg IT power (kW)", Scale: 1e3, Digits: 1}, r.PowerW},
		{report.Column{Key: "tokens_per_s_per_kw", Header: "Output tokens/s per IT kW", Digits: 1}, r.TokensPerKW},
		{report.Column{Key: "j_per_token", Header: "J per output token (IT)", Digits: 3}, r.JPerToken},
		{report.Column{Key: "tokens_per_s_per_mw", Header: "Output tokens/s per facility MW", Digits: 0}, perMW},
		{report.Column{Key: "energy_cost_per_mtok_usd", Header: "Energy cost per million output tokens (USD)", Digits: 3}, e},
	}
	costs := scenario.CostCells(cost, e, k)
	cells = append(cells,
		cell{report.Column{Key: "capex_per_mtok_usd", Header: "Capital cost per million output tokens (USD)", Digits: 3}, costs[1]},
		cell{report.Column{Key: "total_cost_per_mtok_usd", Header: "Total cost per million output tokens (USD)", Digits: 3}, costs[2]})
	sheet := &report.Sheet{}
	var row []any
	for _, c := range cells {
		sheet.Columns = append(sheet.Columns, c.col)
		row = append(row, c.v)
	}
	sheet.Rows = [][]any{row}
	return sheet
}
