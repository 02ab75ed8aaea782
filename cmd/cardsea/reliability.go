package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/cardsea/cardsea/present"
	"github.com/cardsea/cardsea/reliability"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/units"
)

var reliabilityUsage = usageText("reliability")

func parseDurationFlag(name, s string) (float64, error) {
	v, err := units.ParseDuration(s)
	if err != nil {
		d, err2 := time.ParseDuration(strings.ReplaceAll(s, " ", ""))
		if err2 != nil {
			return 0, usagef("--%s: %v", name, err)
		}
		v = d.Seconds()
	}
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, usagef("--%s is %q; want a duration of 0 or more", name, s)
	}
	return v, nil
}

func runReliability(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reliability", reliabilityUsage)
	domains := fs.IntP("domains", "n", 0, "number of scale-up domains joined by the scale-out network (default: the preset's, usually 1)")
	ckpt := fs.String("checkpoint-cost", "60s", "time to write one checkpoint (the job pauses)")
	restart := fs.String("restart-cost", "300s", "time from an interruption to computing again")
	interval := fs.String("interval", "auto", "compute time between checkpoints; auto is Young's sqrt(2 x checkpoint cost x MTBI)")
	mc := fs.Bool("monte-carlo", false, "also replay the job over --days, --runs times, with failures drawn at random")
	days := fs.Float64("days", 30, "simulated days per Monte Carlo run")
	runs := fs.Int("runs", 1000, "Monte Carlo runs")
	seed := fs.Uint64("seed", 1, "Monte Carlo seed; the same seed gives the same output")
	format := fs.StringP("format", "f", "table", "output format: table, markdown, json or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("reliability needs one topology name or file, e.g. 'cardsea reliability cm384' (see 'cardsea topo list')")
	}
	if *domains < 0 {
		return usagef("--domains is %d; want 1 or more", *domains)
	}
	f, err := report.ParseFormat(*format, report.DataFormats...)
	if err != nil {
		return usagef("reliability: %v", err)
	}
	c, err := parseDurationFlag("checkpoint-cost", *ckpt)
	if err != nil {
		return err
	}
	r, err := parseDurationFlag("restart-cost", *restart)
	if err != nil {
		return err
	}
	if *mc {
		if !(*days > 0) || math.IsInf(*days, 0) {
			return usagef("--days is %g; want more than 0", *days)
		}
		if *runs < 1 {
			return usagef("--runs is %d; want 1 or more", *runs)
		}
	}
	t, err := topology.Load(fs.Arg(0), *domains)
	if err != nil {
		return err
	}
	if !t.Reliability.IsSet() {
		return fmt.Errorf("%s has no failure rates; add a reliability: section (see docs/presets.md, e.g. the cm384 preset)", fs.Arg(0))
	}
	rates := reliability.Rates(t)
	mtbi := reliability.MTBIOf(rates)
	optimal := reliability.OptimalInterval(mtbi, c)
	tau := optimal
	if !strings.EqualFold(*interval, "auto") {
		if tau, err = parseDurationFlag("interval", *interval); err != nil {
			return err
		}
		if tau == 0 && c > 0 {
			return usagef("--interval 0 with a checkpoint cost leaves no time to compute")
		}
	}
	var res *reliability.Result
	if *mc {
		out, err := reliability.MonteCarloRates(rates, reliability.Options{
			Days: *days, Seed: *seed, CheckpointCost: c, RestartCost: r, Interval: tau, Runs: *runs})
		if err != nil {
			return err
		}
		res = &out
	}
	parts := present.ReliabilityParts(t, rates)
	summary := present.ReliabilitySummary(t, rates, mtbi, optimal, tau, c, r, res)
	switch f {
	case report.FormatJSON:
		return report.WriteJSONSections(stdout, report.Section{Name: "parts", Sheet: parts}, report.Section{Name: "summary", Sheet: summary})
	case report.FormatCSV:
		return summary.Write(stdout, f)
	}
	if err := parts.Write(stdout, f); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	return summary.Write(stdout, f)
}
