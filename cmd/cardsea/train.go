package main

import (
	"fmt"
	"io"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/train"
	"github.com/cardsea/cardsea/units"
)

var trainUsage = usageText("train")

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", trainUsage)
	topo := fs.StringP("topo", "t", "", "topology: preset or file (required)")
	domains := fs.IntP("domains", "n", 0, "scale-up domains (default: the preset's)")
	ranks := fs.IntP("ranks", "r", 0, "accelerators training: the first R (default all)")
	model := fs.StringP("model", "m", "", "dense model: zoo name or model file (required)")
	seq := fs.Int("seq-len", 4096, "tokens per sequence")
	gbs := fs.Int("global-batch", 0, "sequences per optimizer step (required)")
	mbs := fs.Int("micro-batch", 1, "sequences per micro-batch of a replica")
	tp := fs.Int("tp", 1, "tensor parallel degree")
	cp := fs.Int("cp", 1, "context parallel degree")
	dt := fs.String("dtype", "bf16", "GEMM dtype: bf16 or fp8 (activations and gradients are bf16)")
	dmap := fs.String("dtype-map", "", "map dtypes the chip lacks, e.g. fp8=int8")
	lora := fs.Int("lora-rank", 0, "train LoRA adapters of this rank on frozen weights (0: full training)")
	overlap := fs.Bool("tp-overlap", false, "hide TP communication behind the GEMMs (only the excess is exposed)")
	pmode := fs.String("power-mode", "activity", "activity or provisioned")
	price := fs.Float64("price-per-kwh", 0.08, "electricity price, USD per kWh (energy cost per million tokens)")
	capex := fs.Float64("capex-per-accel", 0, "all-in system price per accelerator, USD (capital cost per million tokens)")
	years := fs.Float64("amortization-years", 4, "years over which capex is written off")
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cost := power.Cost{PricePerKWh: *price, CapexPerAccel: *capex, AmortizationYears: *years}
	if err := cost.Validate(); err != nil {
		return usagef("cost: %v", err)
	}
	if fs.NArg() > 0 {
		return usagef("train takes flags only, got %q", fs.Args())
	}
	if *topo == "" || *model == "" || !fs.Changed("global-batch") {
		return usagef("train needs --topo, --model and --global-batch, e.g. --topo hgx-h100 --model llama-3.1-8b --global-batch 8")
	}
	for _, v := range []struct {
		flag string
		n    int
	}{{"global-batch", *gbs}, {"micro-batch", *mbs}, {"seq-len", *seq}, {"tp", *tp}, {"cp", *cp}} {
		if v.n < 1 {
			return usagef("--%s %d: want 1 or more", v.flag, v.n)
		}
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("train: %v", err)
	}
	d, err := topology.ParseDtype(*dt)
	if err != nil || (d != topology.BF16 && d != topology.FP8) {
		return usagef("--dtype %q: train runs bf16 or fp8 GEMMs", *dt)
	}
	mapping, err := compute.ParseDtypeMap(*dmap)
	if err != nil {
		return usagef("--dtype-map: %v", err)
	}
	mode, err := power.ParseMode(*pmode)
	if err != nil {
		return usagef("--power-mode: %v", err)
	}
	m, err := llm.Load(*model)
	if err != nil {
		return err
	}
	t, err := topology.Load(*topo, *domains)
	if err != nil {
		return err
	}
	r, err := train.NewEngine(t).Run(train.Config{Model: m, Accelerators: *ranks, TP: *tp, CP: *cp,
		GlobalBatch: *gbs, MicroBatch: *mbs, SeqLen: *seq, Dtype: d, DtypeMap: mapping,
		LoRARank: *lora, TPOverlap: *overlap, PowerMode: mode})
	if err != nil {
		return flagError(err, nil)
	}
	sheet := trainSheet(t, r, cost)
	if f == report.FormatTable || f == report.FormatMarkdown {
		sheet.Title = fmt.Sprintf("%s training step on %s", m.Title, t.Title)
		sheet.Vertical = true
		sheet.Notes = []string{
			"Per-operator roofline with the preset's efficiencies, forward and backward; TP, CP and DP collectives simulated on the fabric (go doc github.com/cardsea/cardsea/train).",
			fmt.Sprintf("Power: %s accounting over the step, whole topology; per-server figures divide by its %d servers; energy by component is per step.", mode, t.Servers),
			fmt.Sprintf("Communication per step before overlap: TP %s, CP %s, DP %s.", units.FormatDuration(r.TPCommS), units.FormatDuration(r.CPCommS), units.FormatDuration(r.DPCommS)),
		}
	}
	return sheet.Write(stdout, f)
}

// trainSheet is one training step in the record schema's training
// fields (study.Fields).
func trainSheet(t *topology.Topology, r train.Result, cost power.Cost) *report.Sheet {
	acc := r.Config.Accelerators
	if acc == 0 {
		acc = len(t.Accels)
	}
	return study.Command(&study.TrainingRecord{}).Sheet(&study.TrainingRecord{Topology: t.Name, Result: r, Cost: cost, Accelerators: acc})
}
