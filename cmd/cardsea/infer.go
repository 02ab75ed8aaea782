package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/llm"
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
	fs := newFlags("infer", inferUsage, stderr)
	topo := fs.StringP("topo", "t", "", "topology: preset or file (required)")
	domains := fs.IntP("domains", "n", 0, "scale-up domains (default: the preset's)")
	ranks := fs.IntP("ranks", "r", 0, "accelerators serving: the first R (default all)")
	model := fs.StringP("model", "m", "", "model: zoo name or model file (required)")
	phase := fs.String("phase", "decode", "prefill, decode, serve (continuous batching of a request mix) or disagg (prefill and decode instances with KV transfer)")
	batch := fs.IntP("batch", "b", 0, "sequences per accelerator (default 1, or searched with an SLO)")
	inputLen := fs.Int("input-len", 4096, "prompt tokens (prefill, disagg; serve: the mean per request)")
	context := fs.Int("context", 4096, "KV length per sequence (decode; disagg: input + output/2)")
	outputLen := fs.Int("output-len", 1024, "disagg: tokens generated per request; serve: the mean per request")
	prefillRanks := fs.Int("prefill-ranks", 0, "disagg: accelerators of the prefill instance (the first ones)")
	decodeRanks := fs.Int("decode-ranks", 0, "disagg: accelerators of the decode instance (after the prefill's)")
	prefillBatch := fs.Int("prefill-batch", 0, "disagg: prompts per prefill accelerator (default 1, or searched with --ttft-slo)")
	prefillTP := fs.Int("prefill-tp", 0, "disagg: prefill tensor parallel degree (default 1)")
	prefillPP := fs.Int("prefill-pp", 0, "disagg: prefill pipeline parallel degree (default 1)")
	prefillEP := fs.Int("prefill-ep", 0, "disagg: prefill expert parallel degree (default: every die of a stage)")
	tp := fs.Int("tp", 0, "tensor parallel degree (default 1)")
	pp := fs.Int("pp", 0, "pipeline parallel degree (default 1)")
	ep := fs.Int("ep", 0, "expert parallel degree (default: every die of a stage)")
	dp := fs.Int("dp", 0, "data parallel degree: TP becomes the serving dies / (PP x DP) unless --tp is given, which must agree")
	attnDP := fs.Bool("attn-dp", false, "attention data parallelism (DeepSeek style): TP 1, each die attends to its own sequences, experts spread over the stage")
	wd := fs.String("weights-dtype", "bf16", "weights dtype: bf16, fp8, int8, fp4")
	kd := fs.String("kv-dtype", "bf16", "KV cache dtype")
	ad := fs.String("act-dtype", "bf16", "activation dtype")
	dmap := fs.String("dtype-map", "", "map dtypes the chip lacks, e.g. fp8=int8")
	mtpDraft := fs.Int("mtp-draft", 0, "multi-token prediction: draft tokens per step")
	mtpAccept := fs.Float64("mtp-accept", 0.7, "acceptance rate of a draft token")
	micro := fs.Int("microbatches", 0, "1, 2 (overlap communication with computation) or 0 for the faster")
	imb := fs.Float64("expert-imbalance", 1, "busiest expert rank's load over the mean")
	hbmFrac := fs.Float64("hbm-fraction", 1, "share of each die's HBM the engine may fill (weights, KV cache, activations); vLLM reserves 10% (0.9)")
	tpotSLO := fs.String("tpot-slo", "", "decode latency limit per token, e.g. 50ms: search the batch")
	ttftSLO := fs.String("ttft-slo", "", "prefill latency limit, e.g. 2s: search the batch")
	searchPar := fs.Bool("search-parallelism", false, "with an SLO: also search PP and TP (1, 2, 4, 8) and, for MoE models, EP (the stage, half, a quarter)")
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
	if *topo == "" || *model == "" {
		return usagef("infer needs --topo and --model, e.g. --topo cm384 --model deepseek-r1 (see 'cardsea models list')")
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("infer: %v", err)
	}
	m, err := llm.Load(*model)
	if err != nil {
		return err
	}
	var prec compute.Precision
	for _, d := range []struct {
		s   string
		out *topology.Dtype
		fl  string
	}{{*wd, &prec.Weights, "--weights-dtype"}, {*kd, &prec.KVCache, "--kv-dtype"}, {*ad, &prec.Activations, "--act-dtype"}} {
		if *d.out, err = topology.ParseDtype(d.s); err != nil {
			return usagef("%s: %v", d.fl, err)
		}
	}
	mapping, err := compute.ParseDtypeMap(*dmap)
	if err != nil {
		return usagef("--dtype-map: %v", err)
	}
	mode, err := power.ParseMode(*pmode)
	if err != nil {
		return usagef("--power-mode: %v", err)
	}
	cost := power.Cost{PricePerKWh: *price, CapexPerAccel: *capex, AmortizationYears: *years}
	if err := cost.Validate(); err != nil {
		return usagef("cost: %v", err)
	}
	disagg := strings.EqualFold(*phase, "disagg")
	switch {
	case *hbmFrac <= 0 || *hbmFrac > 1:
		return usagef("--hbm-fraction %g: want a share of the HBM above 0, at most 1 (e.g. 0.9)", *hbmFrac)
	case fs.Changed("batch") && *batch < 1:
		return usagef("--batch %d: want at least 1 sequence per accelerator", *batch)
	case fs.Changed("prefill-batch") && *prefillBatch < 1:
		return usagef("--prefill-batch %d: want at least 1 prompt per accelerator", *prefillBatch)
	case *dp < 0:
		return usagef("--dp %d: want a positive data-parallel degree", *dp)
	case (*dp > 0 || *attnDP) && *searchPar:
		return usagef("--search-parallelism chooses TP and EP itself; drop --dp and --attn-dp, or drop the search")
	case *dp > 0 && disagg:
		return usagef("--dp sets one instance's parallelism; with --phase disagg give --tp/--prefill-tp (DP fills the rest)")
	case *attnDP && fs.Changed("tp") && *tp != 1:
		return usagef("--attn-dp runs attention with TP 1 (each die its own sequences); it contradicts --tp %d", *tp)
	}
	if *attnDP {
		*tp = 1
		if disagg && !fs.Changed("prefill-tp") {
			*prefillTP = 1
		}
	}
	serve := strings.EqualFold(*phase, string(infer.Serve))
	if *tpotSLO != "" && *ttftSLO != "" && !disagg && !serve {
		return usagef("give --tpot-slo or --ttft-slo, not both (both only with --phase disagg or serve)")
	}
	if disagg {
		o := disaggOpts{prefillRanks: *prefillRanks, decodeRanks: *decodeRanks, outputLen: *outputLen, prefillBatch: *prefillBatch,
			prefillTP: *prefillTP, prefillPP: *prefillPP, prefillEP: *prefillEP, format: f, cost: cost, curve: *curve,
			searchPar: *searchPar, trace: *traceFile, fail: *fail, contextSet: fs.Changed("context")}
		for _, s := range []struct {
			flag, val string
			out       *float64
		}{{"--ttft-slo", *ttftSLO, &o.ttftSLO}, {"--tpot-slo", *tpotSLO, &o.tpotSLO}} {
			if s.val == "" {
				continue
			}
			if *s.out, err = units.ParseDuration(s.val); err != nil || *s.out <= 0 {
				return usagef("%s %q: want a duration such as 50ms", s.flag, s.val)
			}
		}
		base := infer.Config{Model: m, Batch: max(*batch, 1), InputLen: *inputLen, Context: *context, TP: *tp, PP: *pp, EP: *ep,
			Precision: prec, DtypeMap: mapping, MTPDraft: *mtpDraft, MTPAccept: *mtpAccept, MicroBatches: *micro,
			ExpertImbalance: *imb, PowerMode: mode, HBMFraction: *hbmFrac}
		if *mtpDraft == 0 {
			base.MTPAccept = 0
		}
		return runDisagg(*topo, *domains, *ranks, base, o, stdout)
	}
	for _, fl := range []string{"output-len", "prefill-ranks", "decode-ranks", "prefill-batch", "prefill-tp", "prefill-pp", "prefill-ep"} {
		if fl == "output-len" && fs.Changed(fl) && !serve {
			return usagef("--output-len is for --phase disagg or serve; --phase is %q", *phase)
		}
		if fl != "output-len" && fs.Changed(fl) {
			return usagef("--%s is for --phase disagg; --phase is %q", fl, *phase)
		}
	}
	if serve && fs.Changed("context") {
		return usagef("--phase serve attends to the mean KV length, --input-len + --output-len/2; drop --context")
	}
	switch ph := strings.ToLower(*phase); {
	case ph == "decode" && *ttftSLO != "":
		return usagef("--ttft-slo limits a prefill step; decode is limited per token: use --tpot-slo")
	case ph == "prefill" && *tpotSLO != "":
		return usagef("--tpot-slo limits a decode step; a prefill step is limited by --ttft-slo")
	}
	if fs.Changed("batch") && (*tpotSLO != "" || *ttftSLO != "") {
		return usagef("--batch %d and a latency limit: the limit searches the batch; drop one of them", *batch)
	}

	var slo, ttft, tpot float64
	for _, s := range []struct {
		val string
		out *float64
	}{{*tpotSLO, &tpot}, {*ttftSLO, &ttft}} {
		if s.val == "" {
			continue
		}
		if *s.out, err = units.ParseDuration(s.val); err != nil || *s.out <= 0 {
			return usagef("SLO %q: want a duration such as 50ms", s.val)
		}
		slo = *s.out
	}
	if serve {
		slo = infer.ServeStepLimit(ttft, tpot)
	}
	if *searchPar && (slo == 0 || *curve) {
		return usagef("--search-parallelism searches under a limit: give --tpot-slo or --ttft-slo (and not --curve)")
	}
	t, err := topology.Load(*topo, *domains)
	if err != nil {
		return err
	}
	healthy, t, err := applyFaults(t, *fail)
	if err != nil {
		return err
	}
	if live := t.LiveAccels(); live < len(t.Accels) && *ranks > live {
		return usagef("--ranks %d, but %d of %s's %d accelerators survive the faults", *ranks, live, t.Name, len(t.Accels))
	}
	if *dp > 0 {
		acc := *ranks
		if acc == 0 {
			acc = t.LiveAccels()
		}
		dies := acc * t.Accels[0].Spec.Dies
		stages := max(*pp, 1)
		if dies%(stages**dp) != 0 {
			return usagef("--dp %d x --pp %d does not divide the %d serving dies", *dp, stages, dies)
		}
		want := dies / (stages * *dp)
		if fs.Changed("tp") && *tp != want {
			return usagef("--tp %d x --pp %d x --dp %d = %d dies, but %d serve; drop --tp (it would be %d) or change --dp", *tp, stages, *dp, *tp*stages**dp, dies, want)
		}
		*tp = want
	}
	cfg := infer.Config{Model: m, Accelerators: *ranks, Phase: infer.Phase(strings.ToLower(*phase)), Batch: max(*batch, 1),
		InputLen: *inputLen, Context: *context, OutputLen: *outputLen, TP: *tp, PP: *pp, EP: *ep, Precision: prec, DtypeMap: mapping,
		MTPDraft: *mtpDraft, MTPAccept: *mtpAccept, MicroBatches: *micro, ExpertImbalance: *imb, PowerMode: mode, HBMFraction: *hbmFrac}
	if *mtpDraft == 0 {
		cfg.MTPAccept = 0
	}
	runAll := func(t *topology.Topology, cfg infer.Config) ([]infer.Result, error) {
		e := infer.NewEngine(t)
		switch {
		case *curve:
			maxB := 4096
			if *batch > 0 {
				maxB = *batch
			}
			return e.Curve(cfg, infer.Batches(maxB))
		case slo > 0 && *searchPar:
			r, err := e.BestParallelUnderSLO(cfg, slo, progress(stderr, "parallelism configurations searched"))
			return []infer.Result{r}, err
		case slo > 0:
			r, err := e.BestUnderSLO(cfg, slo)
			return []infer.Result{r}, err
		}
		r, err := e.Run(cfg)
		return []infer.Result{r}, err
	}
	var before []infer.Result
	if healthy != t {
		if before, err = runAll(healthy, cfg); err != nil {
			return fmt.Errorf("without the faults: %w", err)
		}
		if cfg.Accelerators == 0 {
			cfg.Accelerators = t.LiveAccels() // the survivors serve
		}
	}
	results, err := runAll(t, cfg)
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
		sheet.Title = fmt.Sprintf("%s %s on %s", m.Title, cfg.Phase, t.Title)
		if before != nil {
			sheet.Title += fmt.Sprintf(", with faults %s", topology.FaultList(t.Faults))
			sheet.Notes = append(sheet.Notes, "Faults hold for the whole step; 'healthy' is the same configuration without them (failed accelerators serve nothing, so the accelerator counts may differ).")
		}
		sheet.Vertical = len(results) == 1
		if serve {
			sheet.Notes = append(sheet.Notes, fmt.Sprintf("Serve: continuous batching in steady state; each step decodes every running sequence (KV %d tokens, input + output/2) and prefills batch/%d new prompts of %d tokens per accelerator; TPOT is the step, TTFT half a step plus the step (no queueing); tokens/s count output tokens.",
				*inputLen+*outputLen/2, *outputLen, *inputLen))
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
