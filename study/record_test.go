package study

import (
	"math"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/llm"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/topology"
	"github.com/cardsea/cardsea/train"
)

// kinds is one record of every kind, empty but for the model.
func kinds(t *testing.T) []Record {
	m, err := llm.Load("llama-3.1-8b")
	if err != nil {
		t.Fatal(err)
	}
	ir := infer.Result{Config: infer.Config{Model: m}}
	return []Record{&CollectiveRecord{}, &InferenceRecord{Result: ir}, &DisaggRecord{Result: infer.DisaggResult{Prefill: ir, Decode: ir}},
		&TrainingRecord{Result: train.Result{Config: train.Config{Model: m}}, Accelerators: 1}, &InfeasibleRecord{}}
}

// TestFieldsUnique: every key is declared once, and every field is read
// by at least one kind of record.
func TestFieldsUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range Fields {
		if seen[f.Key] {
			t.Errorf("field %q declared twice", f.Key)
		}
		seen[f.Key] = true
		if f.Header == "" {
			t.Errorf("field %q has no header", f.Key)
		}
		if f.Collective == nil && f.Inference == nil && f.Disagg == nil && f.Training == nil && f.Serve == nil && f.Infeasible == nil {
			t.Errorf("field %q is read by no kind of record", f.Key)
		}
	}
}

// TestFieldUnits: a scaled field's header names its display unit, and a
// key ending in an SI unit suffix is a number in that unit.
func TestFieldUnits(t *testing.T) {
	for _, f := range Fields {
		if f.Scale != 0 && f.Scale != 1 && !strings.Contains(f.Header, "(") {
			t.Errorf("field %q is scaled by %g but its header %q names no unit", f.Key, f.Scale, f.Header)
		}
		for _, suffix := range []string{"_s", "_w", "_j", "_bytes", "_usd"} {
			if strings.HasSuffix(f.Key, suffix) && !strings.Contains(f.Header, "(") {
				t.Errorf("field %q is in SI units (%s) but its header %q names no unit", f.Key, suffix, f.Header)
			}
		}
	}
}

// TestRowsReadTheirKind: a record's row is as wide as the schema, and a
// field its kind does not declare is nil.
func TestRowsReadTheirKind(t *testing.T) {
	all := All()
	for _, k := range kinds(t) {
		row := all.Row(k)
		if len(row) != len(Fields) {
			t.Fatalf("%T: %d cells for %d fields", k, len(row), len(Fields))
		}
		own := Of(k)
		if len(own.Columns()) == 0 {
			t.Errorf("%T reads no field", k)
		}
		for i := range Fields {
			if _, ok := k.cell(&Fields[i]); !ok && row[i] != nil {
				t.Errorf("%T: field %q it does not declare is %v", k, Fields[i].Key, row[i])
			}
		}
	}
	if got := len(Command(&InferenceRecord{}).Columns()); got >= len(Of(&InferenceRecord{}).Columns()) {
		t.Errorf("Command keeps the feasibility fields")
	}
}

// TestOnlyPanicsOnUnknownKeys: Only is for keys the schema has.
func TestOnlyPanicsOnUnknownKeys(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Only(no_such_field) did not panic")
		}
	}()
	Only("no_such_field")
}

// TestEnergyBreakdownSums: the components and the cooling overhead add up
// to the facility energy, in both accounting modes, for a collective (the
// whole topology) and an inference step (the serving share).
func TestEnergyBreakdownSums(t *testing.T) {
	top, err := topology.Load("cm384", 0)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := power.ProvisionedEnergy(top, 2)
	if err != nil {
		t.Fatal(err)
	}
	act, err := power.ActivityEnergy(top, power.Run{DurationS: 2,
		AccelCommS: make([]float64, len(top.Accels)), SwitchBytes: make([]float64, len(top.Switches))})
	if err != nil {
		t.Fatal(err)
	}
	b := EnergyBreakdown()
	if n := len(b.Columns()); n != len(power.Components)+1 {
		t.Fatalf("%d breakdown fields for %d components and cooling", n, len(power.Components))
	}
	for _, e := range []power.Energy{prov, act} {
		for _, share := range []float64{1, 0.25} {
			var r Record = &CollectiveRecord{Energy: e}
			if share != 1 {
				r = &InferenceRecord{Result: infer.Result{Energy: e, ServingShare: share}}
			}
			sum := 0.0
			for _, c := range b.Row(r) {
				sum += c.(float64)
			}
			if want := e.FacilityJ * share; math.Abs(sum-want) > 1e-9*want {
				t.Errorf("%s share %g: components sum to %g J, facility energy %g J", e.Mode, share, sum, want)
			}
		}
	}
}

// TestEndToEndTokens: a serve record's end-to-end rate counts each
// request's input and output at the rate requests complete; a decode
// record, which knows no request mix, has none.
func TestEndToEndTokens(t *testing.T) {
	f, ok := Lookup("e2e_tokens_per_s_per_accel")
	if !ok {
		t.Fatal("no e2e_tokens_per_s_per_accel field")
	}
	serve := &InferenceRecord{Result: infer.Result{Config: infer.Config{Phase: infer.Serve, InputLen: 300, OutputLen: 100}, TokensPerSPerAccel: 50}}
	if got := f.Inference(serve); got != 200.0 {
		t.Errorf("serve: %v, want 200 (50 output tokens/s, 3 input tokens per output token)", got)
	}
	decode := &InferenceRecord{Result: infer.Result{Config: infer.Config{Phase: infer.Decode}, TokensPerSPerAccel: 50}}
	if got := f.Inference(decode); got != nil {
		t.Errorf("decode: %v, want none", got)
	}
}
