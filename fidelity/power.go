package fidelity

import (
	"fmt"

	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/train"
	"github.com/cardsea/cardsea/validation"
)

// powerCase maps each power case onto its preset and workload.
func powerCase(c *validation.PowerCase) ([]Row, error) {
	tol := c.Tolerance.For(0)
	switch c.ID {
	case "P01":
		// An HGX H100 node with every GPU compute-bound (GPU-burn, or the
		// GEMMs of training): activity power at full load.
		top, err := topology.Load("hgx-h100", 0)
		if err != nil {
			return nil, err
		}
		w, err := fullLoadW(top)
		if err != nil {
			return nil, err
		}
		m, _ := c.Measured.Get("peak_node_power_kw")
		r := Row{Case: c.ID, Preset: "hgx-h100", Point: "node at full compute load", Unit: "kW", Measured: m, Simulated: w / 1e3, Tolerance: tol}
		pass(&r)
		return []Row{r}, nil
	case "P02":
		return p02(c, tol)
	}
	return []Row{{Case: c.ID, Point: "power", Status: "pending: no mapping for this case"}}, nil
}

// fullLoadW is a topology's IT power per server with every accelerator
// compute-bound.
func fullLoadW(t *topology.Topology) (float64, error) {
	run := power.Run{DurationS: 1, AccelCommS: make([]float64, len(t.Accels)), AccelComputeS: make([]float64, len(t.Accels)),
		SwitchBytes: make([]float64, len(t.Switches))}
	for i := range run.AccelComputeS {
		run.AccelComputeS[i] = 1
	}
	e, err := power.ActivityEnergy(t, run)
	if err != nil {
		return 0, err
	}
	return e.AvgITW / float64(t.Servers), nil
}

// p02 runs MLPerf Training v4.0 Llama 2 70B LoRA (sequence 8,192, LoRA
// rank 16, FP8 GEMMs, TP communication overlapped) with NVIDIA's published
// configurations (mlcommons/training_results_v4.0,
// NVIDIA/benchmarks/llama2_70b_lora/implementations/nemo): one node TP4
// with 4 sequences per replica (global batch 8); 8 nodes TP4 CP2 with one
// sequence per replica (global batch 8). The 64-node run uses the 8- and
// 128-node configuration (TP4 CP2, one sequence per replica: global batch
// 64), an assumption: the submitter's own configuration is not in the
// case.
func p02(c *validation.PowerCase, tol float64) ([]Row, error) {
	m, err := llm.Load("llama-2-70b")
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, p := range []struct {
		key          string
		nodes        int
		tp, cp, mini int
	}{{"1_node", 1, 4, 1, 4}, {"8_nodes", 8, 4, 2, 1}, {"64_nodes", 64, 4, 2, 1}} {
		top, err := topology.Load("hgx-h100", p.nodes)
		if err != nil {
			return nil, err
		}
		dp := p.nodes * 8 / (p.tp * p.cp)
		res, err := train.NewEngine(top).Run(train.Config{Model: m, TP: p.tp, CP: p.cp, GlobalBatch: dp * p.mini, SeqLen: 8192,
			Dtype: topology.FP8, LoRARank: 16, TPOverlap: true})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.key, err)
		}
		for _, q := range []struct {
			field, label string
			sim          float64
		}{{"node_kw", "node power", res.NodeW}, {"network_kw_per_node", "network power per node", res.NetworkWPerNode}} {
			v, ok := c.Measured.Get(p.key, q.field)
			if !ok {
				continue
			}
			r := Row{Case: c.ID, Preset: fmt.Sprintf("hgx-h100 x%d", p.nodes), Point: fmt.Sprintf("%s %s", q.label, p.key), Unit: "kW",
				Measured: v, Simulated: q.sim / 1e3, Tolerance: tol}
			pass(&r)
			rows = append(rows, r)
		}
	}
	return rows, nil
}
