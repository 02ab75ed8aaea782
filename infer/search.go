package infer

import (
	"fmt"
	"math"
	"sort"
)

// Curve runs c at each batch and returns the results that fit in memory,
// in batch order: the throughput-interactivity curve (tokens/s per
// accelerator against tokens/s per user).
func (e *Engine) Curve(c Config, batches []int) ([]Result, error) {
	var out []Result
	for _, b := range batches {
		cc := c
		cc.Batch = b
		r, err := e.Run(cc)
		if err != nil {
			if len(out) > 0 || b > 1 {
				continue // past what fits: the curve ends
			}
			return nil, err
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, infeasible("no batch of %v fits", batches)
	}
	return out, nil
}

// BestUnderSLO finds the batch that gives the most tokens/s per
// accelerator with the step's latency (TPOT for decode, TTFT for prefill)
// at most slo seconds: the largest batch within the limit that fits in
// memory. Latency grows with the batch, nearly in proportion, so the
// search interpolates between the closest batches known to pass and to
// fail (any the engine has run before count, so a curve of limits reuses
// earlier searches), checks the neighbour of each guess, and bisects when
// interpolation does not close in.
func (e *Engine) BestUnderSLO(c Config, slo float64) (Result, error) {
	lat := func(r Result) float64 {
		if c.Phase != Prefill {
			return r.TPOTS
		}
		return r.TTFTS
	}
	return e.bestUnder(c, lat, slo, func(l, slo float64) string {
		return fmt.Sprintf("even batch 1 takes %.1f ms, over the %.1f ms limit", l*1e3, slo*1e3)
	})
}

// BestServeUnderSLO is BestUnderSLO for the serve phase under both
// limits, ttft and tpot seconds (0 for a limit not given): the batch with
// the most tokens/s per accelerator whose TTFT and TPOT are both within.
// Both grow with the batch, so the search is BestUnderSLO's on the larger
// of the two latencies, each over its limit.
func (e *Engine) BestServeUnderSLO(c Config, ttft, tpot float64) (Result, error) {
	lat := func(r Result) float64 {
		var v float64
		if tpot > 0 {
			v = r.TPOTS / tpot
		}
		if ttft > 0 {
			v = math.Max(v, r.TTFTS/ttft)
		}
		return v
	}
	return e.bestUnder(c, lat, 1, func(float64, float64) string {
		return fmt.Sprintf("even batch 1 misses the limits: TTFT %s and TPOT %s",
			limitText(e, c, ttft, func(r Result) float64 { return r.TTFTS }), limitText(e, c, tpot, func(r Result) float64 { return r.TPOTS }))
	})
}

// limitText is batch 1's latency against its limit, for messages.
func limitText(e *Engine, c Config, limit float64, get func(Result) float64) string {
	c.Batch = 1
	r, err := e.Run(c)
	if err != nil {
		return "?"
	}
	if limit == 0 {
		return fmt.Sprintf("%.1f ms (no limit)", get(r)*1e3)
	}
	return fmt.Sprintf("%.1f ms (limit %.1f)", get(r)*1e3, limit*1e3)
}

// bestUnder is the batch search of BestUnderSLO on latency lat (growing
// with the batch) within slo; tooSlow says why batch 1 fails.
func (e *Engine) bestUnder(c Config, lat func(Result) float64, slo float64, tooSlow func(l, slo float64) string) (Result, error) {
	run := func(b int) (Result, bool, error) {
		cc := c
		cc.Batch = b
		r, err := e.Run(cc)
		if err != nil {
			return r, false, err
		}
		return r, lat(r) <= slo, nil
	}
	r1, ok, err := run(1)
	if err != nil {
		return r1, err
	}
	if !ok {
		return r1, infeasible("%s", tooSlow(lat(r1), slo))
	}
	hi := min(max(r1.MaxBatch, 1), 4096)
	// The bracket: lo passes; up fails (upLat its latency, +Inf when it
	// does not run), or is hi+1 when nothing above lo is known to fail.
	lo, best, up, upLat := 1, r1, hi+1, math.Inf(1)
	known := e.runs[runKey(c)]
	for _, b := range sortedBatches(known) {
		o := known[b]
		switch {
		case b > hi:
		case o.err == nil && lat(o.r) <= slo:
			if b > lo {
				lo, best = b, o.r
			}
		case b < up:
			up, upLat = b, math.Inf(1)
			if o.err == nil {
				upLat = lat(o.r)
			}
		}
	}
	if lo >= up { // not monotone: start afresh
		lo, best, up, upLat = 1, r1, hi+1, math.Inf(1)
	}
	next, guesses := 0, 0
	for up-lo > 1 {
		g := next
		next = 0
		neighbour := g != 0
		switch {
		case neighbour:
		case up > hi:
			g = hi // the largest batch that fits may be within the limit
		case !math.IsInf(upLat, 1) && guesses < 4:
			guesses++
			l0 := lat(best)
			g = lo + int(math.Floor((slo-l0)/(upLat-l0)*float64(up-lo)))
		default:
			g = (lo + up) / 2
		}
		g = max(lo+1, min(g, up-1))
		r, ok, err := run(g)
		if err == nil && ok {
			lo, best = g, r
			if !neighbour {
				next = g + 1
			}
			continue
		}
		up, upLat = g, math.Inf(1)
		if err == nil {
			upLat = lat(r)
		}
		if !neighbour {
			next = g - 1
		}
	}
	return best, nil
}

func sortedBatches(m map[int]outcome) []int {
	out := make([]int, 0, len(m))
	for b := range m {
		out = append(out, b)
	}
	sort.Ints(out)
	return out
}

// Batches is a doubling series of batch sizes up to max.
func Batches(max int) []int {
	var out []int
	for b := 1; b <= max; b *= 2 {
		out = append(out, b)
	}
	sort.Ints(out)
	return out
}

// Parallelisms lists the configurations a parallelism search tries for c
// over dies: pipeline parallelism of 1, 2, 4 and 8 where it divides the
// dies and the layers (only c.PP when it is set), and within each
// pipeline stage TP of 1, 2, 4 and 8 (within a server's scale-up reach on
// every preset) where it divides the stage's dies and the attention
// heads; TP 1 is attention data parallelism, every die attending to its
// own sequences. For MoE models EP spans the whole stage, half or a
// quarter of it (the other dies hold expert replicas), where it does not
// exceed twice the experts.
func Parallelisms(c Config, dies int) []Config {
	pps := []int{c.PP}
	if c.PP == 0 {
		pps = nil
		for _, pp := range []int{1, 2, 4, 8} {
			if dies%pp == 0 && c.Model.Layers%pp == 0 {
				pps = append(pps, pp)
			}
		}
	}
	var out []Config
	for _, pp := range pps {
		stage := dies / pp
		for _, tp := range []int{1, 2, 4, 8} {
			if stage%tp != 0 || c.Model.Attention.Heads%tp != 0 {
				continue
			}
			eps := []int{1}
			if moe := c.Model.MoE; moe != nil {
				eps = nil
				for _, d := range []int{1, 2, 4} {
					if ep := stage / d; stage%d == 0 && ep <= 2*(moe.RoutedExperts+moe.SharedExperts) {
						eps = append(eps, ep)
					}
				}
			}
			for _, ep := range eps {
				cc := c
				cc.TP, cc.PP, cc.EP = tp, pp, ep
				out = append(out, cc)
			}
		}
	}
	return out
}

// BestParallelUnderSLO searches batch and parallelism: BestUnderSLO for
// each of Parallelisms, keeping the most tokens/s per accelerator.
// progress, if not nil, is called after each configuration with how many
// are done of how many. Configurations that cannot run (memory, experts)
// are skipped; if none can, the first error is returned.
func (e *Engine) BestParallelUnderSLO(c Config, slo float64, progress func(done, total int)) (Result, error) {
	return e.bestParallel(c, func(cc Config) (Result, error) { return e.BestUnderSLO(cc, slo) }, progress)
}

// BestParallelServeUnderSLO is BestParallelUnderSLO for the serve phase
// under both limits (BestServeUnderSLO).
func (e *Engine) BestParallelServeUnderSLO(c Config, ttft, tpot float64, progress func(done, total int)) (Result, error) {
	return e.bestParallel(c, func(cc Config) (Result, error) { return e.BestServeUnderSLO(cc, ttft, tpot) }, progress)
}

// bestParallel runs best for each of Parallelisms and keeps the most
// tokens/s per accelerator.
func (e *Engine) bestParallel(c Config, best1 func(Config) (Result, error), progress func(done, total int)) (Result, error) {
	_, dies, err := e.units(c)
	if err != nil {
		return Result{}, err
	}
	cands := Parallelisms(c, dies)
	var best Result
	var first error
	found := false
	for i, cc := range cands {
		r, err := best1(cc)
		if progress != nil {
			progress(i+1, len(cands))
		}
		if err != nil {
			if first == nil {
				first = fmt.Errorf("TP %d PP %d EP %d: %w", cc.TP, cc.PP, cc.EP, err)
			}
			continue
		}
		if !found || r.TokensPerSPerAccel > best.TokensPerSPerAccel {
			best, found = r, true
		}
	}
	if !found {
		return Result{}, first
	}
	return best, nil
}
