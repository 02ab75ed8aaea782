package train

import (
	"testing"

	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/topology"
)

// TestStepPhases runs a training step's phases one at a time: sizing
// (ranks, DP, memory), compute (forward and backward priced), the
// collectives (TP 2 and DP exposed or hidden) and the finish (throughput,
// MFU, power), and checks that in sequence they equal Run.
func TestStepPhases(t *testing.T) {
	top, err := topology.Load("hgx-h100", 2)
	if err != nil {
		t.Fatal(err)
	}
	m, err := llm.Load("llama-3.1-8b")
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(top)
	c := Config{Model: m, TP: 2, GlobalBatch: 16, MicroBatch: 1, SeqLen: 4096}
	s := &trainStep{e: e}
	if err := s.size(c); err != nil || s.ranks != 16 || s.dp != 8 || s.r.MicroBatches != 2 || s.r.MemoryBytesPerDie <= 0 {
		t.Fatalf("size: %v, ranks %d, dp %d, micro-batches %d", err, s.ranks, s.dp, s.r.MicroBatches)
	}
	if err := s.compute(); err != nil || s.computeS <= 0 || s.gemmBwd != 2*s.gemmFwd {
		t.Fatalf("compute: %v, %g s, gemm forward %g backward %g", err, s.computeS, s.gemmFwd, s.gemmBwd)
	}
	if err := s.communicate(); err != nil || s.r.TPCommS <= 0 || s.r.DPCommS <= 0 || s.r.StepS < s.computeS {
		t.Fatalf("communicate: %v, TP %g s, DP %g s, step %g s", err, s.r.TPCommS, s.r.DPCommS, s.r.StepS)
	}
	if err := s.finish(); err != nil || s.r.MFU <= 0 || s.r.MFU > 1 || s.r.Energy.ITJ <= 0 {
		t.Fatalf("finish: %v, MFU %g, %g J", err, s.r.MFU, s.r.Energy.ITJ)
	}
	full, err := e.Run(c)
	if err != nil || full.StepS != s.r.StepS || full.MFU != s.r.MFU || full.Energy.ITJ != s.r.Energy.ITJ {
		t.Errorf("the phases one by one differ from Run: %g s vs %g s (%v)", s.r.StepS, full.StepS, err)
	}
}
