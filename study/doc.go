// Package study is the layer under every front door (the command line,
// scenario files, compare, demo, validate): the one home of the facts a
// run reports.
//
// The record schema (Fields) declares every result field once: its
// machine key with the SI unit, its human header with the display unit,
// and beside it the function that reads it from each kind of typed result
// (CollectiveRecord, InferenceRecord, DisaggRecord, TrainingRecord,
// InfeasibleRecord). A Schema selects fields in record order; sheets, CSV
// and JSON are laid out from it, so a new metric is one entry in Fields
// and every command and scenario that reports that kind of record
// carries it.
//
// Guarantees, each with a test:
//   - every key is unique and carries its SI unit in a known suffix, or is
//     a name or count (TestFieldsUnique, TestFieldUnits);
//   - a record reads exactly the fields its kind declares, every other
//     cell is nil (TestRowsReadTheirKind);
//   - reading a record is deterministic and has no side effects.
package study
