package present

import (
	"fmt"
	"math"
	"strings"

	"github.com/cardsea/cardsea/reliability"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/topology"
)

// Display scales of a failure rate per second.
const (
	perYearPercent = 1.0 / (100 * 3600 * topology.HoursPerYear) // %/yr
	perFIT         = 1 / (3600 * 1e9)                           // FIT
)

func ReliabilityParts(t *topology.Topology, rates []reliability.PartRate) *report.Sheet {
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

func ReliabilitySummary(t *topology.Topology, rates []reliability.PartRate, mtbi, optimal, tau, c, r float64, res *reliability.Result) *report.Sheet {
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
