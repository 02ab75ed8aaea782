package kernels

// DeepSeek-V3/R1 MLA dimensions, the ones AIConfigurator's MLA tables
// measure: a compressed KV latent of 512 plus a 64-wide RoPE key per token
// (shared by all heads), 128 + 64 query/key dimensions and 128 value
// dimensions per head.
const (
	mlaLatent = 512
	mlaRope   = 64
	mlaNope   = 128
	mlaV      = 128
)

// MLAModel times DeepSeek's multi-head latent attention (TensorRT-LLM's
// kernels, AIConfigurator's mla tables) as an AttentionModel on the
// geometry that moves the same bytes:
//
//	context:    h heads, h KV heads of size (192 + 128)/2 = 160:
//	            FLOPs 2 (192 + 128) per score and bytes (640 + 320 kvbytes)
//	            per (token, head), exactly MLA's
//	generation: h heads, 1 KV head of size (512 + 64)/2 = 288: KV bytes
//	            576 kvbytes per token (the latent and the RoPE key), exactly
//	            MLA's; FLOPs 4 x 288 = 1,152 per score against the absorbed
//	            kernel's 2 (576 + 512) = 2,176, so EffCompute reads 1.89x high
//
// Every coefficient is fitted to the MLA table itself (Source says which).
type MLAModel struct{ AttentionModel }

// MLAGeometry is the attention geometry (heads, KV heads, head size) an
// MLA call of heads heads per rank is timed on.
func MLAGeometry(phase string, heads int) (h, g, d int) {
	if phase == Context {
		return heads, heads, (mlaNope + mlaRope + mlaV) / 2
	}
	return heads, 1, (mlaLatent + mlaRope) / 2
}

// Time is the predicted time of one MLA call, seconds: batch sequences of
// length seq (prompt, or KV length for generation) with heads heads on this
// rank. Cost and allocation as AttentionModel.Time.
func (m *MLAModel) Time(batch, seq, heads int) float64 {
	if m.Phase == Generation && m.Dispatch == DispatchMLAGen {
		if batch <= 0 || seq <= 0 || heads <= 0 {
			return m.LaunchS
		}
		return m.mlaGenTime(batch, seq, heads)
	}
	h, g, d := MLAGeometry(m.Phase, heads)
	return m.AttentionModel.Time(batch, seq, h, g, d)
}

// LookupMLA returns the fitted MLA model of a system, phase and KV-cache
// dtype ("bf16" or "fp8"; compute is bf16) under TensorRT-LLM's kernels.
func LookupMLA(system, phase, kvDtype string) (MLAModel, bool) {
	system, kvDtype = SystemName(system), DtypeName(kvDtype)
	for i := range mlaFits {
		a := &mlaFits[i]
		if a.System == system && a.Phase == phase && a.KVDtype == kvDtype {
			return MLAModel{*a}, true
		}
	}
	return MLAModel{}, false
}

// MLAModels returns every fitted MLA model as the AttentionModel on
// MLAGeometry it is (a copy).
func MLAModels() []AttentionModel { return append([]AttentionModel(nil), mlaFits...) }

// MLARow is one measured MLA call.
type MLARow struct {
	System, Engine, Phase, Dtype, KVDtype string
	Batch, Seq, Heads, TP                 int
	Seconds                               float64
}

// MLASample returns the embedded sample of one system's TensorRT-LLM MLA
// tables (nil if there is none).
func MLASample(system string) ([]MLARow, error) {
	recs, err := sampleRecords("mla", system, 9)
	if err != nil || recs == nil {
		return nil, err
	}
	rows := make([]MLARow, 0, len(recs))
	for _, rec := range recs {
		r := MLARow{System: system, Engine: rec[0], Phase: rec[1], Dtype: rec[2], KVDtype: rec[3]}
		v, sec, err := sampleNumbers(rec, 4, 4, "mla", system)
		if err != nil {
			return nil, err
		}
		r.Batch, r.Seq, r.Heads, r.TP, r.Seconds = v[0], v[1], v[2], v[3], sec
		rows = append(rows, r)
	}
	return rows, nil
}
