package fidelity

import (
	"fmt"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/serve"
	"github.com/cardsea/cardsea/topology"
)

// queueingRows are the request-level simulation's sanity checks against
// closed forms (not published measurements): with one sequence at a time
// and one-token requests of a fixed prompt, every request is one step of
// the same length S, so the service is an M/D/1 queue whose mean wait is
// rho S / (2 (1 - rho)) (the Pollaczek-Khinchine formula), at rho 0.5
// and 0.8, over 200,000 Poisson arrivals; tolerance 5% (the sample mean's
// own spread at rho 0.8 is about 2%).
func queueingRows() ([]Row, error) {
	t, err := topology.Load("hgx-h100", 0)
	if err != nil {
		return nil, err
	}
	m, err := llm.Load("llama-3.1-70b")
	if err != nil {
		return nil, err
	}
	cfg := serve.Config{Engine: infer.NewEngine(t), Settings: serve.Settings{MaxSeqs: 1, MaxBatchedTokens: 4096, BlockSize: 16},
		Instance: infer.Config{Model: m, Accelerators: 8, TP: 8, MicroBatches: 1,
			Precision: compute.Precision{Weights: topology.FP8, Activations: topology.BF16, KVCache: topology.FP8}}}
	one, err := serve.Run(cfg, []serve.Request{{Input: 1024, Output: 1}})
	if err != nil {
		return nil, err
	}
	s := one.TTFT.Mean
	var rows []Row
	for _, rho := range []float64{0.5, 0.8} {
		reqs, err := serve.Traffic{Rate: rho / s, Requests: 200000, Input: serve.Lengths{Mean: 1024}, Output: serve.Lengths{Mean: 1}, Seed: 1}.Generate()
		if err != nil {
			return nil, err
		}
		r, err := serve.Run(cfg, reqs)
		if err != nil {
			return nil, err
		}
		row := Row{Case: "Q01", Preset: "hgx-h100", Point: fmt.Sprintf("M/D/1 mean wait at rho %.1f", rho), Unit: "ms",
			Measured: rho * s / (2 * (1 - rho)) * 1e3, Simulated: r.Queue.Mean * 1e3, Tolerance: 0.05}
		pass(&row)
		rows = append(rows, row)
	}
	return rows, nil
}
