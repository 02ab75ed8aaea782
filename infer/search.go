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
