package main

import (
	"fmt"
	"io"

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
	scaleOut := scaleOutFlag(fs)
	var spec study.TrainingSpec
	bindSpec(fs, &spec, study.TrainingDefaults)
	pw := bindPower(fs)
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := givenZero(fs, &spec); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("train takes flags only, got %q", fs.Args())
	}
	if *topo == "" || spec.Model == "" || !fs.Changed("global-batch") {
		return usagef("train needs --topo, --model and --global-batch, e.g. --topo hgx-h100 --model llama-3.1-8b --global-batch 8")
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("train: %v", err)
	}
	mode, cost, err := powerFlags(pw)
	if err != nil {
		return err
	}
	cfg, err := spec.Compile("")
	if err != nil {
		return flagError(err, &spec)
	}
	cfg.PowerMode = mode
	t, err := loadTopology(*topo, *domains, *scaleOut)
	if err != nil {
		return err
	}
	r, err := train.NewEngine(t).Run(cfg)
	if err != nil {
		return flagError(err, &spec)
	}
	m := cfg.Model
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
