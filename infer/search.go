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
		return r1, infeasible("even batch 1 takes %.1f ms, over the %.1f ms limit", lat(r1)*1e3, slo*1e3)
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
	_, dies, err := e.units(c)
	if err != nil {
		return Result{}, err
	}
	cands := Parallelisms(c, dies)
	var best Result
	var first error
	found := false
	for i, cc := range cands {
		r, err := e.BestUnderSLO(cc, slo)
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

// ServeStepLimit is the longest serve step that latency limits of ttft
// and tpot seconds allow (0 for a limit not given, and 0 when neither
// is): TPOT is the step and TTFT one and a half steps, half a step's wait
// for the next to start and then the step that prefills the prompt.
func ServeStepLimit(ttft, tpot float64) float64 {
	limit := tpot
	if ttft > 0 && (limit == 0 || ttft/1.5 < limit) {
		limit = ttft / 1.5
	}
	return limit
}
