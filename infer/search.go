package infer

import (
	"fmt"
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
		return nil, fmt.Errorf("no batch of %v fits", batches)
	}
	return out, nil
}

// BestUnderSLO finds the batch that gives the most tokens/s per
// accelerator with the step's latency (TPOT for decode, TTFT for prefill)
// at most slo seconds. Latency grows with the batch, so it bisects.
func (e *Engine) BestUnderSLO(c Config, slo float64) (Result, error) {
	lat := func(r Result) float64 {
		if c.Phase == Decode {
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
		return r1, fmt.Errorf("even batch 1 takes %.1f ms, over the %.1f ms limit", lat(r1)*1e3, slo*1e3)
	}
	hi := max(r1.MaxBatch, 1)
	if hi > 4096 {
		hi = 4096
	}
	best := r1
	lo := 1
	// Largest batch that fits the SLO (and memory).
	for lo < hi {
		mid := (lo + hi + 1) / 2
		r, ok, err := run(mid)
		if err != nil || !ok {
			hi = mid - 1
			continue
		}
		lo, best = mid, r
	}
	return best, nil
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
// over dies: TP of 1, 2, 4 and 8 (within a server's scale-up reach on
// every preset) where it divides the dies of a pipeline stage and the
// attention heads, and for MoE models EP over the whole stage, half or a
// quarter of it (the other dies hold expert replicas). PP stays as given.
func Parallelisms(c Config, dies int) []Config {
	pp := max(c.PP, 1)
	stage := dies / pp
	var out []Config
	for _, tp := range []int{1, 2, 4, 8} {
		if stage%tp != 0 || c.Model.Attention.Heads%tp != 0 {
			continue
		}
		eps := []int{1}
		if c.Model.MoE != nil {
			eps = nil
			for _, d := range []int{1, 2, 4} {
				if stage%d == 0 {
					eps = append(eps, stage/d)
				}
			}
		}
		for _, ep := range eps {
			cc := c
			cc.TP, cc.PP, cc.EP = tp, pp, ep
			out = append(out, cc)
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
				first = fmt.Errorf("TP %d EP %d: %w", cc.TP, cc.EP, err)
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
