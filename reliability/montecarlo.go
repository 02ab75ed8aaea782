package reliability

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/cardsea/cardsea/topology"
)

// Options set up a Monte Carlo of a checkpointed job over a topology.
type Options struct {
	// Days is the simulated time per run (e.g. 30: a month).
	Days float64
	// Seed makes runs reproducible: the same seed gives the same result.
	Seed uint64
	// CheckpointCost is the time to write one checkpoint, seconds; the job
	// makes no progress meanwhile.
	CheckpointCost float64
	// RestartCost is the time from an interruption to computing again
	// (detection, rescheduling, loading the checkpoint), seconds.
	RestartCost float64
	// Interval is the compute time between checkpoints, seconds. 0 with a
	// zero CheckpointCost checkpoints continuously (no work is lost).
	Interval float64
	// Runs is the number of independent runs (simulated months).
	Runs int
}

// Stats summarises one quantity over the runs.
type Stats struct {
	Mean, Min, P5, P50, P95, Max float64
}

// Result is what the Monte Carlo found.
type Result struct {
	Options Options
	// Goodput is the fraction of the simulated time spent on work that
	// was kept (not lost to a failure, not checkpointing or restarting).
	Goodput Stats
	// Interruptions counts failures per run, including those that strike
	// during a restart (which starts the restart again).
	Interruptions Stats
	// PerKind is the mean number of failures per run of each kind, in
	// Kinds order.
	PerKind []float64
}

// MonteCarlo draws failure times per part kind from exponential
// distributions (a kind's parts together fail at count x rate), replays a
// job that checkpoints every Interval of compute over opts.Days, losing the
// work since its last checkpoint and RestartCost per failure, and
// summarises goodput and interruptions over opts.Runs runs. Run i draws
// from a PCG generator seeded with (Seed, i) and runs are replayed in
// order, so the result depends on the seed only, not on GOMAXPROCS.
func MonteCarlo(t *topology.Topology, opts Options) (Result, error) {
	return MonteCarloRates(Rates(t), opts)
}

// MonteCarloRates is MonteCarlo from rates already listed.
func MonteCarloRates(rates []PartRate, opts Options) (Result, error) {
	switch {
	case !(opts.Days > 0) || math.IsInf(opts.Days, 0):
		return Result{}, fmt.Errorf("days is %g; want a positive number", opts.Days)
	case opts.Runs < 1:
		return Result{}, fmt.Errorf("runs is %d; want at least 1", opts.Runs)
	case opts.CheckpointCost < 0 || opts.RestartCost < 0 || opts.Interval < 0 || math.IsNaN(opts.Interval):
		return Result{}, errors.New("checkpoint cost, restart cost and interval must not be negative")
	case opts.Interval == 0 && opts.CheckpointCost > 0:
		return Result{}, errors.New("a checkpoint interval of 0 with a checkpoint cost leaves no time to compute")
	}
	horizon := opts.Days * 86400
	perS := make([]float64, len(rates))
	for i, p := range rates {
		perS[i] = p.PerSecond()
	}
	type event struct {
		at   float64
		kind int
	}
	good := make([]float64, opts.Runs)
	intr := make([]float64, opts.Runs)
	perKind := make([]float64, len(rates))
	var events []event
	for run := range opts.Runs {
		rng := rand.New(rand.NewPCG(opts.Seed, uint64(run)))
		events = events[:0]
		for k, lambda := range perS {
			if lambda <= 0 {
				continue
			}
			for at := rng.ExpFloat64() / lambda; at < horizon; at += rng.ExpFloat64() / lambda {
				events = append(events, event{at, k})
			}
		}
		slices.SortFunc(events, func(a, b event) int {
			if c := cmp.Compare(a.at, b.at); c != 0 {
				return c
			}
			return cmp.Compare(a.kind, b.kind)
		})
		var useful, avail float64 // avail: when the job computes again
		for _, e := range events {
			perKind[e.kind]++
			if e.at > avail {
				useful += kept(e.at-avail, opts.Interval, opts.CheckpointCost)
			}
			avail = e.at + opts.RestartCost
		}
		if avail < horizon {
			useful += done(horizon-avail, opts.Interval, opts.CheckpointCost)
		}
		good[run] = useful / horizon
		intr[run] = float64(len(events))
	}
	for i := range perKind {
		perKind[i] /= float64(opts.Runs)
	}
	return Result{Options: opts, Goodput: stats(good), Interruptions: stats(intr), PerKind: perKind}, nil
}

// kept is the work a job keeps from g seconds of running that end in a
// failure: the compute of every checkpoint it finished writing.
func kept(g, interval, cost float64) float64 {
	cycle := interval + cost
	if cycle <= 0 {
		return g // free, continuous checkpoints
	}
	return math.Floor(g/cycle) * interval
}

// done is the work of g seconds of running that the end of the simulated
// time cuts short: nothing is lost, only checkpoint time is not work.
func done(g, interval, cost float64) float64 {
	cycle := interval + cost
	if cycle <= 0 || math.IsInf(cycle, 1) {
		return g
	}
	k := math.Floor(g / cycle)
	return k*interval + min(g-k*cycle, interval)
}

func stats(v []float64) Stats {
	var sum float64
	for _, x := range v {
		sum += x
	}
	s := slices.Clone(v)
	slices.Sort(s)
	pct := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[min(max(i, 0), len(s)-1)]
	}
	return Stats{Mean: sum / float64(len(v)), Min: s[0], P5: pct(0.05), P50: pct(0.5), P95: pct(0.95), Max: s[len(s)-1]}
}
