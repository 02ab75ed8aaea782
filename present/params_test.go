package present

import (
	"testing"

	"github.com/cardsea/cardsea/report"
)

func TestParamHeader(t *testing.T) {
	for path, want := range map[string]string{
		"workloads[0].inference.tp":            "TP",
		"workloads[0]_inference_tp":            "TP",
		"workloads[1].inference.accelerators":  "Accelerators",
		"workloads[0].inference.weights_dtype": "Weights dtype",
		"workloads[0].inference.batch":         "Batch (sequences per accelerator)",
		"workloads[0].training.global_batch":   "Global batch (sequences)",
		"workloads[0].collective.rank_list":    "Ranks",
		"topologies[0].preset":                 "Topology",
		"topologies[0]_domains":                "Scale-up domains",
		"power.price_per_kwh":                  "Electricity price (USD/kWh)",
		"workloads[0].inference.new_knob":      "New knob",
		"Topology":                             "Topology",
	} {
		if got := ParamHeader(path); got != want {
			t.Errorf("ParamHeader(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestScenarioTable: swept fields take their names, and one a record
// field repeats goes; a single point loses the point columns.
func TestScenarioTable(t *testing.T) {
	sheet := func() *report.Sheet {
		return &report.Sheet{
			Columns: []report.Column{{Key: "scenario"}, {Key: "point"}, {Key: "points"},
				{Key: "topologies[0]_preset", Header: "topologies[0].preset"}, {Key: "workloads[0]_inference_tp", Header: "workloads[0].inference.tp"},
				{Key: "topology", Header: "Topology"}, {Key: "tp", Header: "TP"}, {Key: "dies", Header: "Dies"}},
			Rows: [][]any{{"s", 0, 2, "cm384", "1", "cm384", 2, 8}, {"s", 1, 2, "hgx-h20", "2", "hgx-h20", 4, 8}},
		}
	}
	s := sheet()
	ScenarioTable(s, []string{"topologies[0].preset", "workloads[0].inference.tp"}, 2)
	var heads []string
	for _, c := range s.Columns {
		heads = append(heads, c.Header)
	}
	// TP here is per point ("1", "2", now numbers) and differs from the record's TP:
	// both stay, the swept one by its name.
	if len(s.Columns) != 7 || heads[3] != "TP" || s.Rows[1][3] != 2 || len(s.Rows[0]) != 7 {
		t.Errorf("columns %q, rows %v", heads, s.Rows)
	}
	s = sheet()
	s.Rows = s.Rows[:1]
	ScenarioTable(s, []string{"topologies[0].preset", "workloads[0].inference.tp"}, 1)
	if len(s.Columns) != 4 || s.Columns[0].Header != "TP" {
		t.Errorf("single point: %+v", s.Columns)
	}
}

// TestSplitKinds: a table mixing collectives and inference steps is one
// table per kind, in a fixed order, the notes under the last.
func TestSplitKinds(t *testing.T) {
	s := &report.Sheet{Title: "mixed", Notes: []string{"n"},
		Columns: []report.Column{{Key: "point"}, {Key: "op"}, {Key: "phase"}},
		Rows:    [][]any{{0, nil, "decode"}, {0, "allreduce", nil}, {1, nil, "train"}, {1, nil, "decode"}}}
	out := SplitKinds(s)
	if len(out) != 3 || len(out[0].Rows) != 1 || len(out[1].Rows) != 2 || len(out[2].Rows) != 1 {
		t.Fatalf("%d sheets: %+v", len(out), out)
	}
	if out[0].Title != "mixed (collectives)" || out[1].Title != "Inference" || out[2].Title != "Training" {
		t.Errorf("titles %q %q %q", out[0].Title, out[1].Title, out[2].Title)
	}
	if out[0].Notes != nil || len(out[2].Notes) != 1 {
		t.Errorf("notes %v %v", out[0].Notes, out[2].Notes)
	}
	one := &report.Sheet{Columns: s.Columns, Rows: s.Rows[:1]}
	if got := SplitKinds(one); len(got) != 1 || got[0] != one {
		t.Errorf("a table of one kind split: %v", got)
	}
}
