package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/cardsea/cardsea/reliability"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/units"
)

const reliabilityUsage = `
Usage:
  cardsea reliability NAME|FILE.yaml [--domains N] [--checkpoint-cost 60s]
      [--restart-cost 300s] [--interval auto|30m]
      [--monte-carlo [--days 30] [--runs 1000] [--seed 1]]
      [--format table|markdown|json|csv]

Prints each kind of part the topology holds (accelerators, HBM, switch chips,
optical modules, NICs, CPUs, copper cables, servers, and software per
accelerator) with its count, its failure rate per part (annualised and in FIT,
from the preset's reliability section, every rate with its source in
docs/presets.md) and the failures per day it adds; then the whole system's
failures per day, the mean time between interruptions (MTBI), Young's optimal
checkpoint interval sqrt(2 x checkpoint cost x MTBI) and the goodput a job
keeps (Young/Daly first order: loss = C/tau + (tau/2 + R)/MTBI).

Assumptions: one synchronous job spans the whole topology and every failure
interrupts it (as in Llama 3 pre-training); parts fail independently at
constant rates (Poisson).

--monte-carlo replays the job over --days (a month by default) --runs times:
failure times per part kind drawn from exponential distributions with a PCG
generator seeded from --seed, the work since the last checkpoint and the
restart cost lost per failure. It prints mean and percentile goodput and
interruptions; the same seed gives the same output on any machine.

JSON holds the parts and the summary; CSV the summary record. Durations take
units ("60s", "5min", "1h") or Go's form ("30m", "1h30m").

Examples:
  cardsea reliability cm384
  cardsea reliability gb200-nvl72 --checkpoint-cost 30s --restart-cost 10min
  cardsea reliability hgx-h100 --domains 2048        # the Llama 3 cluster
  cardsea reliability cm384 --monte-carlo --runs 1000 --seed 1
`

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
	parts := partsSheet(t, rates)
	summary := reliabilitySummary(t, rates, mtbi, optimal, tau, c, r, res)
	switch f {
	case report.FormatJSON:
		var a, b strings.Builder
		if err := parts.Write(&a, f); err != nil {
			return err
		}
		if err := summary.Write(&b, f); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "{\n\"parts\": %s,\n\"summary\": %s}\n", strings.TrimSpace(a.String()), strings.TrimSpace(b.String()))
		return err
	case report.FormatCSV:
		return summary.Write(stdout, f)
	}
	if err := parts.Write(stdout, f); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	return summary.Write(stdout, f)
}

// Display scales of a failure rate per second.
const (
	perYearPercent = 1.0 / (100 * 3600 * topology.HoursPerYear) // %/yr
	perFIT         = 1 / (3600 * 1e9)                           // FIT
)

func partsSheet(t *topology.Topology, rates []reliability.PartRate) *report.Sheet {
	sheet := &report.Sheet{
		Title: t.Title + ": failures by part",
		Columns: []report.Column{
			{Key: "kind", Header: "Part kind"},
			{Key: "part", Header: "What is counted"},
			{Key: "count", Header: "Count", Digits: 0},
			{Key: "rate_per_part_per_s", Header: "Rate per part (%/yr)", Scale: perYearPercent, Digits: 2},
			{Key: "rate_per_part_fit", Header: "Rate per part (FIT)", Digits: 0},
			{Key: "failures_per_s", Header: "Failures per day", Scale: 1.0 / 86400, Digits: 4},
			{Key: "mtbf_s", Header: "Kind's mean time between failures (days)", Scale: 86400, Digits: 1},
			{Key: "share", Header: "Share of failures (%)", Scale: 0.01, Digits: 1},
		},
	}
	var total float64
	for _, p := range rates {
		if p.Count == 0 {
			continue
		}
		var mtbf any
		if p.PerDay > 0 {
			mtbf = 86400 / p.PerDay
		}
		sheet.Rows = append(sheet.Rows, []any{p.Kind, p.Part, p.Count, p.PerHour / 3600, p.PerHour * 1e9, p.PerDay / 86400, mtbf, p.Share})
		total += p.PerDay
	}
	var mtbi any
	if total > 0 {
		mtbi = 86400 / total
	}
	sheet.Rows = append(sheet.Rows, []any{"total", "every part (any failure interrupts the job)", nil, nil, nil, total / 86400, mtbi, 1.0})
	sheet.Notes = []string{
		"Rates are failures per part-year (%/yr) and per 1e9 part-hours (FIT); sources: docs/presets.md (reliability.*).",
		"Optical modules count both ends of every optical link; copper counts cable lanes; on-board traces fail with their board.",
	}
	return sheet
}

func reliabilitySummary(t *topology.Topology, rates []reliability.PartRate, mtbi, optimal, tau, c, r float64, res *reliability.Result) *report.Sheet {
	perDay := reliability.FailuresPerDay(rates)
	var optics float64
	for _, p := range rates {
		if p.Kind == reliability.OpticalModule {
			optics = p.Share
		}
	}
	inf := func(v float64) any {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil
		}
		return v
	}
	loss := reliability.GoodputLoss(mtbi, tau, c, r)
	cols := []report.Column{
		{Key: "topology", Header: "Topology"},
		{Key: "accelerators", Header: "Accelerators"},
		{Key: "failures_per_s", Header: "Failures per day, whole system", Scale: 1.0 / 86400, Digits: 3},
		{Key: "failures_per_s_per_accel", Header: "Failures per accelerator-year", Scale: 1.0 / (3600 * topology.HoursPerYear), Digits: 3},
		{Key: "optical_module_share", Header: "Optical modules' share of failures (%)", Scale: 0.01, Digits: 1},
		{Key: "mtbi_s", Header: "Mean time between interruptions (h)", Scale: 3600, Digits: 1},
		{Key: "checkpoint_cost_s", Header: "Checkpoint cost (s)", Digits: 0},
		{Key: "restart_cost_s", Header: "Restart cost (s)", Digits: 0},
		{Key: "optimal_interval_s", Header: "Optimal checkpoint interval, Young (min)", Scale: 60, Digits: 1},
		{Key: "interval_s", Header: "Checkpoint interval used (min)", Scale: 60, Digits: 1},
		{Key: "goodput", Header: "Goodput, Young/Daly first order (%)", Scale: 0.01, Digits: 2},
		{Key: "goodput_loss", Header: "Goodput lost (%)", Scale: 0.01, Digits: 2},
	}
	accels := float64(len(t.Accels))
	row := []any{t.Name, len(t.Accels), perDay / 86400, perDay / 86400 / accels, optics, inf(mtbi), c, r, inf(optimal), inf(tau), 1 - loss, loss}
	notes := []string{
		"Assumes one synchronous job over the whole topology, every failure interrupting it, and Poisson failures.",
		"Goodput = 1 - C/tau - (tau/2 + R)/MTBI for checkpoint cost C, interval tau and restart cost R (first order in tau/MTBI).",
	}
	if tau > 0 && mtbi > 0 && (tau+c)/mtbi > 0.5 {
		notes = append(notes, fmt.Sprintf("Warning: the checkpoint interval plus its cost is %.2f of the time between interruptions, where the first-order formula no longer holds; --monte-carlo simulates the failures instead.", (tau+c)/mtbi))
	}
	if res != nil {
		o := res.Options
		cols = append(cols,
			report.Column{Key: "monte_carlo.runs", Header: "Monte Carlo runs"},
			report.Column{Key: "monte_carlo.days", Header: "Monte Carlo days per run", Digits: -1},
			report.Column{Key: "monte_carlo.seed", Header: "Monte Carlo seed"},
			report.Column{Key: "monte_carlo.goodput_mean", Header: "Monte Carlo goodput, mean (%)", Scale: 0.01, Digits: 2},
			report.Column{Key: "monte_carlo.goodput_p5", Header: "Monte Carlo goodput, 5th percentile (%)", Scale: 0.01, Digits: 2},
			report.Column{Key: "monte_carlo.goodput_p50", Header: "Monte Carlo goodput, median (%)", Scale: 0.01, Digits: 2},
			report.Column{Key: "monte_carlo.goodput_p95", Header: "Monte Carlo goodput, 95th percentile (%)", Scale: 0.01, Digits: 2},
			report.Column{Key: "monte_carlo.interruptions_mean", Header: "Monte Carlo interruptions per run, mean", Digits: 2},
			report.Column{Key: "monte_carlo.interruptions_p50", Header: "Monte Carlo interruptions per run, median", Digits: 0},
			report.Column{Key: "monte_carlo.interruptions_p95", Header: "Monte Carlo interruptions per run, 95th percentile", Digits: 0},
			report.Column{Key: "monte_carlo.interruptions_max", Header: "Monte Carlo interruptions per run, max", Digits: 0},
		)
		row = append(row, o.Runs, o.Days, fmt.Sprint(o.Seed), res.Goodput.Mean, res.Goodput.P5, res.Goodput.P50, res.Goodput.P95,
			res.Interruptions.Mean, res.Interruptions.P50, res.Interruptions.P95, res.Interruptions.Max)
		for i, k := range reliability.Kinds {
			if i < len(res.PerKind) && res.PerKind[i] > 0 {
				cols = append(cols, report.Column{Key: "monte_carlo.interruptions_by_kind." + k, Header: "Monte Carlo interruptions per run: " + strings.ReplaceAll(k, "_", " "), Digits: 2})
				row = append(row, res.PerKind[i])
			}
		}
		notes = append(notes, "Monte Carlo: failure times per part kind drawn from exponential distributions (PCG, seeded per run); each failure loses the work since the last finished checkpoint plus the restart cost.")
	}
	return &report.Sheet{Title: t.Title + ": interruptions and goodput", Columns: cols, Rows: [][]any{row}, Vertical: true, Notes: notes}
}
