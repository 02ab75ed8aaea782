package main

import (
	"fmt"
	"io"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/trace"
	"github.com/cardsea/cardsea/units"
)

const inferUsage = `
Usage:
  cardsea infer --topo NAME [--domains N] [--ranks R] --model M --phase prefill|decode
                --batch B [--input-len L] [--context C] [--tp N] [--pp N] [--ep N] [--dp N] [--attn-dp]
                [--weights-dtype bf16] [--kv-dtype bf16] [--act-dtype bf16] [--dtype-map fp8=int8]
                [--mtp-draft K --mtp-accept P] [--microbatches 1|2] [--expert-imbalance 1.0] [--hbm-fraction 1.0]
                [--tpot-slo 50ms | --ttft-slo 2s [--search-parallelism]] [--curve]
                [--format table|markdown|json|csv]
                [--fail SPEC]...
  cardsea infer --topo NAME [--ranks R] --model M --phase serve --input-len L --output-len O
                --batch B | --tpot-slo 200ms [--ttft-slo 2s] [--tp N] [--pp N] [--ep N]
                [dtype, power and output flags as above]
  cardsea infer --topo NAME --model M --phase disagg --prefill-ranks P --decode-ranks D
                --input-len L --output-len O [--prefill-batch B] [--batch B]
                [--prefill-tp N] [--prefill-pp N] [--prefill-ep N] [--tp N] [--pp N] [--ep N]
                [--ttft-slo 2s] [--tpot-slo 50ms] [dtype, MTP, power flags as above]

Simulates one inference step of a model (see 'cardsea models list') on the
first R accelerators of a topology: every operator's time from the roofline
with the preset's efficiencies, every collective (TP allreduce, MoE dispatch
and combine, PP send) simulated on the fabric. Reports TTFT (prefill) or TPOT
(decode), the step's compute, exposed communication and overhead, tokens/s
for the system, per accelerator and per user, memory per die, and power:
tokens/s per kW, joules per token, and the step's energy by component
(accelerators, CPUs, switches, optics, NICs, server overhead, cooling).
Weights, KV cache and activations must fit in --hbm-fraction of each die's
HBM: by default all of it, the physical limit; serving engines keep some for
their runtime, workspace and fragmentation (vLLM's gpu_memory_utilization
defaults to 0.9), so --hbm-fraction 0.9 gives a conservative 'Largest batch
that fits' and SLO search.

--batch counts sequences per accelerator in both phases, as the CloudMatrix
and SGLang reports count it: 16K prefill tokens per NPU at 4K prompts is
--batch 4 --input-len 4096. Parallel units are dies (Ascend 910C has two per
package); DP fills what TP x PP leave (--dp N sets it and TP follows), and a
MoE model's experts spread over every die of a pipeline stage unless --ep
says otherwise. --attn-dp is DeepSeek's attention data parallelism: TP 1,
every die attending to its own sequences, with the experts over the stage.

--tpot-slo (or --ttft-slo) searches the batch for the most tokens/s per
accelerator within the limit; with --search-parallelism it also tries PP 1,
2, 4 and 8 (unless --pp is given), TP 1, 2, 4 and 8 within a stage (TP 1 is
attention data parallelism) and, for MoE models, EP over the whole stage,
half or a quarter of it (each a batch search: slow on large systems,
progress on stderr), and reports the best, its TP, PP and EP in the table.
With PP, a replica's sequences split into as many groups as stages (fewer
if there are too few sequences: stages then idle, which lengthens the
step) that follow one another through the stages; activations move
between stages as sends simulated on the fabric. --curve prints
throughput against interactivity for doubling batches. --trace FILE.json
writes the step as a Chrome/Perfetto timeline (open it at ui.perfetto.dev):
per accelerator, each layer's computation and the communication it waits
on.

--phase serve is the steady state of continuous (in-flight) batching, as
TensorRT-LLM, vLLM and SGLang serve a stream of requests and as MLPerf's
Offline and Server scenarios measure it: --batch sequences per accelerator
are in flight; every step decodes each of them (one token over the mean KV
length, --input-len + --output-len/2) and, in the same step, prefills the
prompts of the sequences that replace those finishing (--batch/--output-len
new prompts of --input-len tokens per accelerator): the GEMMs and the TP
allreduce carry all of the step's tokens, attention runs a decode and a
prefill kernel. --input-len and --output-len are the request mix's means.
Tokens/s counts output tokens; TPOT is the step; TTFT is half a step (the
wait for the next one) plus the step that prefills the prompt, without
queueing for a free slot. An offline run is the largest --batch that fits
(see "Largest batch that fits"); --tpot-slo finds the largest batch whose
step is within the limit, --ttft-slo one whose TTFT is (the step at 2/3 of
it); both may be given. The steady state is an average: the spread of
request lengths and arrival times (a server's 99th percentiles) is not
modelled, nor MTP.

--phase disagg serves prefill and decode on separate instances of one
topology: prefill on the first P accelerators (--prefill-ranks, with
--prefill-batch prompts per accelerator and --prefill-tp/pp/ep), decode on
the next D (--decode-ranks, with --batch, --tp/--pp/--ep and --context,
which defaults to the mean KV length over a request, input + output/2).
Each prompt's KV cache (the model's KV bytes per token x --input-len, in
--kv-dtype) moves from the prefill dies that hold each layer to the decode
dies that need it, a whole prefill batch at once, simulated on the fabric:
over the scale-up fabric within a supernode, over the scale-out network
between HGX boxes (--domains 2). TTFT is prefill plus that transfer. It
reports both instances' throughput, the KV transfer (bytes per request,
bytes and time per prefill batch), how many prefill instances keep one
decode instance busy for --output-len tokens per request, and for that
balanced system output tokens/s per accelerator and per kW. --ttft-slo
searches the prefill batch (KV transfer included), --tpot-slo the decode
batch; both may be given.

--fail SPEC (repeatable; the forms of 'cardsea help collective': switch:NAME,
plane:N, link:A-B, accel:N, degrade:A-B=F) runs the step with and without the
faults and adds the healthy tokens/s per accelerator and the ratio. Failed
accelerators serve nothing: without --ranks the survivors serve, and --ranks
counts survivors. A fault that cuts a serving die off is an error.

Examples:
  cardsea infer --topo cm384 --ranks 160 --model deepseek-r1 --phase decode --batch 96 \
      --context 4096 --weights-dtype int8 --mtp-draft 1 --mtp-accept 0.7 --microbatches 2
  cardsea infer --topo gb200-nvl72 --model deepseek-r1 --phase decode --context 4096 \
      --weights-dtype fp8 --tpot-slo 50ms
  cardsea infer --topo gb200-nvl72 --ranks 64 --model deepseek-r1 --phase decode --batch 64 \
      --weights-dtype fp8 --fail plane:3 --fail accel:17
  cardsea infer --topo hgx-h100 --model llama-3.1-70b --phase decode --tp 8 --context 2048 --curve
  cardsea infer --topo hgx-h200 --model llama-2-70b --phase serve --input-len 218 --output-len 294 \
      --tp 1 --batch 806 --weights-dtype fp8 --kv-dtype fp8 --microbatches 1
  cardsea infer --topo hgx-h100 --model llama-2-70b --phase serve --input-len 218 --output-len 294 \
      --tp 2 --weights-dtype fp8 --kv-dtype fp8 --tpot-slo 200ms --ttft-slo 2s
  cardsea infer --topo cm384 --model deepseek-r1 --phase disagg --prefill-ranks 16 --decode-ranks 160 \
      --input-len 4096 --output-len 1024 --prefill-batch 4 --batch 96 --weights-dtype int8 \
      --mtp-draft 1 --microbatches 2
  cardsea infer --topo hgx-h100 --domains 2 --model llama-3.1-70b --phase disagg --prefill-ranks 8 \
      --decode-ranks 8 --prefill-tp 8 --tp 8 --output-len 1024 --weights-dtype fp8 --kv-dtype fp8 \
      --ttft-slo 1s --tpot-slo 30ms
`

func runInfer(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("infer", inferUsage)
	topo := fs.StringP("topo", "t", "", "topology: preset or file (required)")
	domains := fs.IntP("domains", "n", 0, "scale-up domains (default: the preset's)")
	var spec study.InferenceSpec
	bindSpec(fs, &spec, study.InferenceDefaults)
	curve := fs.Bool("curve", false, "print tokens/s per accelerator against tokens/s per user for doubling batches")
	pmode := fs.String("power-mode", "activity", "activity or provisioned")
	price := fs.Float64("price-per-kwh", 0.08, "electricity price, USD per kWh (energy cost per million tokens)")
	capex := fs.Float64("capex-per-accel", 0, "all-in system price per accelerator, USD (capital cost per million tokens)")
	years := fs.Float64("amortization-years", 4, "years over which capex is written off")
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json or csv")
	traceFile := fs.String("trace", "", "write a Chrome/Perfetto trace (JSON) of the step (the last one with --curve)")
	fail := fs.StringArray("fail", nil, "fail an element (repeatable): switch:NAME, plane:N, link:A-B, accel:N, degrade:A-B=F; runs with and without")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("infer takes flags only, got %q", fs.Args())
	}
	if *topo == "" || spec.Model == "" {
		return usagef("infer needs --topo and --model, e.g. --topo cm384 --model deepseek-r1 (see 'cardsea models list')")
	}
	if err := givenZero(fs, &spec); err != nil {
		return err
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("infer: %v", err)
	}
	mode, err := power.ParseMode(*pmode)
	if err != nil {
		return usagef("--power-mode: %v", err)
	}
	cost := power.Cost{PricePerKWh: *price, CapexPerAccel: *capex, AmortizationYears: *years}
	if err := cost.Validate(); err != nil {
		return usagef("cost: %v", err)
	}
	job, err := spec.Compile("")
	if err != nil {
		return flagError(err, &spec)
	}
	job.SetPowerMode(mode)
	switch {
	case job.Disagg != nil && *curve:
		return usagef("--phase disagg takes no --curve; give the instances' parallelism, and --ttft-slo or --tpot-slo to search batches")
	case job.Disagg != nil && *traceFile != "":
		return usagef("--trace does not draw --phase disagg yet; trace the prefill or decode phase alone")
	case job.Disagg != nil && len(*fail) > 0:
		return usagef("--fail does not combine with --phase disagg yet; run the prefill or decode phase alone with faults")
	case *curve && job.Search:
		return usagef("--search-parallelism searches under a limit, not along --curve; drop one of them")
	}
	t, err := topology.Load(*topo, *domains)
	if err != nil {
		return err
	}
	if job.Disagg != nil {
		return runDisagg(t, job, &spec, cost, f, stdout)
	}
	healthy, t, err := applyFaults(t, *fail)
	if err != nil {
		return err
	}
	runAll := func(t *topology.Topology) ([]infer.Result, error) {
		j, err := job.For(t)
		if err != nil {
			return nil, flagError(err, &spec)
		}
		e := infer.NewEngine(t)
		if *curve {
			maxB := 4096
			if spec.Batch > 0 {
				maxB = spec.Batch
			}
			return e.Curve(j.Config, infer.Batches(maxB))
		}
		rec, err := j.Run(e, progress(stderr, "parallelism configurations searched"))
		if err != nil {
			return nil, flagError(err, &spec)
		}
		return []infer.Result{rec.(*study.InferenceRecord).Result}, nil
	}
	var before []infer.Result
	if healthy != t {
		if before, err = runAll(healthy); err != nil {
			return fmt.Errorf("without the faults: %w", err)
		}
	}
	results, err := runAll(t)
	if err != nil {
		return err
	}
	if *traceFile != "" {
		tr := trace.New()
		infer.AddTrace(tr, t, results[len(results)-1])
		data, err := tr.Marshal()
		if err != nil {
			return err
		}
		if err := writeAtomic(*traceFile, data); err != nil {
			return err
		}
	}
	sheet := inferSheet(t, results, cost, before)
	if f == report.FormatTable || f == report.FormatMarkdown {
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
			fmt.Sprintf("Power: %s accounting; the serving accelerators' share of the topology's power (pro rata by accelerators); per-kW and per-J figures use IT power, per-MW facility power; energy by component is per step.", mode),
		}, sheet.Notes...)
		for _, r := range results[:1] {
			for _, c := range r.Comm {
				sheet.Notes = append(sheet.Notes, fmt.Sprintf("%s: %s each, %d per step", c.Name, units.FormatDuration(c.PerLayer), c.Count))
			}
		}
	}
	return sheet.Write(stdout, f)
}

// inferSheet lays out inference records in the record schema's inference
// fields (study.Fields); healthy, when given, is the same configuration
// without the faults, row by row (an SLO search or a curve may differ in
// length: unmatched rows stay empty).
func inferSheet(t *topology.Topology, rs []infer.Result, cost power.Cost, healthy []infer.Result) *report.Sheet {
	schema := study.Command(&study.InferenceRecord{})
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
