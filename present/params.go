package present

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/study"
)

// paramNames are the human names of scenario fields a sweep varies whose
// names are not those of a record field.
var paramNames = map[string]string{
	"preset":          "Topology",
	"file":            "Topology file",
	"domains":         "Scale-up domains",
	"batch":           "Batch (sequences per accelerator)",
	"context":         "Context (tokens)",
	"input_len":       "Input (tokens per request)",
	"output_len":      "Output (tokens per request)",
	"price_per_kwh":   "Electricity price (USD/kWh)",
	"capex_per_accel": "Capital cost per accelerator (USD)",
	"mode":            "Power mode",
	"algo":            "Algorithm",
	"proto":           "Protocol",
	"sizes":           "Sizes",
	"rank_list":       "Ranks",
	"seq_len":         "Sequence (tokens)",
	"lora_rank":       "LoRA rank",
	"mtp":             "MTP",
}

// paramPrefix is what a swept field's path holds before the field's own
// name: its topology or workload and the workload's kind, in the path's
// dotted form or a CSV column's underscored one.
var paramPrefix = regexp.MustCompile(`^(topologies|workloads)\[\d+\][._]((inference|collective|training)[._])?|^power[._]`)

// ParamHeader is the human name of a swept field, from its path in the
// scenario ("workloads[0].inference.tp" is "TP", "topologies[0].preset"
// "Topology", "power.price_per_kwh" "Electricity price (USD/kWh)") or its
// CSV column ("workloads[0]_inference_tp"): the record field's header
// where a record field has the name, else a name of its own, else the
// field's name in words. A path that is no swept field is itself.
func ParamHeader(path string) string {
	loc := paramPrefix.FindStringIndex(path)
	if loc == nil {
		return path
	}
	name := path[loc[1]:]
	if h, ok := paramNames[name]; ok {
		return h
	}
	for _, c := range study.All().Columns() {
		if c.Key == name {
			return c.Header
		}
	}
	words := strings.ReplaceAll(strings.ReplaceAll(name, ".", " "), "_", " ")
	if words == "" {
		return path
	}
	return strings.ToUpper(words[:1]) + words[1:]
}

// RanksNote says what a collective's ranks count: a record's ranks are
// dies unless its workload placed them per accelerator or per server.
const RanksNote = "Ranks: dies by default, accelerator packages with per_accel (a CM384 910C package is two dies), servers with per_server."

// ScenarioTable readies a scenario's records (scenario, point, points,
// the swept fields, then the record schema) for a table: a single point
// loses the three point columns, the swept fields take human names, and
// a swept field whose values a record field repeats on every record
// (topologies[0].preset and Topology) is left out for that field, and
// swept numbers are numbers (right-aligned, as written: 0.03, 1,024).
func ScenarioTable(sheet *report.Sheet, params []string, points int) {
	if i := column(sheet, "ranks"); i >= 0 && slices.ContainsFunc(sheet.Rows, func(r []any) bool { return r[i] != nil }) {
		sheet.Notes = append(sheet.Notes, RanksNote)
	}
	lead := 3 + len(params)
	drop := map[int]bool{}
	if points == 1 {
		drop[0], drop[1], drop[2] = true, true, true
	}
	for j, p := range params {
		i := 3 + j
		sheet.Columns[i].Header = ParamHeader(p)
		numbers(sheet, i)
		for k := lead; k < len(sheet.Columns); k++ {
			if sameCells(sheet, i, k) {
				drop[i] = true
				break
			}
		}
	}
	if len(drop) == 0 {
		return
	}
	var cols []report.Column
	for i, c := range sheet.Columns {
		if !drop[i] {
			cols = append(cols, c)
		}
	}
	for r, row := range sheet.Rows {
		var out []any
		for i, v := range row {
			if !drop[i] {
				out = append(out, v)
			}
		}
		sheet.Rows[r] = out
	}
	sheet.Columns = cols
}

// sameCells says whether columns i and k read the same on every record.
func sameCells(s *report.Sheet, i, k int) bool {
	if len(s.Rows) == 0 {
		return false
	}
	for _, r := range s.Rows {
		if r[i] == nil || r[k] == nil || s.Columns[i].Human(r[i]) != s.Columns[k].Human(r[k]) {
			return false
		}
	}
	return true
}

// numbers turns column i's cells, the swept values as the file wrote
// them, into numbers where every one is a number.
func numbers(s *report.Sheet, i int) {
	vals := make([]any, len(s.Rows))
	for r, row := range s.Rows {
		str, ok := row[i].(string)
		if !ok {
			return
		}
		if n, err := strconv.Atoi(str); err == nil {
			vals[r] = n
		} else if x, err := strconv.ParseFloat(str, 64); err == nil && !math.IsInf(x, 0) && !math.IsNaN(x) {
			vals[r] = x
		} else {
			return
		}
	}
	for r := range s.Rows {
		s.Rows[r][i] = vals[r]
	}
	s.Columns[i].Digits = -1 // as written: 0.03, not 0.030
}

// kinds name the kinds of record a scenario's table may mix.
var kinds = []struct{ key, title string }{
	{"collective", "collectives"}, {"inference", "inference"}, {"disagg", "disaggregated serving"}, {"train", "training"}, {"other", "other records"},
}

// SplitKinds splits a scenario's table into one per kind of record
// (collectives, inference steps, disaggregated deployments, training
// steps) where it mixes them, so that each shows its own kind's fields
// rather than two kinds' side by side, half of them empty; each after
// the first is titled by its kind. A table of one kind is itself.
func SplitKinds(s *report.Sheet) []*report.Sheet {
	op, phase := -1, -1
	for i, c := range s.Columns {
		switch c.Key {
		case "op":
			op = i
		case "phase":
			phase = i
		}
	}
	kindOf := func(row []any) string {
		switch {
		case op >= 0 && row[op] != nil:
			return "collective"
		case phase < 0 || row[phase] == nil:
			return "other"
		case row[phase] == "disagg" || row[phase] == "train":
			return row[phase].(string)
		}
		return "inference"
	}
	by := map[string][][]any{}
	for _, r := range s.Rows {
		k := kindOf(r)
		by[k] = append(by[k], r)
	}
	if len(by) < 2 {
		return []*report.Sheet{s}
	}
	var out []*report.Sheet
	for _, k := range kinds {
		rows, ok := by[k.key]
		if !ok {
			continue
		}
		sub := *s
		sub.Rows = rows
		sub.Notes = nil
		if len(out) > 0 {
			sub.Title = strings.ToUpper(k.title[:1]) + k.title[1:]
		} else if sub.Title != "" {
			sub.Title += " (" + k.title + ")"
		}
		out = append(out, &sub)
	}
	out[len(out)-1].Notes = s.Notes
	return out
}
