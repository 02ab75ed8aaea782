package scenario

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cardsea/cardsea/report"
)

const small = `name: t
topologies:
  - preset: hgx-h100
workloads:
  - collective: {op: allreduce, sizes: "1MiB:4MiB", ranks: 4}
`

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
	}{
		{"typo", strings.Replace(small, "sizes:", "sizez:", 1), "unknown field `sizez`, did you mean `sizes`?"},
		{"position", "name: t\ntopologies:\n  - preset: cm384\n    domain: 2\n", "s.yaml:4:5: field `topologies[0]`: unknown field `domain`, did you mean `domains`?"},
		{"no topology", "name: t\nworkloads: [{collective: {op: allreduce}}]\n", "no topologies"},
		{"both", strings.Replace(small, "- preset: hgx-h100", "- {preset: hgx-h100, file: x.yaml}", 1), "exactly one of `preset` or `file`"},
		{"bad op", strings.Replace(small, "op: allreduce", "op: allreduse", 1), `did you mean "allreduce"`},
		{"bad sizes", strings.Replace(small, `"1MiB:4MiB"`, `"0"`, 1), "more than 0 bytes"},
		{"bad algo", strings.Replace(small, "ranks: 4", "ranks: 4, algorithm: rign", 1), `unknown algorithm "rign"`},
		{"bad mode", small + "power: {mode: nameplate}\n", `unknown power mode "nameplate"`},
		{"bad price", small + "power: {price_per_kwh: -1}\n", "price per kWh -1: want 0 or more"},
		{"duplicate", small + "name: u\n", "duplicate key"},
		{"zip lengths", small + "sweep:\n  zip:\n    power.price_per_kwh: [1, 2]\n    topologies[0].domains: [1]\n", "must be as long"},
		{"sweep path", small + "sweep:\n  product: {power.price_per_kwhh: [1]}\n", "did you mean `price_per_kwh`?"},
		{"sweep value", small + "sweep:\n  product:\n    workloads[0].collective.ranks: [four]\n", "sweep point 0"},
		{"empty", "", "file is empty"},
		{"no model", "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{inference: {phase: decode}}]\n", "field `workloads[0].inference`: model is missing"},
		{"bad model", "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{inference: {model: lama-3.1-8b}}]\n", `did you mean "llama-3.1-8b"`},
		{"two kinds", "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{inference: {model: llama-3.1-8b}, collective: {op: allreduce}}]\n", "exactly one workload kind"},
		{"bad slo", "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{inference: {model: llama-3.1-8b, tpot_slo: soon}}]\n", "want a duration"},
		{"disagg fields without disagg", "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{inference: {model: llama-3.1-8b, output_len: 100}}]\n", "field `workloads[0].inference.output_len`: is for phase disagg or serve; phase is decode"},
		{"disagg without instances", "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{inference: {model: llama-3.1-8b, phase: disagg, output_len: 100}}]\n", "prefill_accelerators is missing"},
		{"disagg without decode", "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{inference: {model: llama-3.1-8b, phase: disagg, prefill_accelerators: 4}}]\n", "field `workloads[0].inference`: decode_accelerators is missing: phase disagg needs at least 1 accelerator in each instance"},
		{"two slos", "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{inference: {model: llama-3.1-8b, tpot_slo: 50ms, ttft_slo: 1s}}]\n", "not both"},
		{"training moe", "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{training: {model: deepseek-r1, global_batch: 8}}]\n", "mixture-of-experts"},
		{"training batch", "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{training: {model: llama-3.1-8b}}]\n", "global_batch 0"},
		{"training dtype", "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{training: {model: llama-3.1-8b, global_batch: 8, dtype: fp7}}]\n", "dtype"},
		{"three kinds", "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads: [{training: {model: llama-3.1-8b, global_batch: 8}, collective: {op: allreduce}}]\n", "exactly one workload kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tc.src))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestSweepExpansion(t *testing.T) {
	src := small + "sweep:\n  product:\n    workloads[0].collective.ranks: [2, 4]\n    power.price_per_kwh: [0.1, 0.2, 0.3]\n  zip:\n    topologies[0].preset: [hgx-h100, hgx-h200]\n"
	s, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 2*3*2 {
		t.Fatalf("%d points, want 12", len(s.Points))
	}
	// product keys sorted, the last fastest; zip innermost
	if got := strings.Join(s.Params, ","); got != "power.price_per_kwh,workloads[0].collective.ranks,topologies[0].preset" {
		t.Errorf("params %s", got)
	}
	if v := s.Points[1].Values; v[0] != "0.1" || v[1] != "2" || v[2] != "hgx-h200" {
		t.Errorf("point 1 = %v", v)
	}
	if s.Points[3].File.Workloads[0].Collective.Ranks != 4 || s.Points[3].File.Topologies[0].Preset != "hgx-h200" {
		t.Errorf("point 3 = %+v", s.Points[3].File)
	}
}

// TestDeterministic: the same records, byte for byte, whatever the number
// of workers and however the points are sharded.
func TestDeterministic(t *testing.T) {
	src := small + "sweep:\n  product:\n    power.price_per_kwh: [0.05, 0.1, 0.2]\n    topologies[0].preset: [hgx-h100, hgx-h800]\n"
	s, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	csv := func(o Options) string {
		sh, err := s.Run(o)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := sh.Write(&b, report.FormatCSV); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	one := csv(Options{Jobs: 1})
	if four := csv(Options{Jobs: 4}); four != one {
		t.Error("output differs between 1 and 4 workers")
	}
	var rows []string
	for i := range 3 {
		out := csv(Options{Jobs: 2, Shard: i, Shards: 3})
		lines := strings.Split(strings.TrimSpace(out), "\n")
		rows = append(rows, lines[1:]...)
	}
	if len(rows) != strings.Count(one, "\n")-1 {
		t.Errorf("shards hold %d rows, the whole %d", len(rows), strings.Count(one, "\n")-1)
	}
}

// TestExamples checks every example scenario (running them is CI's job
// through the command line tests).
func TestExamples(t *testing.T) {
	files, _ := filepath.Glob("../scenarios/*.yaml")
	if len(files) < 4 {
		t.Fatalf("only %d example scenarios", len(files))
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// TestDocsCoverSchema: every field of the schema appears in
// docs/scenarios.md.
func TestDocsCoverSchema(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range schemaFields() {
		if !strings.Contains(string(doc), "`"+f+"`") {
			t.Errorf("docs/scenarios.md does not document `%s`", f)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(small))
	f.Add([]byte(small + "sweep:\n  product: {power.price_per_kwh: [1, 2]}\n"))
	f.Add([]byte("topologies: [{preset: cm384, overrides: {a: {b: [1]}}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse("f.yaml", data)
		if err != nil && !strings.Contains(err.Error(), "f.yaml") {
			t.Fatalf("error %q does not name the file", err)
		}
	})
}

// TestInferenceWorkload runs a small inference workload and checks its
// record carries the inference fields and leaves the collective ones empty.
func TestInferenceWorkload(t *testing.T) {
	src := "name: t\ntopologies: [{preset: hgx-h100}]\nworkloads:\n  - inference: {model: llama-3.1-8b, accelerators: 1, batch: 4, context: 1024}\n  - collective: {op: allreduce, sizes: 1MiB, ranks: 2}\n"
	s, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sh, err := s.Run(Options{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, c := range sh.Columns {
		col[c.Key] = i
	}
	inf, coll := sh.Rows[0], sh.Rows[1]
	if inf[col["tpot_s"]] == nil || inf[col["busbw_bytes_per_s"]] != nil || inf[col["model"]] != "llama-3.1-8b" {
		t.Errorf("inference record %v", inf)
	}
	if coll[col["busbw_bytes_per_s"]] == nil || coll[col["tpot_s"]] != nil {
		t.Errorf("collective record %v", coll)
	}
}

func TestReportSettings(t *testing.T) {
	_, err := Parse("s.yaml", []byte(small+"report: {columns: [topology, busbw_bytes_per_sec]}\n"))
	if err == nil || !strings.Contains(err.Error(), `did you mean "busbw_bytes_per_s"?`) {
		t.Errorf("unknown column: %v", err)
	}
	_, err = Parse("s.yaml", []byte(small+"report: {format: xml}\n"))
	if err == nil || !strings.Contains(err.Error(), "report.format") {
		t.Errorf("bad format: %v", err)
	}
	s, err := Parse("s.yaml", []byte(small+"report: {columns: [busbw_bytes_per_s, topology]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	sh, err := s.Run(Options{Jobs: 1})
	if err != nil {
		t.Fatal(err)
	}
	sel := s.Select(sh)
	if len(sel.Columns) != 5 || sel.Columns[3].Key != "busbw_bytes_per_s" || sel.Rows[0][4] != "hgx-h100" {
		t.Errorf("selected %v / %v", sel.Columns, sel.Rows[0])
	}
}
