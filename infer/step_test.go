package infer

import (
	"errors"
	"testing"

	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/topology"
)

// TestStepPhases runs a step's phases one at a time, each on its own:
// sizing, the memory check (an over-full batch is infeasible before any
// pricing), the layers' compute (one entry per layer, the head after),
// the collectives (TP 2 simulates one allreduce kind) and the assembly
// (the step is at least a walk through the layers).
func TestStepPhases(t *testing.T) {
	top, err := topology.Load("hgx-h100", 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := llm.Load("llama-3.1-8b")
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(top)
	c := Config{Model: m, Phase: Decode, Batch: 8, Context: 2048, TP: 2, MicroBatches: 1}
	s, err := e.newStep(c)
	if err != nil {
		t.Fatal(err)
	}
	if s.dies != 8 || s.r.DP != 4 || s.seqs != 64 || s.perSeq != 1 || s.ctx != 2048 {
		t.Fatalf("sizing: dies %d, DP %d, seqs %g, perSeq %g, ctx %d", s.dies, s.r.DP, s.seqs, s.perSeq, s.ctx)
	}
	if err := s.fitMemory(); err != nil || s.r.MemoryBytesPerDie <= 0 || s.r.MaxBatch < c.Batch {
		t.Fatalf("memory: %v, %g B per die, largest batch %d", err, s.r.MemoryBytesPerDie, s.r.MaxBatch)
	}
	if err := s.computeLayers(); err != nil || len(s.compLayer) != m.Layers || s.extra <= 0 || s.r.Load <= 0 {
		t.Fatalf("compute: %v, %d layers priced (want %d), head %g s, load %g", err, len(s.compLayer), m.Layers, s.extra, s.r.Load)
	}
	if err := s.communicate(); err != nil || len(s.comms) != 1 || s.commLayer[0] <= 0 {
		t.Fatalf("communication: %v, %d collectives %v", err, len(s.comms), s.comms)
	}
	if err := s.assemble(); err != nil || s.r.StepS < s.compLayer[0]*float64(m.Layers) || s.r.TokensPerS <= 0 {
		t.Fatalf("assembly: %v, step %g s, %g tokens/s", err, s.r.StepS, s.r.TokensPerS)
	}
	if err := s.power(); err != nil || s.r.PowerW <= 0 || s.r.TokensPerJ <= 0 {
		t.Fatalf("power: %v, %g W, %g tokens/J", err, s.r.PowerW, s.r.TokensPerJ)
	}
	full, err := e.Run(c)
	if err != nil || full.StepS != s.r.StepS || full.TokensPerJ != s.r.TokensPerJ {
		t.Errorf("the phases one by one (%g s, %g tokens/J) differ from Run (%g s, %g tokens/J, %v)", s.r.StepS, s.r.TokensPerJ, full.StepS, full.TokensPerJ, err)
	}

	big := c
	big.Batch = 100000
	s, err = e.newStep(big)
	if err != nil {
		t.Fatal(err)
	}
	var inf *InfeasibleError
	if err := s.fitMemory(); !errors.As(err, &inf) {
		t.Errorf("batch %d: %v, want infeasible", big.Batch, err)
	}
}
