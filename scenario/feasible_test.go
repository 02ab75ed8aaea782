package scenario

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestInfeasiblePointIsARecord: a sweep whose corner does not fit in HBM
// keeps going; the corner is a record with feasible false and the reason,
// the others are feasible, and every point reaches PointDone with rows
// of the scenario's width that survive a JSON round trip (the journal).
func TestInfeasiblePointIsARecord(t *testing.T) {
	src := `name: t
topologies: [{preset: hgx-h100}]
workloads:
  - inference: {model: llama-3.1-8b, phase: decode, batch: 8, context: 1024, engine: none}
sweep:
  product:
    workloads[0].inference.batch: [8, 100000, 16]
`
	s, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	journalled := map[int][][]any{}
	sh, err := s.Run(Options{Jobs: 2, PointDone: func(p int, rows [][]any) error {
		data, err := json.Marshal(rows)
		if err != nil {
			return err
		}
		var back [][]any
		if err := json.Unmarshal(data, &back); err != nil {
			return err
		}
		journalled[p] = back
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range sh.Columns {
		col[c.Key] = i
	}
	if len(sh.Rows) != 3 || len(journalled) != 3 {
		t.Fatalf("%d rows, %d journalled points; want 3 each", len(sh.Rows), len(journalled))
	}
	for i, r := range sh.Rows {
		if len(r) != len(sh.Columns) || len(journalled[i][0]) != len(sh.Columns) {
			t.Fatalf("point %d: %d fields (journal %d), want %d", i, len(r), len(journalled[i][0]), len(sh.Columns))
		}
		want := i != 1
		if r[col["feasible"]] != want {
			t.Errorf("point %d: feasible %v, want %v", i, r[col["feasible"]], want)
		}
	}
	bad := sh.Rows[1]
	why, _ := bad[col["why"]].(string)
	if !strings.Contains(why, "does not fit") || bad[col["topology"]] != "hgx-h100" || bad[col["phase"]] != "decode" || bad[col["tokens_per_s"]] != nil {
		t.Errorf("infeasible record: why %q, topology %v, phase %v, tokens/s %v", why, bad[col["topology"]], bad[col["phase"]], bad[col["tokens_per_s"]])
	}
	if sh.Rows[0][col["why"]] != nil || sh.Rows[0][col["tokens_per_s"]] == nil {
		t.Errorf("feasible record: why %v, tokens/s %v", sh.Rows[0][col["why"]], sh.Rows[0][col["tokens_per_s"]])
	}
}

// TestSweepErrorNamesThePoint: an error that is not infeasibility stops
// the run and names the sweep point and its swept values.
func TestSweepErrorNamesThePoint(t *testing.T) {
	src := `name: t
topologies: [{preset: hgx-h100, faults: ["accel:0"]}]
workloads:
  - inference: {model: llama-3.1-8b, phase: disagg, prefill_accelerators: 2, decode_accelerators: 4, prefill_batch: 1, batch: 8, input_len: 128, output_len: 64}
sweep:
  product:
    workloads[0].inference.batch: [8, 16]
`
	s, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Run(Options{Jobs: 1})
	if err == nil || !strings.Contains(err.Error(), "sweep point 0 (workloads[0].inference.batch=8)") {
		t.Errorf("err = %v, want it to name sweep point 0 and its value", err)
	}
}
