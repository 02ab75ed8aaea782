package study

import (
	"strconv"

	"github.com/cardsea/cardsea/compute"
	"github.com/cardsea/cardsea/internal/field"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/train"
)

// DefaultSeqLen is a training sequence's tokens when a spec gives none.
const DefaultSeqLen = 4096

// TrainingSpec is one optimizer step of a dense LLM, as a scenario file's
// `training:` workload and 'cardsea train' state it. A zero field takes
// its default; Compile checks every rule that needs no topology, once.
type TrainingSpec struct {
	// Model: a dense zoo model (cardsea models list) or a model file.
	Model string `yaml:"model" short:"m" help:"dense model: zoo name or model file (required)"`
	// Accelerators: how many train, the first of the topology (default all).
	Accelerators int `yaml:"accelerators" flag:"ranks" short:"r" help:"accelerators training: the first R (default all)"`
	// TP and CP: tensor- and context-parallel degrees (default 1).
	TP int `yaml:"tp" min:"1" help:"tensor parallel degree"`
	CP int `yaml:"cp" min:"1" help:"context parallel degree"`
	// GlobalBatch: sequences per optimizer step (required).
	GlobalBatch int `yaml:"global_batch" min:"1" help:"sequences per optimizer step (required)"`
	// MicroBatch: sequences per micro-batch of a replica (default 1).
	MicroBatch int `yaml:"micro_batch" min:"1" help:"sequences per micro-batch of a replica"`
	// SeqLen: tokens per sequence (default 4096).
	SeqLen int `yaml:"seq_len" min:"1" help:"tokens per sequence"`
	// Dtype of the GEMMs, bf16 (default) or fp8, and a mapping for dtypes
	// the chip lacks, e.g. fp8=int8.
	Dtype    string `yaml:"dtype" help:"GEMM dtype: bf16 or fp8 (activations and gradients are bf16)"`
	DtypeMap string `yaml:"dtype_map" help:"map dtypes the chip lacks, e.g. fp8=int8"`
	// LoRARank > 0 trains LoRA adapters of that rank on frozen weights.
	LoRARank int `yaml:"lora_rank" help:"train LoRA adapters of this rank on frozen weights (0: full training)"`
	// TPOverlap hides TP communication behind the GEMMs.
	TPOverlap bool `yaml:"tp_overlap" help:"hide TP communication behind the GEMMs (only the excess is exposed)"`
}

// TrainingDefaults are the values zero fields of a TrainingSpec take, by
// key, for help texts (Compile applies them).
var TrainingDefaults = map[string]string{
	"tp": "1", "cp": "1", "micro_batch": "1", "seq_len": strconv.Itoa(DefaultSeqLen), "dtype": DefaultDtype,
}

// Compile checks the spec and turns it into a train.Config (without the
// topology and the power mode); dir anchors a relative model file.
func (s TrainingSpec) Compile(dir string) (train.Config, error) {
	var c train.Config
	m, err := loadModel(s.Model, dir, "llama-3.1-8b")
	if err != nil {
		return c, err
	}
	if m.MoE != nil {
		return c, field.Errorf("model", "%s is a mixture-of-experts model; training models dense models only", m.Name)
	}
	d, err := topology.ParseDtype(or(s.Dtype, DefaultDtype))
	if err != nil || (d != topology.BF16 && d != topology.FP8) {
		return c, field.Errorf("dtype", "%q: training runs bf16 or fp8 GEMMs", s.Dtype)
	}
	mapping, err := compute.ParseDtypeMap(s.DtypeMap)
	if err != nil {
		return c, field.Wrap("dtype_map", err)
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"accelerators", s.Accelerators}, {"tp", s.TP}, {"cp", s.CP}, {"micro_batch", s.MicroBatch}, {"seq_len", s.SeqLen}, {"lora_rank", s.LoRARank}} {
		if v.n < 0 {
			return c, field.Errorf(v.name, "%d: want 0 (the default) or more", v.n)
		}
	}
	if s.GlobalBatch < 1 {
		return c, field.Errorf("global_batch", "%d: give the sequences per optimizer step, e.g. 64", s.GlobalBatch)
	}
	return train.Config{Model: m, Accelerators: s.Accelerators, TP: or(s.TP, 1), CP: or(s.CP, 1), GlobalBatch: s.GlobalBatch,
		MicroBatch: or(s.MicroBatch, 1), SeqLen: or(s.SeqLen, DefaultSeqLen), Dtype: d, DtypeMap: mapping,
		LoRARank: s.LoRARank, TPOverlap: s.TPOverlap}, nil
}
