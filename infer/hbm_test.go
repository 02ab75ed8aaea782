package infer

import (
	"strings"
	"testing"
)

// TestHBMFraction: a reserve shrinks the largest batch that fits in
// proportion to what the weights leave, and a batch past it is refused
// with the usable figure.
func TestHBMFraction(t *testing.T) {
	e := engine(t, "hgx-h100")
	c := Config{Model: model(t, "llama-3.1-8b"), Accelerators: 1, Phase: Decode, Batch: 1, Context: 4096, Precision: bf16}
	full, err := e.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	c.HBMFraction = 0.9
	reserved, err := e.Run(c)
	if err != nil {
		t.Fatal(err)
	}
	if !(reserved.MaxBatch < full.MaxBatch) || reserved.TPOTS != full.TPOTS {
		t.Errorf("max batch %d with 10%% reserved, %d without; TPOT %g vs %g", reserved.MaxBatch, full.MaxBatch, reserved.TPOTS, full.TPOTS)
	}
	c.Batch = full.MaxBatch
	if _, err := e.Run(c); err == nil || !strings.Contains(err.Error(), "90% of its 80.0 GB") {
		t.Errorf("batch %d with 10%% reserved: %v", c.Batch, err)
	}
	c.HBMFraction = 1.5
	if _, err := e.Run(c); err == nil {
		t.Error("HBM fraction 1.5 accepted")
	}
}
