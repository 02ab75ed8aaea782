package study

import (
	"fmt"
	"slices"

	"github.com/cardsea/cardsea/collective"
	"github.com/cardsea/cardsea/infer"
	"github.com/cardsea/cardsea/power"
	"github.com/cardsea/cardsea/report"
	"github.com/cardsea/cardsea/train"
)

// A Record is what one simulation reports, typed: a collective, an
// inference step, a disaggregated deployment, a training step, a served
// run of requests, or an infeasible configuration. Fields reads its cells.
type Record interface {
	// cell reads field f, or reports false when this kind has no such field.
	cell(f *Field) (any, bool)
	// reads says whether this kind has field f.
	reads(f *Field) bool
	// Label names the record's topology and workload and sets the prices
	// its cost fields use.
	Label(topology, workload string, cost power.Cost)
}

// CollectiveRecord is one collective operation at one size, with the
// energy the topology spent on it (power.Account) and the prices.
type CollectiveRecord struct {
	Topology, Workload string
	Result             collective.Result
	Energy             power.Energy
	Cost               power.Cost
}

// InferenceRecord is one inference step (prefill, decode, serve) or a
// point of a search. Healthy, when set, is the same configuration
// without the topology's faults.
type InferenceRecord struct {
	Topology, Workload string
	Result             infer.Result
	Cost               power.Cost
	Healthy            *infer.Result
}

// DisaggRecord is a disaggregated deployment: a prefill and a decode
// instance and the balanced system of both.
type DisaggRecord struct {
	Topology, Workload string
	Result             infer.DisaggResult
	Cost               power.Cost
}

// TrainingRecord is one optimizer step on Accelerators accelerators.
type TrainingRecord struct {
	Topology, Workload string
	Result             train.Result
	Cost               power.Cost
	Accelerators       int
}

// InfeasibleRecord is a configuration that is well formed but cannot run
// as asked (infer.InfeasibleError): it does not fit, or no batch meets
// the limit. A sweep records it and goes on.
type InfeasibleRecord struct {
	Topology, Workload, Phase, Why string
}

// Field is one field of the record schema: its column (machine key with
// the SI unit, human header with the display unit) and, for each kind of
// record that has it, the function that reads it. Fields lists every one
// once, in record order.
type Field struct {
	report.Column
	// DisaggHeader, if set, heads the column in a sheet of disaggregated
	// records only, where tp or tokens/s must say which instance or which
	// tokens they count ("Decode TP", "Output tokens/s").
	DisaggHeader string
	Collective   func(*CollectiveRecord) any
	Inference    func(*InferenceRecord) any
	Disagg       func(*DisaggRecord) any
	Training     func(*TrainingRecord) any
	Serve        func(*ServeRecord) any
	Infeasible   func(*InfeasibleRecord) any
}

func (r *CollectiveRecord) cell(f *Field) (any, bool) { return read(f.Collective, r) }
func (r *InferenceRecord) cell(f *Field) (any, bool)  { return read(f.Inference, r) }
func (r *DisaggRecord) cell(f *Field) (any, bool)     { return read(f.Disagg, r) }
func (r *TrainingRecord) cell(f *Field) (any, bool)   { return read(f.Training, r) }
func (r *ServeRecord) cell(f *Field) (any, bool)      { return read(f.Serve, r) }
func (r *InfeasibleRecord) cell(f *Field) (any, bool) { return read(f.Infeasible, r) }

func (*CollectiveRecord) reads(f *Field) bool { return f.Collective != nil }
func (*InferenceRecord) reads(f *Field) bool  { return f.Inference != nil }
func (*DisaggRecord) reads(f *Field) bool     { return f.Disagg != nil }
func (*TrainingRecord) reads(f *Field) bool   { return f.Training != nil }
func (*ServeRecord) reads(f *Field) bool      { return f.Serve != nil }
func (*InfeasibleRecord) reads(f *Field) bool { return f.Infeasible != nil }

// Label names the record's topology and workload and sets its prices.
func (r *CollectiveRecord) Label(topology, workload string, cost power.Cost) {
	r.Topology, r.Workload, r.Cost = topology, workload, cost
}

// Label names the record's topology and workload and sets its prices.
func (r *InferenceRecord) Label(topology, workload string, cost power.Cost) {
	r.Topology, r.Workload, r.Cost = topology, workload, cost
}

// Label names the record's topology and workload and sets its prices.
func (r *DisaggRecord) Label(topology, workload string, cost power.Cost) {
	r.Topology, r.Workload, r.Cost = topology, workload, cost
}

// Label names the record's topology and workload and sets its prices.
func (r *TrainingRecord) Label(topology, workload string, cost power.Cost) {
	r.Topology, r.Workload, r.Cost = topology, workload, cost
}

// Label names the record's topology and workload and sets its prices.
func (r *ServeRecord) Label(topology, workload string, cost power.Cost) {
	r.Topology, r.Workload, r.Cost = topology, workload, cost
}

// Label names the record's topology and workload; it has no cost.
func (r *InfeasibleRecord) Label(topology, workload string, _ power.Cost) {
	r.Topology, r.Workload = topology, workload
}

func read[T any](get func(*T) any, r *T) (any, bool) {
	if get == nil {
		return nil, false
	}
	return get(r), true
}

// Schema is an ordered selection of the record fields: the columns of a
// sheet.
type Schema struct {
	fields []*Field
	// disagg heads the columns with their DisaggHeader: a sheet of
	// disaggregated records only.
	disagg bool
}

// All is every field of every kind, in record order: the columns of a
// scenario's records, which mix kinds.
func All() Schema {
	s := Schema{fields: make([]*Field, len(Fields))}
	for i := range Fields {
		s.fields[i] = &Fields[i]
	}
	return s
}

// Of is the fields that records like these read, in record order: the
// columns of one command's output.
func Of(kinds ...Record) Schema {
	var s Schema
	for i := range Fields {
		f := &Fields[i]
		for _, k := range kinds {
			if k.reads(f) {
				s.fields = append(s.fields, f)
				break
			}
		}
	}
	return s
}

// Command is the fields that records like these read, without those a
// study adds: the workload's name, and feasibility (a command reports a
// configuration that cannot run as an error).
func Command(kinds ...Record) Schema {
	s := Of(kinds...).Without("workload", "feasible", "why")
	if len(kinds) == 1 {
		_, s.disagg = kinds[0].(*DisaggRecord)
	}
	return s
}

// Only is the fields with these keys, in the order given. It panics on a
// key the schema lacks: that is a programming error, and the schema test
// calls every use.
func Only(keys ...string) Schema {
	var s Schema
	for _, k := range keys {
		i := slices.IndexFunc(Fields, func(f Field) bool { return f.Key == k })
		if i < 0 {
			panic(fmt.Sprintf("study: no record field %q", k))
		}
		s.fields = append(s.fields, &Fields[i])
	}
	return s
}

// Without drops the fields with these keys.
func (s Schema) Without(keys ...string) Schema {
	out := Schema{disagg: s.disagg}
	for _, f := range s.fields {
		if !slices.Contains(keys, f.Key) {
			out.fields = append(out.fields, f)
		}
	}
	return out
}

// Keys are the schema's field keys.
func (s Schema) Keys() []string {
	keys := make([]string, len(s.fields))
	for i, f := range s.fields {
		keys[i] = f.Key
	}
	return keys
}

// Columns are the schema's columns.
func (s Schema) Columns() []report.Column {
	cols := make([]report.Column, len(s.fields))
	for i, f := range s.fields {
		cols[i] = f.Column
		if s.disagg && f.DisaggHeader != "" {
			cols[i].Header = f.DisaggHeader
		}
	}
	return cols
}

// Row reads r's cells in the schema's order; a field r's kind lacks is
// nil (an empty cell, JSON null).
func (s Schema) Row(r Record) []any {
	row := make([]any, len(s.fields))
	for i, f := range s.fields {
		row[i], _ = r.cell(f)
	}
	return row
}

// Sheet lays records out in the schema's columns.
func (s Schema) Sheet(rs ...Record) *report.Sheet {
	sheet := &report.Sheet{Columns: s.Columns()}
	for _, r := range rs {
		sheet.Rows = append(sheet.Rows, s.Row(r))
	}
	return sheet
}

// Lookup returns the field with this key.
func Lookup(key string) (Field, bool) {
	i := slices.IndexFunc(Fields, func(f Field) bool { return f.Key == key })
	if i < 0 {
		return Field{}, false
	}
	return Fields[i], true
}
